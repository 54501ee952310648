import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api } from '../../lib/trpc.ts';
import { ITEM_TYPE_LABELS } from './asset-url.ts';
import { AudioWithCaptions, ImagePairCompare, RankedGallery, VideoWithTimeline } from './viewers.tsx';

/** One item, shown by the viewer of its type. */
export function ItemPage() {
  const { datasetId = '', itemId = '' } = useParams();
  const item = useQuery(api.datasets.item.queryOptions({ id: itemId }));
  if (item.isError)
    return (
      <section className="page">
        <ErrorMessage
          error={item.error}
          title="Could not load this item"
          onRetry={() => void item.refetch()}
        />
      </section>
    );
  if (item.isPending) return <p className="muted">Loading…</p>;
  const data = item.data;
  const annotation = (schema: string) => data.annotations.find((a) => a.schema === schema)?.data ?? {};
  return (
    <section className="page" aria-labelledby="page-title">
      <p>
        <Link to={`/datasets/${datasetId}`}>← Back to the dataset</Link>
      </p>
      <header className="page__header">
        <div>
          <h1 id="page-title">{data.title}</h1>
          <p className="muted">
            <span className="tag">{ITEM_TYPE_LABELS[data.type]}</span> {data.summary}
          </p>
        </div>
      </header>
      <div className="panel">
        {data.type === 'image_pair_compare' && (
          <ImagePairCompare payload={data.payload as Parameters<typeof ImagePairCompare>[0]['payload']} />
        )}
        {data.type === 'image_ranked_gallery' && (
          <RankedGallery payload={data.payload as Parameters<typeof RankedGallery>[0]['payload']} />
        )}
        {data.type === 'video_with_timeline' && (
          <VideoWithTimeline
            payload={data.payload as { videoAssetId: string }}
            entries={
              ((annotation('timeline_v1') as { entries?: unknown }).entries ?? []) as Parameters<
                typeof VideoWithTimeline
              >[0]['entries']
            }
          />
        )}
        {data.type === 'audio_with_captions' && (
          <AudioWithCaptions
            payload={data.payload as { audioAssetId: string }}
            cues={
              ((annotation('captions_v1') as { cues?: unknown }).cues ?? []) as Parameters<
                typeof AudioWithCaptions
              >[0]['cues']
            }
          />
        )}
      </div>
    </section>
  );
}
