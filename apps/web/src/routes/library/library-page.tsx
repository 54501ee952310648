import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { plural } from '../../lib/plural.ts';
import { api, type RouterInputs, type RouterOutputs } from '../../lib/trpc.ts';

const PAGE_SIZE = 20;
type SearchInput = RouterInputs['discovery']['search'];
type Facet = RouterOutputs['discovery']['search']['facets']['category'];
const FILTERS = ['mediaType', 'category', 'language'] as const;
type FilterName = (typeof FILTERS)[number];
const FILTER_LABELS: Record<FilterName, string> = {
  mediaType: 'Type',
  category: 'Category',
  language: 'Language',
};
const MEDIA_LABELS: Record<string, string> = { video: 'Video', audio: 'Audio' };

function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(undefined, { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

const valueLabel = (filter: FilterName, value: string) =>
  filter === 'mediaType'
    ? (MEDIA_LABELS[value] ?? value)
    : filter === 'language'
      ? languageName(value)
      : value;

function formatDuration(seconds: number | null): string | null {
  if (seconds === null) return null;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
    : `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * The Library (SPEC §4 discovery, §11): instant search over an org's published content, facets with
 * their counts, filters and page kept in the address (shareable, back button works), typo-tolerant
 * (the search does that), and an empty state that says what to try. `itemPath` builds the link of a
 * result: the public library and the in-app one open their own content page.
 */
export function LibraryPage({
  orgSlug,
  orgName,
  itemPath,
}: {
  orgSlug: string;
  orgName?: string | undefined;
  itemPath: (id: string) => string;
}) {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const [typed, setTyped] = useState(q);

  // Instant search: the address follows the typing after a short pause.
  useEffect(() => {
    if (typed === q) return;
    const timer = setTimeout(() => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (typed.trim()) next.set('q', typed);
          else next.delete('q');
          next.delete('page');
          return next;
        },
        { replace: true },
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [typed, q, setParams]);

  const input: SearchInput = { orgSlug, q, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE };
  for (const filter of FILTERS) {
    const value = params.get(filter);
    if (value) (input as Record<string, unknown>)[filter] = value;
  }
  const results = useQuery({
    ...api.discovery.search.queryOptions(input),
    placeholderData: keepPreviousData,
  });

  const toggle = (filter: FilterName, value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (next.get(filter) === value) next.delete(filter);
      else next.set(filter, value);
      next.delete('page');
      return next;
    });
  const goTo = (target: number) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (target <= 1) next.delete('page');
      else next.set('page', String(target));
      return next;
    });
  const active = FILTERS.filter((filter) => params.get(filter));
  const data = results.data;
  const pages = data ? Math.max(1, Math.ceil(Math.min(data.total, 10_000) / PAGE_SIZE)) : 1;

  return (
    <section className="page page--wide library" aria-labelledby="library-title">
      <header className="page__header">
        <h1 id="library-title">{orgName ? `${orgName} — Library` : 'Library'}</h1>
        <p className="muted">
          Videos and audio published here. Search by title, category, description or author.
        </p>
      </header>
      <div className="library__search">
        <label className="visually-hidden" htmlFor="library-q">
          Search the library
        </label>
        <input
          id="library-q"
          className="input"
          type="search"
          placeholder="Search — typos are fine"
          value={typed}
          maxLength={200}
          onChange={(event) => setTyped(event.target.value)}
        />
        {data && (
          <p className="muted" aria-live="polite" data-testid="library-total">
            {plural(data.total, 'result')}
          </p>
        )}
      </div>
      <div className="library__layout">
        <aside className="library__facets" aria-label="Filters">
          {data &&
            FILTERS.map((filter) => (
              <FacetGroup
                key={filter}
                filter={filter}
                values={data.facets[filter]}
                selected={params.get(filter)}
                onToggle={toggle}
              />
            ))}
          {active.length > 0 && (
            <button
              type="button"
              className="button button--quiet"
              onClick={() =>
                setParams((current) => {
                  const next = new URLSearchParams(current);
                  for (const filter of FILTERS) next.delete(filter);
                  next.delete('page');
                  return next;
                })
              }
            >
              Clear filters
            </button>
          )}
        </aside>
        <div className="library__results">
          {results.isError ? (
            <ErrorMessage
              error={results.error}
              title="Could not search the library"
              onRetry={() => void results.refetch()}
            />
          ) : !data ? (
            <p className="muted">Loading…</p>
          ) : data.items.length === 0 ? (
            <div className="panel" data-testid="library-empty">
              {q || active.length > 0 ? (
                <>
                  <h2>Nothing matches{q ? ` “${q}”` : ''}</h2>
                  <p>Try fewer or different words{active.length > 0 ? ', or clear the filters' : ''}.</p>
                </>
              ) : (
                <>
                  <h2>Nothing published yet</h2>
                  <p>When creators publish videos or audio, they appear here.</p>
                </>
              )}
            </div>
          ) : (
            <ul className="library__grid" aria-label="Results">
              {data.items.map((item) => (
                <li key={item.id} className="library__card">
                  <Link to={itemPath(item.id)} className="library__link">
                    {item.media?.thumbnailUrl ? (
                      <img src={item.media.thumbnailUrl} alt="" loading="lazy" className="library__thumb" />
                    ) : (
                      <span className="library__thumb library__thumb--empty" aria-hidden="true">
                        {item.media?.mediaType === 'audio' ? '♪' : '▶'}
                      </span>
                    )}
                    <span className="library__title">{item.title}</span>
                  </Link>
                  <span className="muted library__meta">
                    {[
                      item.media ? MEDIA_LABELS[item.media.mediaType] : null,
                      formatDuration(item.durationSeconds),
                      languageName(item.language),
                      item.authorName,
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {data && pages > 1 && (
            <nav className="pager" aria-label="Result pages">
              <button
                type="button"
                className="button button--quiet"
                disabled={page <= 1}
                onClick={() => goTo(page - 1)}
              >
                Previous
              </button>
              <span className="pager__page">
                Page {page} of {pages}
              </span>
              <button
                type="button"
                className="button button--quiet"
                disabled={page >= pages}
                onClick={() => goTo(page + 1)}
              >
                Next
              </button>
            </nav>
          )}
        </div>
      </div>
    </section>
  );
}

function FacetGroup({
  filter,
  values,
  selected,
  onToggle,
}: {
  filter: FilterName;
  values: Facet;
  selected: string | null;
  onToggle: (filter: FilterName, value: string) => void;
}) {
  if (values.length === 0 && !selected) return null;
  return (
    <fieldset className="library__facet">
      <legend>{FILTER_LABELS[filter]}</legend>
      <ul className="plain-list">
        {values.slice(0, 12).map((facet) => (
          <li key={facet.value}>
            <label className="checkbox">
              <input
                type="checkbox"
                checked={selected === facet.value}
                onChange={() => onToggle(filter, facet.value)}
              />{' '}
              {valueLabel(filter, facet.value)} <span className="muted">({facet.count})</span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
