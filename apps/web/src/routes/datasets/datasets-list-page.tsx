import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { SelectField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api } from '../../lib/trpc.ts';

const PAGE_SIZE = 20;
type StatusFilter = '' | 'draft' | 'published' | 'archived';

/** Datasets: every dataset readers may see (publishers also see their drafts), newest first. */
export function DatasetsListPage() {
  const session = useSession();
  const canIngest = session.can('datasets.ingest');
  const [status, setStatus] = useState<StatusFilter>('');
  const pages = useCursorPages(`datasets:${status}`);
  const list = useQuery({
    ...api.datasets.list.queryOptions({
      cursor: pages.cursor,
      limit: PAGE_SIZE,
      ...(status ? { status } : {}),
    }),
    placeholderData: keepPreviousData,
  });

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Datasets</h1>
          <p className="muted">
            Media collections to browse: image pairs, ranked galleries, annotated video and captioned audio.
          </p>
        </div>
        {canIngest && (
          <Link to="/datasets/new" className="button" data-testid="new-dataset">
            New dataset
          </Link>
        )}
      </header>
      {canIngest && (
        <div className="filters">
          <SelectField
            label="Status"
            name="status"
            value={status}
            onChange={(event) => setStatus(event.target.value as StatusFilter)}
          >
            <option value="">Any</option>
            <option value="draft">Drafts</option>
            <option value="published">Published</option>
            <option value="archived">Archived</option>
          </SelectField>
        </div>
      )}
      <ListPanel
        query={list}
        errorTitle="Could not load the datasets"
        isEmpty={(data) => data.items.length === 0 && pages.page === 1}
        empty={
          <>
            <h2>No datasets yet</h2>
            <p className="muted">
              {canIngest
                ? 'Start one with “New dataset”: upload its files, describe its items, publish.'
                : 'Datasets appear here once someone publishes one.'}
            </p>
          </>
        }
        emptyTestId="datasets-empty"
        pager={{ label: 'datasets', pages }}
      >
        {(data) => (
          <DataTable
            label="Datasets"
            head={
              <>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Items</th>
                <th scope="col">Tags</th>
                <th scope="col">Created</th>
              </>
            }
          >
            {data.items.map((dataset) => (
              <tr key={dataset.id}>
                <th scope="row">
                  <Link to={`/datasets/${dataset.id}`}>{dataset.name}</Link>
                </th>
                <td>
                  <span className="tag">{dataset.status}</span>
                </td>
                <td>{dataset.itemCount}</td>
                <td>{dataset.tags.join(', ')}</td>
                <td className="table__nowrap">{dataset.createdAt.toLocaleString()}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}
