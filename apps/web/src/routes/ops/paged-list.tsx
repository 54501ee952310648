import {
  keepPreviousData,
  type QueryKey,
  type UseQueryOptions,
  type UseQueryResult,
  useQuery,
} from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { CursorPager, type CursorPages, useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { live, PAGE_SIZE } from './ops-queries.ts';

/** One page of an Ops list, as every cursor-paged Ops endpoint answers it. */
interface Page<TItem> {
  items: readonly TItem[];
  nextCursor: string | null;
}

/** What a paged Ops endpoint takes besides its filters. */
interface PageInput {
  limit: number;
  cursor?: string;
}

/** A polled list query and the cursor stack that pages it. */
export interface LivePagedList<TItem> {
  query: UseQueryResult<Page<TItem>, unknown>;
  pages: CursorPages;
}

/**
 * A polled, cursor-paged Ops list. New filters (`filterKey`) start again at page 1; while another page
 * (or the next poll) loads, the page shown stays on screen rather than flashing "Loading…".
 */
export function useLivePagedQuery<TData extends Page<unknown>, TError, TKey extends QueryKey>(
  filterKey: string,
  queryOptionsFor: (page: PageInput) => UseQueryOptions<TData, TError, TData, TKey>,
  /** Pages kept elsewhere (the address: `useUrlCursorPages`) instead of in this component. */
  urlPages?: CursorPages,
) {
  const localPages = useCursorPages(filterKey);
  const pages = urlPages ?? localPages;
  const query = useQuery({
    ...queryOptionsFor({ limit: PAGE_SIZE, ...(pages.cursor ? { cursor: pages.cursor } : {}) }),
    ...live,
    placeholderData: keepPreviousData,
  });
  return { query, pages };
}

interface PagedTableProps<TItem> {
  list: LivePagedList<TItem>;
  /** What is listed ("events", "jobs"): names the pager for screen readers. */
  pagerLabel: string;
  tableTestId: string;
  /** The column headers (`<th>`s). */
  head: ReactNode;
  /** One `<tr>` per item. */
  row: (item: TItem) => ReactNode;
  /** Says what an empty page means here. */
  empty: ReactNode;
  emptyTestId?: string;
}

/**
 * The loaded page: its table (scrolling sideways on narrow screens) or the empty state, then Previous /
 * Next, hidden while everything fits on one page. Nothing before the first answer.
 */
export function PagedTable<TItem>({
  list: { query, pages },
  pagerLabel,
  tableTestId,
  head,
  row,
  empty,
  emptyTestId,
}: PagedTableProps<TItem>) {
  if (!query.data) return null;
  const { items, nextCursor } = query.data;
  return (
    <>
      {items.length === 0 ? (
        <p className="ops-empty" data-testid={emptyTestId}>
          {empty}
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid={tableTestId}>
            <thead>
              <tr>{head}</tr>
            </thead>
            <tbody>{items.map(row)}</tbody>
          </table>
        </div>
      )}
      <CursorPager
        hideSinglePage
        pages={pages}
        nextCursor={nextCursor}
        label={pagerLabel}
        busy={query.isFetching}
      />
    </>
  );
}

/** A failed load (with "Try again") or the first one. After a failed poll the page shown stays under it. */
export function LoadStates({
  query,
  errorTitle,
}: {
  query: UseQueryResult<unknown, unknown>;
  errorTitle: string;
}) {
  return (
    <>
      {query.isError && (
        <ErrorMessage error={query.error} title={errorTitle} onRetry={() => void query.refetch()} />
      )}
      {query.isPending && <p className="muted">Loading…</p>}
    </>
  );
}

interface OpsListSectionProps<TItem> extends PagedTableProps<TItem> {
  /** Heads the failure, e.g. "Could not load the outbox". */
  errorTitle: string;
  /** Names the panel that holds the list, e.g. "Outbox events". */
  label: string;
  /** Shown once the list has loaded, above its panel (the inbox's consumers). */
  above?: ReactNode;
}

/** The list of an Ops page: its load states, then the page of it in a panel of its own. */
export function OpsListSection<TItem>({ errorTitle, label, above, ...table }: OpsListSectionProps<TItem>) {
  return (
    <>
      <LoadStates query={table.list.query} errorTitle={errorTitle} />
      {table.list.query.data && (
        <>
          {above}
          <section className="panel ops-panel-table" aria-label={label}>
            <PagedTable {...table} />
          </section>
        </>
      )}
    </>
  );
}
