import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api, trpc } from '../../lib/trpc.ts';

type Status = 'draft' | 'published';

/**
 * Review → Content (staff): drafts waiting to be published, and what is published, with Publish and
 * Unpublish. A draft without a video or audio cannot be published; the message says so.
 */
export function ContentReviewPage() {
  const [status, setStatus] = useState<Status>('draft');
  const pages = useCursorPages(`content-review-${status}`);
  const queryClient = useQueryClient();
  const list = useQuery({
    ...api.content.list.queryOptions({ status, cursor: pages.cursor, limit: 20 }),
    placeholderData: keepPreviousData,
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'publish' | 'unpublish' }) =>
      action === 'publish' ? trpc.content.publish.mutate({ id }) : trpc.content.unpublish.mutate({ id }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: api.content.pathKey() }),
  });

  return (
    <section aria-labelledby="content-review-title" className="stack">
      <div className="section-header">
        <h2 id="content-review-title">Content</h2>
        <fieldset className="field segmented">
          <legend className="visually-hidden">Show</legend>
          {(['draft', 'published'] as const).map((value) => (
            <label key={value} className="segmented__option">
              <input
                type="radio"
                name="content-status"
                checked={status === value}
                onChange={() => setStatus(value)}
              />
              <span>{value === 'draft' ? 'Waiting' : 'Published'}</span>
            </label>
          ))}
        </fieldset>
      </div>
      {act.isError && <ErrorMessage error={act.error} title="That did not work" />}
      <ListPanel
        query={list}
        errorTitle="Could not load content"
        isEmpty={(data) => data.items.length === 0 && pages.page === 1}
        empty={
          <p>{status === 'draft' ? 'Nothing is waiting to be published.' : 'Nothing is published yet.'}</p>
        }
        emptyTestId="content-review-empty"
        pager={{ label: 'content', pages }}
      >
        {(data) => (
          <DataTable
            label={status === 'draft' ? 'Content waiting' : 'Published content'}
            head={
              <>
                <th scope="col">Title</th>
                <th scope="col">Author</th>
                <th scope="col">Media</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </>
            }
          >
            {data.items.map((item) => (
              <tr key={item.id}>
                <th scope="row">
                  {item.status === 'published' ? (
                    <Link to={`/library/${item.id}`}>{item.title}</Link>
                  ) : (
                    item.title
                  )}
                </th>
                <td>{item.authorName ?? '—'}</td>
                <td>{item.media ? `${item.media.provider} ${item.media.mediaType}` : 'none yet'}</td>
                <td className="table__nowrap">{item.updatedAt.toLocaleString()}</td>
                <td>
                  <button
                    type="button"
                    className="button button--quiet"
                    disabled={act.isPending}
                    onClick={() =>
                      act.mutate({
                        id: item.id,
                        action: item.status === 'published' ? 'unpublish' : 'publish',
                      })
                    }
                  >
                    {item.status === 'published' ? 'Unpublish' : 'Publish'}
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}
