import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { useRealtimeStatus } from '../../lib/realtime.ts';
import { formatClockTime, formatDuration, formatLatency } from '../../lib/time-format.ts';
import { api, type RouterOutputs } from '../../lib/trpc.ts';
import { StatePill } from './components/state-pill.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { formatAge, formatCount } from './format.ts';
import { live, OPS_REFRESH_MS, queuePath } from './ops-queries.ts';

type PlatformHealth = RouterOutputs['ops']['health'];
type RegisteredProcess = PlatformHealth['registered'][number];

/** How often the health panel asks the API (which probes the worker and the scheduler, 2 s timeout). */
const HEALTH_REFRESH_MS = 10_000;

const PROCESS_LABEL: Record<string, string> = {
  api: 'API',
  worker: 'Worker (configured URL)',
  scheduler: 'Scheduler (configured URL)',
};

export function OverviewPage() {
  const kpis = useQuery({ ...api.ops.kpis.queryOptions(), ...live });
  const realtime = useRealtimeStatus();
  // Process readiness is infrastructure detail: platform operators only.
  const isOperator = useSession().user?.platformRole === 'operator';
  const health = useQuery({
    ...api.ops.health.queryOptions(),
    refetchInterval: HEALTH_REFRESH_MS,
    staleTime: 0,
    enabled: isOperator,
  });
  const data = kpis.data;
  const missing = health.data?.registered.filter((p) => p.status === 'missing') ?? [];
  // The KPIs say it in the caller's scope; for operators the health check (every 10 s) says it too.
  const unconsumed = [
    ...new Map(
      [...(health.data?.unconsumedQueues ?? []), ...(data?.unconsumedQueues ?? [])].map((q) => [q.queue, q]),
    ).values(),
  ];
  const alarm = unconsumed.length > 0 || missing.length > 0;
  const canSeeIncidents = useSession().can('incidents.manage');
  const incidents = useQuery({
    ...api.incidents.openCount.queryOptions(),
    ...live,
    enabled: canSeeIncidents,
  });

  return (
    <section className="ops-section" aria-labelledby="ops-overview-title">
      <header className="ops-section__header">
        <h2 id="ops-overview-title">Overview</h2>
        {data && (
          <span className="tag" data-testid="ops-scope" data-scope={data.scope}>
            {data.scope === 'platform' ? 'Whole platform' : "Your organisation's share"}
          </span>
        )}
        {data && (
          <span className="muted ops-updated">
            Updated {formatClockTime(kpis.dataUpdatedAt)} ·{' '}
            {realtime === 'live' ? 'live' : `refreshes every ${OPS_REFRESH_MS / 1000} s`}
          </span>
        )}
      </header>

      {data && (
        <OverallStatus alarm={alarm} unconsumed={unconsumed} missing={missing} isOperator={isOperator} />
      )}
      {kpis.isError && <ErrorMessage error={kpis.error} title="Could not load the KPIs" />}
      {kpis.isPending && <p className="muted">Loading…</p>}
      {data && (
        <dl className="ops-kpis" data-testid="ops-kpis">
          <Kpi id="queued" label="Queued" value={formatCount(data.queued)}>
            <Link to="/ops/queues">waiting in worked queues</Link>
          </Kpi>
          <Kpi id="active" label="Running" value={formatCount(data.active)}>
            jobs a worker holds now
          </Kpi>
          <Kpi id="completed" label="Completed, last hour" value={formatCount(data.completedLastHour)} />
          <Kpi
            id="failed"
            label="Failed, last hour"
            value={formatCount(data.failedLastHour)}
            alert={data.failedLastHour > 0}
          >
            retries exhausted
          </Kpi>
          <Kpi
            id="dead-letters"
            label="Dead letters"
            value={formatCount(data.deadLetters)}
            alert={data.deadLetters > 0}
          >
            <Link to="/ops/failures?tab=dead-letters">waiting for redrive</Link>
          </Kpi>
          {incidents.data && (
            <Kpi
              id="open-incidents"
              label="Open incidents"
              value={formatCount(incidents.data.open)}
              alert={incidents.data.open > 0}
            >
              <Link to={isOperator ? '/admin/incidents?scope=platform' : '/admin/incidents'}>
                not yet resolved
              </Link>
            </Kpi>
          )}
          <Kpi id="oldest-waiting" label="Oldest waiting" value={formatAge(data.oldestWaitingSeconds)}>
            longest a runnable job has waited
          </Kpi>
          <Kpi
            id="paused"
            label="Paused queues"
            value={formatCount(data.pausedQueues)}
            alert={data.pausedQueues > 0}
          />
          <Kpi
            id="outbox"
            label="Outbox"
            value={`${formatCount(data.outbox.pending)} pending`}
            alert={data.outbox.failed > 0}
          >
            <Link to="/ops/outbox">
              {formatCount(data.outbox.failed)} failed · lag {formatDuration(data.outbox.lagSeconds)}
            </Link>
          </Kpi>
        </dl>
      )}

      {isOperator && health.data && <ProcessesPanel processes={health.data.registered} />}

      {isOperator && (
        <HealthPanel
          health={health.data}
          error={health.isError ? health.error : null}
          pending={health.isPending}
        />
      )}
    </section>
  );
}

