import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { CursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api } from '../../lib/trpc.ts';
import { JobStatePill } from './components/state-pill.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { describeJobState, shortId } from './format.ts';
import { type JobState, jobPath, type OpsJobSummary, queuePath } from './ops-queries.ts';
import { PagedTable, useLivePagedQuery } from './paged-list.tsx';
import type { UrlSelection } from './url-state.ts';

export interface JobsListProps {
  /** One queue; without it, `search` looks through every queue (and rows name their queue). */
  queue?: string | undefined;
  state?: JobState | undefined;
  search?: string | undefined;
  order?: 'newest' | 'oldest';
  /** An action per row (redrive on the dead-letters page). */
  rowAction?: (job: OpsJobSummary) => ReactNode;
  /** Says what an empty list means here. */
  emptyText?: string;
  /** Checkboxes per row and "select all on this page", for actions on the selection. */
  selection?: UrlSelection | undefined;
  /** The page shown, when the address keeps it (`useUrlCursorPages`). */
  pages?: CursorPages | undefined;
}

/** One page of a queue's jobs (newest first), polled, with Previous/Next. */
export function JobsList({
  queue,
  state,
  search,
  order = 'newest',
  rowAction,
  emptyText,
  selection,
  pages,
}: JobsListProps) {
  const jobs = useLivePagedQuery(
    `${queue}|${state ?? ''}|${search ?? ''}|${order}`,
    (page) =>
      api.ops.jobs.queryOptions({
        ...(queue ? { queue } : {}),
        order,
        ...page,
        ...(state ? { state } : {}),
        ...(search ? { search } : {}),
      }),
    pages,
  );
  const { query } = jobs;

  // Shown inside another page's panel: a failure replaces the list rather than standing above it.
  if (query.isError)
    return (
      <ErrorMessage
        error={query.error}
        title="Could not load the jobs"
        onRetry={() => void query.refetch()}
      />
    );
  if (!query.data) return <p className="muted">Loading jobs…</p>;
  const onPage = query.data.items.map((job) => job.id);
  const stateWords = state ? ` in state “${describeJobState(state).label}”` : '';
  const allOnPage = onPage.length > 0 && onPage.every((id) => selection?.has(id));

  return (
    <div className="ops-jobs" data-testid="jobs-list" aria-busy={query.isFetching}>
      <PagedTable
        list={jobs}
        tableTestId="jobs-table"
        head={
          <>
            {selection && (
              <th scope="col" className="ops-select">
                <input
                  type="checkbox"
                  aria-label="Select all jobs on this page"
                  checked={allOnPage}
                  onChange={(event) => selection.setMany(onPage, event.target.checked)}
                />
              </th>
            )}
            <th scope="col">Job</th>
            {!queue && <th scope="col">Queue</th>}
            <th scope="col">State</th>
            <th scope="col">Payload</th>
            <th scope="col" className="table__numeric">
              Retries
            </th>
            <th scope="col">Created</th>
            <th scope="col">Finished</th>
            <th scope="col">Last error</th>
            {rowAction && <th scope="col">Action</th>}
          </>
        }
        row={(job) => (
          <tr
            key={job.id}
            data-testid={`job-${job.id}`}
            data-state={job.state}
            data-delayed={describeJobState(job.state, { startAfter: job.startAfter }).delayed}
            aria-selected={selection ? selection.has(job.id) : undefined}
          >
            {selection && (
              <td className="ops-select">
                <input
                  type="checkbox"
                  aria-label={`Select job ${job.id}`}
                  checked={selection.has(job.id)}
                  disabled={!selection.has(job.id) && selection.full}
                  onChange={() => selection.toggle(job.id)}
                />
              </td>
            )}
            <th scope="row">
              <Link to={jobPath(job.queue, job.id)} title={job.id} aria-label={`Job ${job.id}`}>
                <code>{shortId(job.id)}</code>
              </Link>
            </th>
            {!queue && (
              <td>
                <Link to={queuePath(job.queue)}>{job.queue}</Link>
              </td>
            )}
            <td>
              <JobStatePill state={job.state} startAfter={job.startAfter} />
            </td>
            <td className="table__detail ops-preview">
              {job.eventType && <span className="tag">{job.eventType}</span>}{' '}
              {job.orgId && <span className="muted">org {shortId(job.orgId)} · </span>}
              <code className="muted ops-preview__data">{job.dataPreview}</code>
            </td>
            <td className="table__numeric">
              {job.retryCount} / {job.retryLimit}
            </td>
            <td>
              <Timestamp short value={job.createdOn} />
            </td>
            <td>
              <Timestamp short value={job.completedOn} />
            </td>
            <td className="table__detail">
              {job.error ? (
                <span className="ops-error-text">{job.error}</span>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            {rowAction && <td>{rowAction(job)}</td>}
          </tr>
        )}
        empty={
          emptyText ??
          (search
            ? `No job in ${queue ?? 'any queue'}${stateWords} matches “${search}”.`
            : `No jobs in ${queue}${stateWords}.`)
        }
        emptyTestId="jobs-empty"
        pagerLabel="jobs"
      />
    </div>
  );
}
