import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useSession } from '../../auth/use-session.ts';
import { Form } from '../../components/form.tsx';
import { FilterActions, SelectField, TextField } from '../../components/form-field.tsx';
import { ListPanel } from '../../components/list-panel.tsx';
import { fieldBinder } from '../../lib/bind-field.ts';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterInputs } from '../../lib/trpc.ts';
import { useUrlFilters } from '../../lib/use-url-filters.ts';
import { LOG_LEVEL_NAMES, LogEventsTable, LogMatchFields } from './log-level.tsx';

type LogFilters = Omit<Extract<RouterInputs['logs']['query'], object>, 'cursor' | 'limit'>;

const PAGE_SIZE = 50;
const TAIL_INTERVAL_MS = 2_000;

/** Quick time ranges; `custom` uses the From / Until fields. */
const RANGES: ReadonlyArray<{ value: string; label: string; ms?: number }> = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 60 * 60_000 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 60 * 60_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 60 * 60_000 },
  { value: 'all', label: 'Any time' },
  { value: 'custom', label: 'Custom range' },
];

const DEFAULT_FILTERS = { level: '', source: '', q: '', range: '24h', from: '', to: '', platform: '' };
type Filters = typeof DEFAULT_FILTERS;

function localToDate(value: string): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The filters in the address → the query's input; relative ranges end "now" (re-evaluated on every fetch). */
function filtersOf(values: Filters, now: number): LogFilters {
  const filters: LogFilters = {};
  if ((LOG_LEVEL_NAMES as readonly string[]).includes(values.level)) {
    filters.level = values.level as (typeof LOG_LEVEL_NAMES)[number];
  }
  if (values.source.trim()) filters.source = values.source.trim();
  if (values.q.trim()) filters.q = values.q.trim();
  const range = RANGES.find((r) => r.value === values.range);
  if (range?.ms) filters.from = new Date(now - range.ms);
  if (range?.value === 'custom') {
    const from = localToDate(values.from);
    const to = localToDate(values.to);
    if (from) filters.from = from;
    if (to) filters.to = to;
  }
  if (values.platform === '1') filters.platform = true;
  return filters;
}

/**
 * Admin → Logs (SPEC §7): the organisation's log events, newest first. Every filter lives in the URL
 * (a view can be bookmarked and shared); "Live tail" refetches the first page every two seconds.
 */
export function LogsPage() {
  const session = useSession();
  const url = useUrlFilters(DEFAULT_FILTERS);
  const { draft, field: set, pages } = url;
  const [tail, setTail] = useState(false);
  // Relative ranges are anchored when the filters change (and on every tail refresh).
  const [anchor, setAnchor] = useState(() => Date.now());
  const filters = filtersOf(url.applied, anchor);
  const list = useQuery({
    ...api.logs.query.queryOptions({ ...filters, cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  useEffect(() => {
    if (!tail || pages.cursor) return;
    const timer = setInterval(() => setAnchor(Date.now()), TAIL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [tail, pages.cursor]);
  const filterErrors = fieldErrorsOf(list.error);
  const bind = fieldBinder(draft, url.setDraft, filterErrors);

  const apply = (event: FormEvent) => {
    setAnchor(Date.now());
    url.submit(event);
  };
  const range = draft.range;

  return (
    <section className="admin-section" aria-labelledby="logs-title">
      <div className="section-header">
        <h2 id="logs-title">Logs</h2>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={tail}
            onChange={(event) => setTail(event.target.checked)}
            data-testid="live-tail"
          />{' '}
          Live tail {tail && (pages.cursor ? '(first page only)' : '(refreshing every 2 s)')}
        </label>
      </div>
      <p className="muted">
        Events your services send with an API key, and what Atrium itself reports. Secrets such as passwords
        and tokens are removed before anything is stored.
      </p>
      <Form className="filters" onSubmit={apply} aria-label="Filter log events">
        <LogMatchFields
          form="filter"
          values={draft}
          onChange={(name) => set(name as keyof Filters)}
          errors={filterErrors}
        />
        <SelectField label="Time" name="range" value={range} onChange={set('range')}>
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </SelectField>
        {range === 'custom' && (
          <>
            <TextField label="From" type="datetime-local" {...bind('from')} />
            <TextField label="Until" type="datetime-local" {...bind('to')} />
          </>
        )}
        {session.user?.platformRole === 'operator' && (
          <SelectField label="Whose events" name="platform" value={draft.platform} onChange={set('platform')}>
            <option value="">This organisation</option>
            <option value="1">The platform (no organisation)</option>
          </SelectField>
        )}
        <FilterActions
          onReset={() => {
            setAnchor(Date.now());
            url.reset();
          }}
        />
      </Form>

      <ListPanel
        query={list}
        errorTitle="Could not load the log events"
        inlineFields={Object.keys(DEFAULT_FILTERS)}
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{pages.page === 1 ? 'No event matches these filters.' : 'No older events.'}</p>}
        emptyTestId="logs-empty"
        pager={{ label: 'log events', pages }}
      >
        {(data) => <LogEventsTable label="Log events" events={data.items} rowTestId="log-row" />}
      </ListPanel>
    </section>
  );
}
