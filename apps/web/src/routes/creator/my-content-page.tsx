import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api, type RouterOutputs } from '../../lib/trpc.ts';
import { BulkImportForm, CreateContentForm, EditContentForm, ImportOneForm } from './content-forms.tsx';

const PAGE_SIZE = 20;
type Item = RouterOutputs['creators']['myContent']['items'][number];

const STATUS_LABELS: Record<Item['status'], string> = {
  draft: 'Draft — waiting for review',
  published: 'Published',
  archived: 'Archived',
};

/**
 * Creator → My content: the caller's own pieces (`creators.myContent`, every status), a new piece by
 * hand, an import from one link, many links at once with progress, and editing.
 */
export function MyContentPage() {
  const pages = useCursorPages('my-content');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const list = useQuery({
    ...api.creators.myContent.queryOptions({ cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  return (
    <section aria-labelledby="my-content-title" data-testid="my-content" className="stack">
      <div className="section-header">
        <h2 id="my-content-title">My content</h2>
        {!creating && (
          <button type="button" className="button" onClick={() => setCreating(true)}>
            New content
          </button>
        )}
      </div>
      {creating && <CreateContentForm onDone={() => setCreating(false)} />}
      <div className="card-grid">
        <ImportOneForm />
        <BulkImportForm />
      </div>
      <ListPanel
        query={list}
        errorTitle="Could not load your content"
        isEmpty={(data) => data.items.length === 0 && pages.page === 1}
        empty={
          <>
            <h3>Nothing here yet</h3>
            <p>
              Import a video or track from YouTube, Vimeo or SoundCloud above, or create a piece by hand.
              Editors publish it to the library.
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
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </>
            }
          >
            {data.items.map((item) =>
              editing === item.id ? (
                <tr key={item.id}>
                  <td colSpan={4}>
                    <EditContentForm item={item} onDone={() => setEditing(null)} />
                  </td>
                </tr>
              ) : (
                <tr key={item.id}>
                  <th scope="row">{item.title}</th>
                  <td>
                    <span className="tag">{STATUS_LABELS[item.status]}</span>
                  </td>
                  <td className="table__nowrap">{item.updatedAt.toLocaleString()}</td>
                  <td>
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() => setEditing(item.id)}
                    >
                      Edit
                    </button>
                  </td>
                </tr>
              ),
            )}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}
