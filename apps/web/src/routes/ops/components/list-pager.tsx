import { Pager, type useCursorPages } from '../../../components/cursor-pager.tsx';

/**
 * Previous / Next under an Ops list, from the API's `nextCursor` and the shared cursor stack
 * (`useCursorPages`). A list that fits on one page shows no pager.
 */
export function ListPager({
  pages,
  nextCursor,
  label,
  busy = false,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
  /** What is listed ("jobs", "runs"): names the navigation for screen readers. */
  label: string;
  busy?: boolean;
}) {
  if (pages.page === 1 && !nextCursor) return null;
  return (
    <Pager
      page={pages.page}
      hasPrevious={pages.page > 1}
      hasNext={Boolean(nextCursor)}
      onPrevious={pages.previous}
      onNext={() => {
        if (nextCursor) pages.next(nextCursor);
      }}
      label={label}
      busy={busy}
    />
  );
}