/**
 * The one line an operator reads first: green when work flows, red when a queue has waiting work and
 * no live worker, or a registered process stopped beating — naming the queue and the process.
 */
function OverallStatus({
  alarm,
  unconsumed,
  missing,
  isOperator,
}: {
  alarm: boolean;
  unconsumed: Array<{ queue: string; waiting: number }>;
  missing: RegisteredProcess[];
  isOperator: boolean;
}) {
  if (!alarm) {
    return (
      <p className="ops-status ops-status--ok" data-testid="ops-status" data-status="ok">
        <span className="badge__dot" aria-hidden="true" /> Work is flowing: every queue with waiting jobs has
        a live worker.
      </p>
    );
  }
  return (
    <div className="ops-status ops-status--alarm" role="alert" data-testid="ops-status" data-status="alarm">
      <p className="ops-status__title">Needs attention</p>
      <ul>
        {unconsumed.map(({ queue, waiting }) => (
          <li key={queue} data-testid={`unconsumed-${queue}`}>
            <Link to={queuePath(queue)}>{queue}</Link> has {formatCount(waiting)} waiting{' '}
            {waiting === 1 ? 'job' : 'jobs'} and no live worker to run {waiting === 1 ? 'it' : 'them'}.
            {!isOperator && ' Tell your platform operator.'}
          </li>
        ))}
        {missing.map((process) => (
          <li key={process.id} data-testid={`missing-${process.id}`}>
            {process.kind === 'worker' ? 'Worker' : 'Scheduler'} <strong>{process.name}</strong> is missing:
            no heartbeat for {formatDuration(process.silentForSeconds)} (last seen{' '}
            <Timestamp value={process.lastBeatAt} short />
            ).
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Every worker and scheduler process that registered a heartbeat. */
function ProcessesPanel({ processes }: { processes: RegisteredProcess[] }) {
  const live = processes.filter((p) => p.status === 'live').length;
  return (
    <section className="panel" aria-labelledby="ops-processes-title" data-testid="ops-processes">
      <header className="ops-section__header">
        <h3 id="ops-processes-title">Processes</h3>
        <span className="muted">
          {formatCount(live)} live {live === 1 ? 'process' : 'processes'}
        </span>
      </header>
      <p className="muted">
        Every worker and scheduler registers itself and sends a heartbeat; one that misses three beats is
        marked missing.
      </p>
      {processes.length === 0 ? (
        <p className="ops-status ops-status--alarm" role="alert">
          No worker or scheduler has registered: nothing runs jobs or schedules.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Process</th>
                <th scope="col">Status</th>
                <th scope="col">Runs</th>
                <th scope="col">Version</th>
                <th scope="col">Started</th>
                <th scope="col">Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {processes.map((process) => (
                <tr
                  key={process.id}
                  data-testid={`process-${process.id}`}
                  data-name={process.name}
                  data-status={process.status}
                >
                  <th scope="row">
                    {process.kind === 'worker' ? 'Worker' : 'Scheduler'} <code>{process.name}</code>
                  </th>
                  <td>
                    <StatePill state={process.status} />
                    {process.readiness && process.readiness.status !== 'ok' && (
                      <span className="ops-checks__error"> {process.readiness.status}</span>
                    )}
                  </td>
                  <td>
                    {process.kind === 'scheduler' ? (
                      'schedules'
                    ) : (
                      <span title={process.queues.map((q) => q.queue).join(', ')}>
                        {formatCount(process.queues.length)}{' '}
                        {process.queues.length === 1 ? 'queue' : 'queues'} ×{' '}
                        {process.queues[0]?.concurrency ?? 0} at once
                      </span>
                    )}
                  </td>
                  <td>{process.version}</td>
                  <td>
                    <Timestamp value={process.startedAt} short />
                  </td>
                  <td>
                    {process.status === 'stopped' ? (
                      <span className="muted">
                        stopped <Timestamp value={process.stoppedAt} short />
                      </span>
                    ) : (
                      <span>{formatDuration(process.silentForSeconds)} ago</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Kpi({
  id,
  label,
  value,
  alert = false,
  children,
}: {
  id: string;
  label: string;
  value: string;
  alert?: boolean;
  children?: ReactNode;
}) {
  return (
    <div className={`ops-kpi${alert ? ' ops-kpi--alert' : ''}`} data-testid={`kpi-${id}`}>
      <dt>{label}</dt>
      <dd>
        <span className="ops-kpi__value">{value}</span>
        {children && <span className="ops-kpi__note">{children}</span>}
      </dd>
    </div>
  );
}

function HealthPanel({
  health,
  error,
  pending,
}: {
  health: PlatformHealth | undefined;
  error: unknown;
  pending: boolean;
}) {
  const processes = [
    ...Object.entries(health?.processes ?? {}),
    ...(health?.registered ?? []).flatMap((p) =>
      p.readiness ? [[`${p.kind} ${p.name}`, p.readiness] as const] : [],
    ),
  ];
  return (
    <section
      className="panel ops-health"
      aria-labelledby="ops-health-title"
      data-stale={Boolean(error && health)}
    >
      <header className="ops-section__header">
        <h3 id="ops-health-title">Health</h3>
        {health && (
          <output
            className={`badge badge--${health.status}`}
            data-testid="ops-health-status"
            data-status={health.status}
          >
            <span className="badge__dot" aria-hidden="true" />
            {health.status === 'ok' ? 'OK' : 'Degraded'}
          </output>
        )}
      </header>
      <p className="muted">
        Readiness of the API (its own checks) and of every live worker and scheduler on this host (their{' '}
        <code>/health/ready</code>, probed by the API). Refreshes every {HEALTH_REFRESH_MS / 1000} s.{' '}
        <Link to="/status">System status</Link> shows the API alone.
      </p>
      {health && health.problems.length > 0 && (
        <ul className="ops-checks" data-testid="ops-health-problems">
          {health.problems.map((problem) => (
            <li key={problem} className="ops-checks__error">
              {problem}
            </li>
          ))}
        </ul>
      )}
      {Boolean(error) && <ErrorMessage error={error} title="Could not check health" />}
      {pending && !error && <p className="muted">Checking…</p>}
      {processes.length > 0 && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Process</th>
                <th scope="col">Status</th>
                <th scope="col">Checks</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {processes.map(([name, process]) => (
                <tr key={name} data-testid={`health-${name}`} data-status={process.status}>
                  <th scope="row">{PROCESS_LABEL[name] ?? name}</th>
                  <td>
                    <StatePill state={process.status} />
                  </td>
                  <td>
                    {Object.keys(process.checks).length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      <ul className="ops-checks">
                        {Object.entries(process.checks).map(([check, result]) => (
                          <li key={check} data-status={result.status}>
                            <code>{check}</code> <StatePill state={result.status} />{' '}
                            <span className="muted">{formatLatency(result.latencyMs)}</span>
                            {result.error && <span className="ops-checks__error"> {result.error}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td className="table__detail">
                    {process.url && <code>{process.url}</code>}
                    {process.latencyMs !== null && (
                      <span className="muted"> · {formatLatency(process.latencyMs)}</span>
                    )}
                    {process.error && <span className="ops-checks__error"> {process.error}</span>}
                    {!process.url && !process.error && <span className="muted">in-process</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
