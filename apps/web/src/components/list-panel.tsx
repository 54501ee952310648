import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { CursorPager, type CursorPages } from './cursor-pager.tsx';
import { ErrorMessage } from './error-message.tsx';

interface ListPanelProps<T> {
  query: UseQueryResult<T>;
  /** Heads the failure, e.g. "Could not load users". */
  errorTitle: string;
  /** Filter fields that show their own errors: left out of the failure's list. */
  inlineFields?: readonly string[];
  /** Whether the loaded data is nothing to list (the empty state instead of the list). */
  isEmpty: (data: T) => boolean;
  /** The empty state's content, e.g. "No user matches these filters." */
  empty: ReactNode;
  /** Marks the empty state for tests. */
  emptyTestId?: string;
  /** The list itself (a table), in the panel. */
  children: (data: T) => ReactNode;
  /** A cursor-paged list: the pager under it (`label` names what is listed, e.g. "users"). */
  pager?: T extends { nextCursor: string | null } ? { label: string; pages: CursorPages } : never;
}

/**
 * The states of a listing in one place: the query's failure (with "Try again"), "Loading…", the
 * empty state, or the loaded list (and its pager) — the last two in a panel.
 */
export function ListPanel<T>({
  query,
  errorTitle,
  inlineFields,
  isEmpty,
  empty,
  emptyTestId,
  children,
  pager,
}: ListPanelProps<T>) {
  if (query.isError) {
    return (
      <ErrorMessage
        error={query.error}
        title={errorTitle}
        onRetry={() => void query.refetch()}
        inlineFields={inlineFields}
      />
    );
  }
  if (query.isPending) return <p className="muted">Loading…</p>;
  if (isEmpty(query.data)) {
    return (
      <div className="panel" data-testid={emptyTestId}>
        {empty}
      </div>
    );
  }
  return (
    <div className="panel">
      {children(query.data)}
      {pager && (
        <CursorPager
          label={pager.label}
          pages={pager.pages}
          nextCursor={(query.data as { nextCursor: string | null }).nextCursor}
          busy={query.isFetching}
        />
      )}
    </div>
  );
}

/** A table that scrolls sideways on narrow screens: `label` names it, `head` holds its column headers. */
export function DataTable({
  label,
  head,
  children,
}: {
  label: string;
  head: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table className="table" aria-label={label}>
        <thead>
          <tr>{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
