import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import type { ReadinessReport } from '../../lib/health.ts';
import { formatClockTime, formatDuration, formatLatency } from '../../lib/time-format.ts';
import type { RouterOutputs } from '../../lib/trpc.ts';
import { readinessQuery, STATUS_REFRESH_MS, systemInfoQuery } from './status-queries.ts';

type SystemInfo = RouterOutputs['system']['info'];
type Overall = 'checking' | 'ok' | 'degraded' | 'unreachable';

const OVERALL_LABEL: Record<Overall, string> = {
  checking: 'Checking…',
  ok: 'OK',
  degraded: 'Degraded',
  unreachable: 'Unreachable',
};

const OVERALL_SUMMARY: Record<Overall, string> = {
  checking: 'Asking the API for its readiness…',
  ok: 'Every readiness check passes.',
  degraded: 'At least one dependency is down; the API answers HTTP 503 to readiness probes.',
  unreachable: 'The API did not answer the last readiness probe.',
};

/** Names the API uses for its readiness checks (SPEC §8), in words. Unknown checks show their key. */
const CHECK_LABEL: Record<string, string> = {
  db: 'PostgreSQL',
  pgBoss: 'Job queues (pg-boss)',
  redis: 'Redis',
  meilisearch: 'Meilisearch',
  aims: 'SoluM AIMS',
};

/**
 * System status, for signed-in users: those who operate (`ops.read`: platform operators, org admins)
 * see every readiness check, the API's version and runtime and the active adapters; everyone else
 * reads one plain line — everything works, or something is wrong (docs/ops.md).
 */
export function StatusPage() {
  const operates = useSession().can('ops.read');
  return operates ? <InfrastructureStatus /> : <PlainStatus />;
}

const PLAIN_TEXT: Record<Overall, string> = {
  checking: 'Checking…',
  ok: 'Everything works.',
  degraded: 'Something is wrong on our side. We know; some things may fail until it is fixed.',
  unreachable: 'Atrium cannot be reached right now. Check your connection; this page keeps trying.',
};

function PlainStatus() {
  const readiness = useQuery(readinessQuery());
  const overall: Overall = readiness.isError
    ? 'unreachable'
    : readiness.data
      ? readiness.data.status
      : 'checking';
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <h1 id="page-title">System status</h1>
      </header>
      <div className="panel">
        <p data-testid="status-plain" data-status={overall} aria-live="polite">
          <span className={`badge badge--${overall}`}>
            <span className="badge__dot" aria-hidden="true" />
            {OVERALL_LABEL[overall]}
          </span>{' '}
          {PLAIN_TEXT[overall]}
        </p>
      </div>
    </section>
  );
}

function InfrastructureStatus() {
  const info = useQuery(systemInfoQuery());
  const readiness = useQuery(readinessQuery());

  const overall: Overall = readiness.isError
    ? 'unreachable'
    : readiness.data
      ? readiness.data.status
      : 'checking';
  const updatedAt = Math.max(info.dataUpdatedAt, readiness.dataUpdatedAt);
  const neverReached = info.isError && readiness.isError && !info.data && !readiness.data;
  // Data from an earlier poll stays on screen when a later poll fails, under one banner.
  const staleSince = Math.min(
    ...[info, readiness].filter((query) => query.isError && query.data).map((query) => query.dataUpdatedAt),
  );
  const staleError =
    readiness.isError && readiness.data ? readiness.error : info.isError && info.data ? info.error : null;

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">System status</h1>
          <p className="muted">Live readiness of the API and the engines it depends on.</p>
        </div>
        <output
          className={`badge badge--${overall}`}
          data-testid="status-overall"
          data-status={overall}
          aria-live="polite"
          title={OVERALL_SUMMARY[overall]}
        >
          <span className="badge__dot" aria-hidden="true" />
          {OVERALL_LABEL[overall]}
        </output>
      </header>

      <div className="refresh-line">
        <span data-testid="status-updated">
          {updatedAt > 0 ? (
            <>
              Updated <time dateTime={new Date(updatedAt).toISOString()}>{formatClockTime(updatedAt)}</time>
            </>
          ) : (
            'Not updated yet'
          )}
        </span>
        <span aria-hidden="true">·</span>
        <span>refreshes every {STATUS_REFRESH_MS / 1000} s</span>
        {(info.isFetching || readiness.isFetching) && <span className="spinner" role="presentation" />}
        <button
          type="button"
          className="button button--quiet"
          onClick={() => {
            void info.refetch();
            void readiness.refetch();
          }}
        >
          Refresh now
        </button>
      </div>

      {neverReached ? (
        <div data-testid="status-unreachable">
          <ErrorMessage error={readiness.error} title="API unreachable" />
          <p className="muted">This page keeps trying every {STATUS_REFRESH_MS / 1000} s.</p>
        </div>
      ) : (
        <>
          {staleError && (
            <div className="notice" role="status" data-testid="status-stale">
              <p>
                Showing the state from {formatClockTime(staleSince)}: the latest refresh failed. This page
                keeps trying every {STATUS_REFRESH_MS / 1000} s.
              </p>
              <ErrorMessage error={staleError} />
            </div>
          )}
          <div className="status-grid">
            <ChecksPanel query={readiness} />
            <ServicePanel query={info} />
            <AdaptersPanel query={info} />
          </div>
        </>
      )}
    </section>
  );
}

