import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api } from '../../lib/trpc.ts';
import { MediaEmbed } from './media-embed.tsx';

/** One published item of a library: its player or embed, and what is known about it. */
export function ContentPage({ orgSlug, backTo }: { orgSlug: string; backTo: string }) {
  const { id = '' } = useParams();
  const item = useQuery(api.discovery.get.queryOptions({ orgSlug, id }));
  return (
    <section className="page page--wide" aria-labelledby="content-title">
      <p>
        <Link to={backTo}>← Back to the library</Link>
      </p>
      {item.isError ? (
        <ErrorMessage error={item.error} title="This item is not available" />
      ) : item.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <header className="page__header">
            <h1 id="content-title">{item.data.title}</h1>
            <p className="muted">
              {[
                item.data.authorName,
                item.data.publicationDate?.toLocaleDateString(),
                item.data.categories.map((c) => c.name).join(', ') || null,
              ]
                .filter(Boolean)
                .join(' · ')}
            </p>
          </header>
          <MediaEmbed media={item.data.media} title={item.data.title} />
          {item.data.description && <p className="prose-text">{item.data.description}</p>}
        </>
      )}
    </section>
  );
}
