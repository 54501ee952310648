import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { CursorPages } from '../components/cursor-pager.tsx';

/** The address parameter that holds the cursor stack (one value per page turned). */
const CURSOR_PARAM = 'after';

type FieldChange = (event: { target: { value: string } }) => void;

export interface UrlFilters<D extends Record<string, string>> {
  /** The filters in force: the address's values, or the defaults. */
  applied: D;
  /** What the form shows: the applied values until the person edits them. */
  draft: D;
  setDraft: (next: D) => void;
  /** An onChange for the draft's field `key`. */
  field: (key: keyof D & string) => FieldChange;
  /** Puts `values` (the draft unless given) in the address and starts again at page 1. */
  apply: (values?: D) => void;
  /** For a filter form's onSubmit. */
  submit: (event: FormEvent) => void;
  /** Back to the defaults (the address loses every filter and the page). */
  reset: () => void;
  /** Cursor paging kept in the address: a reload or a shared link opens the same page. */
  pages: CursorPages;
  /** A key that changes whenever the filters do (for anything derived from them). */
  key: string;
}

/**
 * A list's filters and page in the address (`?status=failed&after=…`), so a reload, a shared link or
 * Back shows the same view. `defaults` names the filters and their values when absent; a value equal
 * to its default is left out of the address. Parameters the hook does not own (a page's own, such as
 * the audit log's `chain`) are kept as they are.
 */
export function useUrlFilters<D extends Record<string, string>>(defaults: D): UrlFilters<D> {
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(
    Object.entries(defaults).map(([key, value]) => [key, params.get(key) ?? value]),
  ) as D;
  const key = JSON.stringify(applied);
  // The draft follows the address when it changes (Back, a link), and the person's edits otherwise.
  const [draftState, setDraftState] = useState<{ key: string; draft: D }>({ key, draft: applied });
  const draft = draftState.key === key ? draftState.draft : applied;
  const setDraft = (next: D) => setDraftState({ key, draft: next });

  const write = (values: D, cursors: readonly string[]) => {
    const next = new URLSearchParams();
    for (const [name, value] of params) {
      if (!(name in defaults) && name !== CURSOR_PARAM) next.append(name, value);
    }
    for (const [name, value] of Object.entries(values)) {
      const trimmed = value.trim();
      if (trimmed && trimmed !== defaults[name]) next.set(name, trimmed);
    }
    for (const cursor of cursors) next.append(CURSOR_PARAM, cursor);
    setParams(next);
  };
  const cursors = params.getAll(CURSOR_PARAM);
  const apply = (values: D = draft) => write(values, []);
  return {
    applied,
    draft,
    setDraft,
    field: (name) => (event) => setDraft({ ...draft, [name]: event.target.value }),
    apply,
    submit: (event) => {
      event.preventDefault();
      apply();
    },
    reset: () => write(defaults, []),
    pages: {
      cursor: cursors.at(-1),
      page: cursors.length + 1,
      next: (cursor) => write(applied, [...cursors, cursor]),
      previous: () => write(applied, cursors.slice(0, -1)),
    },
    key,
  };
}
