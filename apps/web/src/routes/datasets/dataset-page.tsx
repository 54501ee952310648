import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api } from '../../lib/trpc.ts';
import { ITEM_TYPE_LABELS } from './asset-url.ts';

const PAGE_SIZE = 25;
type ItemType = 'image_pair_compare' | 'image_ranked_gallery' | 'video_with_timeline' | 'audio_with_captions';

/** One dataset: its counts per item type and its items in manifest order, filtered by type or tag. */
export function DatasetPage() {
  const { datasetId = '' } = useParams();
  const [type, setType] = useState<ItemType | ''>('');
  const [tag, setTag] = useState('');
  const dataset = useQuery(api.datasets.get.queryOptions({ id: datasetId }));
  const counts = useQuery(api.datasets.itemTypeCounts.queryOptions({ datasetId }));
  const pages = useCursorPages(`items:${datasetId}:${type}:${tag}`);
  const items = useQuery({
    ...api.datasets.items.queryOptions({
      datasetId,
      cursor: pages.cursor,
      limit: PAGE_SIZE,
      ...(type ? { type } : {}),
      ...(tag.trim() ? { tag: tag.trim() } : {}),
    }),
    placeholderData: keepPreviousData,
  });

  if (dataset.isError)
    return (
      <section className="page">
        <ErrorMessage
          error={dataset.error}
          title="Could not load this dataset"
          onRetry={() => void dataset.refetch()}
        />
      </section>
    );
  if (dataset.isPending) return <p className="muted">Loading…</p>;

  return (
    <section className="page" aria-labelledby="page-title">
      <p>
        <Link to="/datasets">← Datasets</Link>
      </p>
      <header className="page__header">
        <div>
          <h1 id="page-title">{dataset.data.name}</h1>
          <p className="muted">
            <span className="tag">{dataset.data.status}</span> {dataset.data.description}
          </p>
        </div>
        {dataset.data.status === 'draft' && (
          <Link className="button" to={`/datasets/new?draft=${dataset.data.id}`}>
            Continue ingesting
          </Link>
        )}
      </header>
      <fieldset className="type-tabs">
        <legend className="visually-hidden">Item type</legend>
        <button
          type="button"
          className={`button button--quiet${type === '' ? ' is-active' : ''}`}
          aria-pressed={type === ''}
          onClick={() => setType('')}
        >
          All ({dataset.data.itemCount})
        </button>
        {Object.entries(ITEM_TYPE_LABELS).map(([value, label]) => (
          <button
            key={value}
            type="button"
            className={`button button--quiet${type === value ? ' is-active' : ''}`}
            aria-pressed={type === value}
            onClick={() => setType(value as ItemType)}
          >
            {label} ({counts.data?.[value as ItemType] ?? '…'})
          </button>
        ))}
        <label className="type-tabs__tag">
          Tag{' '}
          <input
            value={tag}
            onChange={(event) => setTag(event.target.value)}
            maxLength={64}
            placeholder="any"
          />
        </label>
      </fieldset>
      <ListPanel
        query={items}
        errorTitle="Could not load the items"
        isEmpty={(data) => data.items.length === 0 && pages.page === 1}
        empty={<p className="muted">No item matches.</p>}
        pager={{ label: 'items', pages }}
      >
        {(data) => (
          <DataTable
            label="Items"
            head={
              <>
                <th scope="col">Title</th>
                <th scope="col">Type</th>
                <th scope="col">Tags</th>
              </>
            }
          >
            {data.items.map((item) => (
              <tr key={item.id}>
                <th scope="row">
                  <Link to={`/datasets/${datasetId}/items/${item.id}`}>{item.title}</Link>
                  {item.summary && <div className="muted">{item.summary}</div>}
                </th>
                <td>{ITEM_TYPE_LABELS[item.type] ?? item.type}</td>
                <td>{item.tags.join(', ')}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}
