import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api } from '../../lib/trpc.ts';

const PAGE_SIZE = 20;

/**
 * Creator → My content: the caller's own pieces (`creators.myContent`, gated on `content.write`).
 * The content module (SPEC §4) is what fills this list; until it exists the list is empty and the
 * page says why.
 */
export function MyContentPage() {
  const pages = useCursorPages('my-content');
  const list = useQuery({
    ...api.creators.myContent.queryOptions({ cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  return (
    <section aria-labelledby="my-content-title" data-testid="my-content">
      <div className="section-header">
        <h2 id="my-content-title">My content</h2>
      </div>
      <ListPanel
        query={list}
        errorTitle="Could not load your content"
        isEmpty={(data) => data.items.length === 0 && pages.page === 1}
        empty={
          <>
            <h3>Nothing here yet</h3>
            <p>
              This is where your pieces are listed — uploads and videos or audio imported from YouTube, Vimeo
              or SoundCloud — with their review status.
            </p>
            <p className="muted">
              Creating and importing content arrives with the content library. Your creator access is already
              in place, so your first piece will appear here as soon as you can create it.
            </p>
          </>
        }
        emptyTestId="my-content-empty"
        pager={{ label: 'content', pages }}
      >
        {(data) => (
          <DataTable
            label="My content"
            head={
              <>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
              </>
            }
          >
            {data.items.map((item) => (
              <tr key={item.id}>
                <th scope="row">{item.title}</th>
                <td>
                  <span className="tag">{item.status}</span>
                </td>
                <td className="table__nowrap">{item.updatedAt.toLocaleString()}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}
