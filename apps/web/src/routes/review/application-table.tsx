import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { DataTable } from '../../components/list-panel.tsx';
import type { RouterOutputs } from '../../lib/trpc.ts';

type ReviewedApplication = RouterOutputs['creators']['get'];

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

/** One row of an ApplicationsTable: `children` are the cells of its columns; `verb` names the link. */
export function ApplicationRow({
  application,
  testId,
  verb,
  children,
}: {
  application: Pick<ReviewedApplication, 'id' | 'applicant'>;
  testId: string;
  verb: 'Review' | 'Open';
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
          aria-label={`${verb} the application of ${name}`}
        >
          {verb}
        </Link>
      </td>
    </tr>
  );
}
