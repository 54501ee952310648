import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { DataTable } from '../../components/list-panel.tsx';
import type { RouterOutputs } from '../../lib/trpc.ts';

type ReviewedApplication = RouterOutputs['creators']['get'];

/** Where an application page's "Back" link leads: the list it was opened from (router state). */
export interface ReturnTo {
  path: string;
  /** e.g. "the decided applications" */
  label: string;
}

export const PENDING_QUEUE: ReturnTo = { path: '/review/applications', label: 'the pending applications' };
export const DECIDED_HISTORY: ReturnTo = { path: '/review/decided', label: 'the decided applications' };

/** The list to go back to from an application page, read from the router state its link set. */
export function returnToOf(state: unknown): ReturnTo {
  return state && typeof state === 'object' && 'returnTo' in state && state.returnTo === DECIDED_HISTORY.path
    ? DECIDED_HISTORY
    : PENDING_QUEUE;
}

/**
 * A table of creator applications for reviewers (the queue, the history): the applicant first, the
 * given columns, and a link to each application last.
 */
export function ApplicationsTable({
  label,
  columns,
  children,
}: {
  label: string;
  /** The headers between "Applicant" and the link column. */
  columns: readonly string[];
  children: ReactNode;
}) {
  return (
    <DataTable
      label={label}
      head={
        <>
          <th scope="col">Applicant</th>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </>
      }
    >
      {children}
    </DataTable>
  );
}

/**
 * One row of an ApplicationsTable: `children` are the cells of its columns; `verb` names the link,
 * which remembers the list (`from`) so the application page leads back to it.
 */
export function ApplicationRow({
  application,
  testId,
  verb,
  from,
  children,
}: {
  application: Pick<ReviewedApplication, 'id' | 'applicant'>;
  testId: string;
  verb: 'Review' | 'Open';
  from: ReturnTo;
  children: ReactNode;
}) {
  const { name, email } = application.applicant;
  return (
    <tr data-testid={testId} data-email={email}>
      <th scope="row">
        {name}
        <span className="table__sub">{email}</span>
      </th>
      {children}
      <td>
        <Link
          className="button button--quiet"
          to={`/review/applications/${application.id}`}
          state={{ returnTo: from.path }}
          aria-label={`${verb} the application of ${name}`}
        >
          {verb}
        </Link>
      </td>
    </tr>
  );
}