function ChecksPanel({ query }: { query: UseQueryResult<ReadinessReport> }) {
  const checks = Object.entries(query.data?.checks ?? {});
  return (
    <section className="panel panel--wide" aria-labelledby="checks-title" data-stale={query.isError}>
      <h2 id="checks-title">Readiness checks</h2>
      <p className="muted">
        <code>GET /health/ready</code>: HTTP 200 when every check passes, 503 when one is down.
      </p>
      {query.isPending && !query.isError && <p className="muted">Loading…</p>}
      {query.isError && !query.data && <ErrorMessage error={query.error} />}
      {checks.length > 0 && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Status</th>
                <th scope="col" className="table__numeric">
                  Latency
                </th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {checks.map(([name, check]) => (
                <tr key={name} data-testid={`check-${name}`} data-status={check.status}>
                  <th scope="row">
                    {CHECK_LABEL[name] ?? name} <code className="muted">{name}</code>
                  </th>
                  <td>
                    <span className={`pill pill--${check.status}`}>
                      <span className="pill__dot" aria-hidden="true" />
                      {check.status === 'ok' ? 'ok' : 'down'}
                    </span>
                  </td>
                  <td className="table__numeric">{formatLatency(check.latencyMs)}</td>
                  <td className="table__detail">{check.error ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ServicePanel({ query }: { query: UseQueryResult<SystemInfo> }) {
  const info = query.data;
  return (
    <section className="panel" aria-labelledby="service-title" data-stale={query.isError}>
      <h2 id="service-title">API</h2>
      {query.isPending && !query.isError && <p className="muted">Loading…</p>}
      {query.isError && !info && <ErrorMessage error={query.error} />}
      {info && (
        <dl className="facts" data-testid="status-info">
          <Fact label="Service">{info.name}</Fact>
          <Fact label="Version" testId="status-version">
            {info.version}
          </Fact>
          {info.details && (
            <>
              <Fact label="Environment">{info.details.environment}</Fact>
              <Fact label="Node.js">{info.details.node}</Fact>
              <Fact label="Uptime">{formatDuration(info.details.uptimeSeconds)}</Fact>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

function Fact({ label, testId, children }: { label: string; testId?: string; children: ReactNode }) {
  return (
    <div className="facts__row" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function describeAdapters(adapters: NonNullable<SystemInfo['details']>['adapters']) {
  return [
    {
      id: 'database',
      label: 'Database',
      kind: adapters.database.kind,
      value: 'PostgreSQL',
      note:
        adapters.database.source === 'embedded'
          ? 'embedded, started by the dev stack'
          : 'configured by DATABASE_URL',
    },
    {
      id: 'redis',
      label: 'Cache, rate limits, pub/sub',
      kind: adapters.redis.kind,
      value: adapters.redis.kind === 'redis' ? 'Redis' : 'In-process fallback',
      note:
        adapters.redis.kind === 'redis'
          ? 'configured by REDIS_URL'
          : 'no REDIS_URL: no shared cache, per-process rate limits',
    },
    {
      id: 'search',
      label: 'Search',
      kind: adapters.search.kind,
      value: adapters.search.kind === 'meilisearch' ? 'Meilisearch' : 'PostgreSQL full-text search',
      note: adapters.search.kind === 'meilisearch' ? 'configured by MEILI_URL' : 'default: no MEILI_URL',
    },
    {
      id: 'objects',
      label: 'File storage',
      kind: adapters.objectStorage.kind,
      value:
        adapters.objectStorage.kind === 's3'
          ? 'S3'
          : adapters.objectStorage.kind === 'local'
            ? 'Local disk'
            : 'Off',
      note:
        adapters.objectStorage.kind === 's3'
          ? 'configured by S3_BUCKET'
          : adapters.objectStorage.kind === 'local'
            ? 'default: files under OBJECT_STORAGE_DIR'
            : 'no OBJECT_STORAGE_SIGNING_KEY and no S3_BUCKET: uploads are unavailable',
    },
    {
      id: 'scanner',
      label: 'Virus scanning',
      kind: adapters.scanner.kind,
      value: adapters.scanner.kind === 'clamav' ? 'ClamAV' : 'None',
      note:
        adapters.scanner.kind === 'clamav'
          ? 'configured by CLAMAV_HOST'
          : 'no CLAMAV_HOST: files are not scanned',
    },
  ];
}

function AdaptersPanel({ query }: { query: UseQueryResult<SystemInfo> }) {
  const info = query.data;
  return (
    <section className="panel" aria-labelledby="adapters-title" data-stale={query.isError}>
      <h2 id="adapters-title">Active adapters</h2>
      {query.isPending && !query.isError && <p className="muted">Loading…</p>}
      {query.isError && !info && <p className="muted">Unknown while the API is unreachable.</p>}
      {info && !info.details && <p className="muted">Shown to platform operators.</p>}
      {info?.details && (
        <dl className="facts">
          {describeAdapters(info.details.adapters).map((adapter) => (
            <div
              key={adapter.id}
              className="facts__row"
              data-testid={`adapter-${adapter.id}`}
              data-kind={adapter.kind}
            >
              <dt>{adapter.label}</dt>
              <dd>
                {adapter.value}
                <span className="facts__note">{adapter.note}</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
