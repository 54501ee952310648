import { useState } from 'react';

/**
 * Cursor paging as the API does it (an opaque `nextCursor` per page): a stack of the cursors that led
 * here, so "Previous" works too. A new `resetKey` (other filters) starts again at page 1.
 */
export function useCursorPages(resetKey: string) {
  const [state, setState] = useState<{ key: string; cursors: string[] }>({ key: resetKey, cursors: [] });
  const cursors = state.key === resetKey ? state.cursors : [];
  if (state.key !== resetKey) setState({ key: resetKey, cursors: [] });
  return {
    /** The cursor of the page shown; undefined on page 1. */
    cursor: cursors.at(-1),
    page: cursors.length + 1,
    next: (cursor: string) => setState({ key: resetKey, cursors: [...cursors, cursor] }),
    previous: () => setState({ key: resetKey, cursors: cursors.slice(0, -1) }),
  };
}

export type CursorPages = ReturnType<typeof useCursorPages>;

/** Client-side pages of a list the API returns whole (roles, the dev mailbox). */
export function usePagedList<T>(items: readonly T[], pageSize: number, resetKey = '') {
  const [state, setState] = useState({ key: resetKey, page: 1 });
  const pageCount = Math.max(1, Math.ceil(items.length / pageSize));
  const requested = state.key === resetKey ? state.page : 1;
  const page = Math.min(requested, pageCount);
  return {
    items: items.slice((page - 1) * pageSize, page * pageSize),
    page,
    pageCount,
    hasPrevious: page > 1,
    hasNext: page < pageCount,
    next: () => setState({ key: resetKey, page: page + 1 }),
    previous: () => setState({ key: resetKey, page: page - 1 }),
  };
}

export type PagedList<T> = ReturnType<typeof usePagedList<T>>;

interface PagerProps {
  page: number;
  /** Known for client-side lists; unknown for cursor paging. */
  pageCount?: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  /** "users", "entries": names the navigation for screen readers. */
  label: string;
  busy?: boolean;
}

export function Pager({
  page,
  pageCount,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  label,
  busy,
}: PagerProps) {
  return (
    <nav className="pager" aria-label={`Pages of ${label}`}>
      <button
        type="button"
        className="button button--quiet"
        disabled={!hasPrevious || busy}
        onClick={onPrevious}
      >
        Previous
      </button>
      <span className="pager__page" aria-live="polite">
        Page {page}
        {pageCount !== undefined && ` of ${pageCount}`}
      </span>
      <button type="button" className="button button--quiet" disabled={!hasNext || busy} onClick={onNext}>
        Next
      </button>
    </nav>
  );
}

/**
 * Previous / Next under a cursor-paged list, from the API's `nextCursor` and the cursor stack of
 * `useCursorPages`. With `hideSinglePage`, a list that fits on one page shows no pager.
 */
export function CursorPager({
  pages,
  nextCursor,
  label,
  busy = false,
  hideSinglePage = false,
}: {
  pages: CursorPages;
  nextCursor: string | null | undefined;
  /** What is listed ("users", "jobs"): names the navigation for screen readers. */
  label: string;
  busy?: boolean;
  hideSinglePage?: boolean;
}) {
  if (hideSinglePage && pages.page === 1 && !nextCursor) return null;
  return (
    <Pager
      label={label}
      page={pages.page}
      hasPrevious={pages.page > 1}
      hasNext={Boolean(nextCursor)}
      onPrevious={pages.previous}
      onNext={() => {
        if (nextCursor) pages.next(nextCursor);
      }}
      busy={busy}
    />
  );
}

/** Previous / Next (and "of N") under a list paged in the browser by `usePagedList`. */
export function PagedListPager<T>({ list, label }: { list: PagedList<T>; label: string }) {
  return (
    <Pager
      label={label}
      page={list.page}
      pageCount={list.pageCount}
      hasPrevious={list.hasPrevious}
      hasNext={list.hasNext}
      onPrevious={list.previous}
      onNext={list.next}
    />
  );
}
