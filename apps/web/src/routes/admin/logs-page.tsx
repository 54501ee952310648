import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { Form } from '../../components/form.tsx';
import { FilterActions, SelectField, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterInputs, type RouterOutputs } from '../../lib/trpc.ts';
import { AttributeViewer, LevelPill, LOG_LEVEL_NAMES } from './log-level.tsx';

type LogFilters = Omit<Extract<RouterInputs['logs']['query'], object>, 'cursor' | 'limit'>;
type LogEvent = RouterOutputs['logs']['query']['items'][number];

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

const PARAMS = ['level', 'source', 'q', 'range', 'from', 'to', 'platform'] as const;

function localToDate(value: string | null): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The URL's filters → the query's input; relative ranges end "now" (re-evaluated on every fetch). */
function filtersOf(params: URLSearchParams, now: number): LogFilters {
  const filters: LogFilters = {};
  const level = params.get('level');
  if (level && (LOG_LEVEL_NAMES as readonly string[]).includes(level)) {
    filters.level = level as (typeof LOG_LEVEL_NAMES)[number];
  }
  const source = params.get('source')?.trim();
  if (source) filters.source = source;
  const q = params.get('q')?.trim();
  if (q) filters.q = q;
  const range = RANGES.find((r) => r.value === (params.get('range') ?? '24h'));
  if (range?.ms) filters.from = new Date(now - range.ms);
  if (range?.value === 'custom') {
    const from = localToDate(params.get('from'));
    const to = localToDate(params.get('to'));
    if (from) filters.from = from;
    if (to) filters.to = to;
  }
  if (params.get('platform') === '1') filters.platform = true;
  return filters;
}

/**
 * Admin → Logs (SPEC §7): the organisation's log events, newest first. Every filter lives in the URL
 * (a view can be bookmarked and shared); "Live tail" refetches the first page every two seconds.
 */
export function LogsPage() {
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const [tail, setTail] = useState(false);
  const [draft, setDraft] = useState(() => Object.fromEntries(PARAMS.map((p) => [p, params.get(p) ?? ''])));
  useEffect(() => {
    setDraft(Object.fromEntries(PARAMS.map((p) => [p, params.get(p) ?? ''])));
  }, [params]);
  // Relative ranges are anchored when the filters change (and on every tail refresh).
  const [anchor, setAnchor] = useState(() => Date.now());
  const filters = filtersOf(params, anchor);
  const pages = useCursorPages(params.toString());
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
  const set = (key: string) => (event: { target: { value: string } }) =>
    setDraft({ ...draft, [key]: event.target.value });

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of PARAMS) {
      const value = draft[key]?.trim();
      if (value) next.set(key, value);
    }
    setAnchor(Date.now());
    setParams(next);
  };
  const range = draft.range || '24h';

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
        <SelectField
          label="Level at least"
          name="level"
          value={draft.level}
          onChange={set('level')}
          errors={filterErrors.level}
        >
          <option value="">Any level</option>
          {LOG_LEVEL_NAMES.map((level) => (
            <option key={level} value={level}>
              {level}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Source"
          name="source"
          placeholder="billing.api"
          value={draft.source}
          onChange={set('source')}
          errors={filterErrors.source}
          hint="Also matches sources under it"
        />
        <TextField
          label="Words in the message"
          name="q"
          placeholder='timeout -retry "card declined"'
          value={draft.q}
          onChange={set('q')}
          errors={filterErrors.q}
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
            <TextField
              label="From"
              type="datetime-local"
              name="from"
              value={draft.from}
              onChange={set('from')}
              errors={filterErrors.from}
            />
            <TextField
              label="Until"
              type="datetime-local"
              name="to"
              value={draft.to}
              onChange={set('to')}
              errors={filterErrors.to}
            />
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
            setParams(new URLSearchParams());
          }}
        />
      </Form>

      <ListPanel
        query={list}
        errorTitle="Could not load the log events"
        inlineFields={[...PARAMS]}
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{pages.page === 1 ? 'No event matches these filters.' : 'No older events.'}</p>}
        emptyTestId="logs-empty"
        pager={{ label: 'log events', pages }}
      >
        {(data) => (
          <DataTable
            label="Log events"
            head={
              <>
                <th scope="col">When</th>
                <th scope="col">Level</th>
                <th scope="col">Source</th>
                <th scope="col">Message</th>
                <th scope="col">Attributes</th>
              </>
            }
          >
            {data.items.map((event) => (
              <LogRow key={event.id} event={event} />
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}

function LogRow({ event }: { event: LogEvent }) {
  return (
    <tr data-testid="log-row" data-level={event.level}>
      <td className="table__nowrap">
        <time dateTime={event.at.toISOString()}>{event.at.toLocaleString()}</time>
      </td>
      <td>
        <LevelPill level={event.level} />
      </td>
      <td>
        <code>{event.source}</code>
      </td>
      <td className="table__detail">
        {event.message}
        {event.requestId && (
          <p className="muted">
            request <code>{event.requestId}</code>
          </p>
        )}
      </td>
      <td>
        <AttributeViewer attributes={event.attributes} />
      </td>
    </tr>
  );
}
