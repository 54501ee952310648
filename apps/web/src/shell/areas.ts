/**
 * Which areas of the app are built. An area that is not stays out of the navigation (its URL still
 * shows an honest placeholder), so people are not sent to pages that only say "coming later".
 *
 * Building an area? Set its flag to `true` in the change that lands it — that is all it takes to put
 * it in the navigation.
 */
export const AREAS_BUILT = {
  /** Library: discovery search and content pages. */
  library: true,
  /** Datasets: lists, viewers, the ingest wizard. */
  datasets: true,
  /** Workplace: spaces, people, rooms, AIMS sync. */
  workplace: true,
  /** Todos. */
  todos: true,
} as const satisfies Record<string, boolean>;

export type Area = keyof typeof AREAS_BUILT;
