import { useState } from 'react';
import { useSearchParams } from 'react-router';
import type { CursorPages } from '../../components/cursor-pager.tsx';

/**
 * View state of the Ops lists kept in the address bar — filters, the page, the selected rows — so a
 * reload or a shared link shows the same view. Each list page names its parameters; the helpers here
 * read and write them without disturbing the others.
 */

/** Rows one selection holds at most: what one bulk call accepts (MAX_BULK_IDS in the domain). */
export const MAX_SELECTION = 100;
/** Pages deep a link remembers (each page is one cursor in the address). */
const MAX_PAGES_IN_URL = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `params` with some parameters set (a string) or removed (undefined). */
export function changedParams(
  params: URLSearchParams,
  changes: Record<string, string | readonly string[] | undefined>,
): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [name, value] of Object.entries(changes)) {
    next.delete(name);
    if (typeof value === 'string') next.set(name, value);
    else if (value) for (const item of value) next.append(name, item);
  }
  return next;
}

/** A link's `search` for `params` with these changes ('' when nothing is left). */
export function searchWith(
  params: URLSearchParams,
  changes: Record<string, string | readonly string[] | undefined>,
): string {
  const text = changedParams(params, changes).toString();
  return text ? `?${text}` : '';
}

/**
 * Cursor paging whose stack of cursors lives in the address (`?after=…&after=…`): Next pushes the
 * page's next cursor, Previous pops one. Changing a filter must drop `param` (see `searchWith`).
 */
export function useUrlCursorPages(param = 'after'): CursorPages {
  const [params, setParams] = useSearchParams();
  const cursors = params
    .getAll(param)
    .filter((c) => c.length > 0 && c.length <= 500)
    .slice(0, MAX_PAGES_IN_URL);
  const go = (next: string[]) =>
    setParams((current) => changedParams(current, { [param]: next }), { replace: false });
  return {
    cursor: cursors.at(-1),
    page: cursors.length + 1,
    next: (cursor: string) => go([...cursors, cursor].slice(-MAX_PAGES_IN_URL)),
    previous: () => go(cursors.slice(0, -1)),
  };
}

export interface UrlSelection {
  ids: ReadonlySet<string>;
  has(id: string): boolean;
  /** Selects or unselects one row. */
  toggle(id: string): void;
  /** Selects or unselects these rows together (select all on the page). */
  setMany(ids: readonly string[], selected: boolean): void;
  /**
   * Unticks every row. `feedback` is what the action just done says: a change of address starts a
   * new location, so the message travels in its state (components/feedback.tsx) to stay on screen.
   */
  clear(feedback?: string): void;
  /** Selecting more would pass MAX_SELECTION. */
  full: boolean;
}

/**
 * Selected job ids kept in the address (`?sel=…`, comma-separated, at most MAX_SELECTION valid ids;
 * anything else in the parameter is ignored). Ticking a box replaces the history entry rather than
 * adding one per click.
 */
export function useUrlSelection(param = 'sel'): UrlSelection {
  const [params, setParams] = useSearchParams();
  const inUrl = params.get(param) ?? '';
  // The ticks show at once: the address is written in a transition (react-router), and a controlled
  // checkbox would spring back until it lands. `seen` is the address value the local state follows,
  // `written` what we asked for; any other value is someone else's navigation, which wins.
  const [local, setLocal] = useState(() => ({ ids: parseSelection(inUrl), seen: inUrl, written: inUrl }));
  if (inUrl !== local.seen && inUrl !== local.written) {
    setLocal({ ids: parseSelection(inUrl), seen: inUrl, written: inUrl });
  } else if (inUrl === local.written && inUrl !== local.seen) {
    setLocal({ ...local, seen: inUrl });
  }
  const ids = local.ids;
  const write = (next: Set<string>, feedback?: string) => {
    const value = [...next].slice(0, MAX_SELECTION).join(',');
    setLocal({ ids: next, seen: inUrl, written: value });
    setParams((current) => changedParams(current, { [param]: value || undefined }), {
      replace: true,
      ...(feedback ? { state: { feedback } } : {}),
    });
  };
  return {
    ids,
    has: (id) => ids.has(id),
    toggle: (id) => {
      const next = new Set(ids);
      if (next.has(id)) next.delete(id);
      else if (next.size < MAX_SELECTION) next.add(id);
      write(next);
    },
    setMany: (rows, selected) => {
      const next = new Set(ids);
      for (const id of rows) {
        if (!selected) next.delete(id);
        else if (next.size < MAX_SELECTION) next.add(id);
      }
      write(next);
    },
    clear: (feedback) => write(new Set(), feedback),
    full: ids.size >= MAX_SELECTION,
  };
}

/** The valid ids of a `sel` parameter, at most MAX_SELECTION; anything else in it is ignored. */
export function parseSelection(value: string): Set<string> {
  return new Set(
    value
      .split(',')
      .map((id) => id.trim().toLowerCase())
      .filter((id) => UUID.test(id))
      .slice(0, MAX_SELECTION),
  );
}
