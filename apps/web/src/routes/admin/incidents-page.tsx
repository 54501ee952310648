import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextAreaField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { RESYNC_EVENT, useRealtimeEvents } from '../../lib/realtime.ts';
import { formatDateTimeWithZone } from '../../lib/time-format.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { useUrlFilters } from '../../lib/use-url-filters.ts';
import { LogEventsTable } from './log-level.tsx';

type Incident = RouterOutputs['incidents']['list']['items'][number];
type Status = Incident['status'];

const STATUS_PILL: Record<Status, string> = {
  open: 'pill pill--down',
  acknowledged: 'pill pill--warn',
  resolved: 'pill pill--ok',
};

const FILTERS: ReadonlyArray<{ value: Status | 'all'; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'resolved', label: 'Resolved' },
];

const LIVE_TYPES = new Set(['incident.opened', 'incident.updated', RESYNC_EVENT]);

/** Refetches incidents whenever one opens or changes (live events), on every page that shows them. */
function useLiveIncidents() {
  const queryClient = useQueryClient();
  useRealtimeEvents((event) => {
    if (LIVE_TYPES.has(event.type)) void queryClient.invalidateQueries({ queryKey: api.incidents.pathKey() });
  });
}

/** Admin → Incidents (SPEC §7): what the alert rules opened, newest first; new ones appear live. */
export function IncidentsPage() {
  useLiveIncidents();
  const session = useSession();
  // The tab and the page live in the address: a reload or a shared link shows the same list.
  const url = useUrlFilters({ status: '', scope: '' });
  const { pages } = url;
  const status = (FILTERS.find((f) => f.value === url.applied.status)?.value ?? 'all') as Status | 'all';
  const scope = url.applied.scope === 'platform' ? 'platform' : 'org';
  const list = useQuery({
    ...api.incidents.list.queryOptions({
      ...(status === 'all' ? {} : { status }),
      scope,
      cursor: pages.cursor,
      limit: 25,
    }),
    placeholderData: keepPreviousData,
  });
  const setParam = (key: 'status' | 'scope', value: string | null) =>
    url.apply({ ...url.applied, [key]: value ?? '' });
  return (
    <section className="admin-section" aria-labelledby="incidents-title">
      <div className="section-header">
        <h2 id="incidents-title">Incidents</h2>
      </div>
      <nav className="ops-tabs" aria-label="Show incidents">
        {FILTERS.map(({ value, label }) => (
          <button
            key={value}
            type="button"
            className="ops-tabs__tab"
            aria-pressed={status === value}
            onClick={() => setParam('status', value === 'all' ? null : value)}
          >
            {label}
          </button>
        ))}
        {session.user?.platformRole === 'operator' && (
          <button
            type="button"
            className="ops-tabs__tab"
            aria-pressed={scope === 'platform'}
            onClick={() => setParam('scope', scope === 'platform' ? null : 'platform')}
          >
            Platform (every organisation)
          </button>
        )}
      </nav>
      <ListPanel
        query={list}
        errorTitle="Could not load the incidents"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>No incidents{status === 'all' ? '' : ` ${status}`}. Nothing needs your attention.</p>}
        emptyTestId="incidents-empty"
        pager={{ label: 'incidents', pages }}
      >
        {(data) => (
          <DataTable
            label="Incidents"
            head={
              <>
                <th scope="col">Incident</th>
                <th scope="col">Status</th>
                <th scope="col" className="table__numeric">
                  Events
                </th>
                <th scope="col">Opened</th>
                <th scope="col">Last event</th>
              </>
            }
          >
            {data.items.map((incident) => (
              <tr key={incident.id} data-testid="incident-row" data-status={incident.status}>
                <th scope="row">
                  <Link to={`/admin/incidents/${incident.id}`}>{incident.title}</Link>
                  <p className="muted">
                    {incident.ruleName}
                    {incident.builtIn && ' (built in)'}
                  </p>
                </th>
                <td>
                  <span className={STATUS_PILL[incident.status]}>{incident.status}</span>
                </td>
                <td className="table__numeric">{incident.eventCount}</td>
                <td className="table__nowrap">{formatDateTimeWithZone(incident.openedAt)}</td>
                <td className="table__nowrap">{formatDateTimeWithZone(incident.lastEventAt)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}

/** One incident: its facts, notes, the matching events, and acknowledge / resolve with a note. */
export function IncidentDetailPage() {
  useLiveIncidents();
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const detail = useQuery(api.incidents.get.queryOptions({ id }));
  const [note, setNote] = useState('');
  const act = useMutation({
    mutationFn: (action: 'acknowledge' | 'resolve') =>
      action === 'acknowledge'
        ? trpc.incidents.acknowledge.mutate({ id, ...(note.trim() ? { note: note.trim() } : {}) })
        : trpc.incidents.resolve.mutate({ id, ...(note.trim() ? { note: note.trim() } : {}) }),
    onSuccess: () => {
      setNote('');
      void queryClient.invalidateQueries({ queryKey: api.incidents.pathKey() });
      void queryClient.invalidateQueries({ queryKey: api.alertRules.pathKey() });
    },
  });
  const submit = (action: 'acknowledge' | 'resolve') => (event: FormEvent) => {
    event.preventDefault();
    act.mutate(action);
  };
  if (detail.isError) {
    return (
      <ErrorMessage
        error={detail.error}
        title="Could not load the incident"
        onRetry={() => void detail.refetch()}
      />
    );
  }
  if (detail.isPending) return <p className="muted">Loading…</p>;
  const incident = detail.data;
  return (
    <section className="admin-section" aria-labelledby="incident-title">
      <p>
        <Link to="/admin/incidents">← All incidents</Link>
      </p>
      <div className="section-header">
        <h2 id="incident-title">{incident.title}</h2>
        <span className={STATUS_PILL[incident.status]} data-testid="incident-status">
          {incident.status}
        </span>
      </div>
      <dl className="facts">
        <dt>Rule</dt>
        <dd>
          {incident.ruleName}
          {incident.builtIn && ' (built in)'}
        </dd>
        <dt>Events</dt>
        <dd data-testid="incident-count">{incident.eventCount}</dd>
        <dt>Opened</dt>
        <dd>{formatDateTimeWithZone(incident.openedAt)}</dd>
        <dt>Last event</dt>
        <dd>{formatDateTimeWithZone(incident.lastEventAt)}</dd>
        {incident.acknowledgedAt && (
          <>
            <dt>Acknowledged</dt>
            <dd>{formatDateTimeWithZone(incident.acknowledgedAt)}</dd>
          </>
        )}
        {incident.resolvedAt && (
          <>
            <dt>Resolved</dt>
            <dd>{formatDateTimeWithZone(incident.resolvedAt)}</dd>
          </>
        )}
      </dl>

      {incident.status !== 'resolved' && (
        <Form
          error={act.error}
          className="panel"
          onSubmit={submit('resolve')}
          aria-label="Act on the incident"
        >
          <TextAreaField
            label="Note (optional)"
            name="note"
            rows={2}
            value={note}
            onChange={(e) => setNote(e.target.value)}
          />
          {act.isError && <ErrorMessage error={act.error} title="That did not work" />}
          <div className="row-actions">
            {incident.status === 'open' && (
              <button
                type="button"
                className="button button--quiet"
                disabled={act.isPending}
                onClick={() => act.mutate('acknowledge')}
              >
                Acknowledge
              </button>
            )}
            <button type="submit" className="button" disabled={act.isPending}>
              Resolve
            </button>
          </div>
        </Form>
      )}

      {incident.notes.length > 0 && (
        <div className="panel">
          <h3>Notes</h3>
          <ul>
            {incident.notes.map((n) => (
              <li key={n.id}>
                <strong>{n.action}</strong> {formatDateTimeWithZone(n.createdAt)}
                {n.body && <>: {n.body}</>}
              </li>
            ))}
          </ul>
        </div>
      )}

      <div className="panel">
        <h3>Matching events</h3>
        {incident.events.length === 0 ? (
          <p className="muted">The events behind it are no longer kept.</p>
        ) : (
          <LogEventsTable label="Matching events" events={incident.events} rowTestId="incident-event" />
        )}
      </div>
    </section>
  );
}
