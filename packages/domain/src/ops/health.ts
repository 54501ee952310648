import { hostname } from 'node:os';
import type { OpsProcessView } from './processes.ts';

/**
 * One readiness view of the platform for the Ops console (SPEC §8 health): the API's own checks plus
 * every registered worker and scheduler process (heartbeats, `processes.ts`) with its
 * `/health/ready` when its ops server is reachable, plus any ops server configured by URL. A process
 * that does not answer within the timeout is `down`; one whose heartbeat stopped is `missing`.
 */
export interface CheckView {
  status: 'ok' | 'down';
  latencyMs: number;
  error?: string;
}

export interface ProcessHealth {
  status: 'ok' | 'degraded' | 'down';
  url: string | null;
  checks: Record<string, CheckView>;
  /** How long the probe took (remote processes). */
  latencyMs: number | null;
  error: string | null;
}

/** A registered worker or scheduler process (heartbeat) and, when reachable, its readiness. */
export interface RegisteredProcessHealth extends OpsProcessView {
  /** Its /health/ready; null when not probed (not live, or its ops server is on another host's loopback). */
  readiness: ProcessHealth | null;
}

export interface PlatformHealth {
  /**
   * ok when the API and every configured process are ready, no registered process is missing and
   * every queue with waiting work has a live consumer.
   */
  status: 'ok' | 'degraded';
  checkedAt: Date;
  processes: Record<string, ProcessHealth>;
  /** Every worker and scheduler process that registered (live, missing, recently stopped). */
  registered: RegisteredProcessHealth[];
  /** Queues with waiting work and no live consumer. */
  unconsumedQueues: Array<{ queue: string; waiting: number }>;
  /** Why the status is degraded, in plain words (empty when ok). */
  problems: string[];
}

export interface HealthDeps {
  /** The API's own readiness (its checks, run in-process). */
  local: () => Promise<{ status: 'ok' | 'degraded'; checks: Record<string, CheckView> }>;
  /**
   * Base URLs of ops servers to probe besides the registered processes, e.g.
   * `{ worker: 'http://127.0.0.1:3101' }`; an unset one is left out.
   */
  remotes: Record<string, string | undefined>;
  /** The registered processes (heartbeats). */
  processes?: () => Promise<OpsProcessView[]>;
  /** Queues with waiting work and no live consumer. */
  unconsumedQueues?: () => Promise<Array<{ queue: string; waiting: number }>>;
  timeoutMs?: number;
}

export async function platformHealth(deps: HealthDeps): Promise<PlatformHealth> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const [api, remotes, registered, unconsumedQueues] = await Promise.all([
    deps.local().then(
      (report): ProcessHealth => ({
        status: report.status,
        url: null,
        checks: report.checks,
        latencyMs: null,
        error: null,
      }),
    ),
    Promise.all(
      Object.entries(deps.remotes).flatMap(([name, url]) =>
        url ? [probe(url, timeoutMs).then((health): [string, ProcessHealth] => [name, health])] : [],
      ),
    ),
    (deps.processes?.() ?? Promise.resolve([])).then((processes) =>
      Promise.all(
        processes.map(
          async (process): Promise<RegisteredProcessHealth> => ({
            ...process,
            readiness:
              process.status === 'live' && process.opsUrl && reachable(process)
                ? await probe(process.opsUrl, timeoutMs)
                : null,
          }),
        ),
      ),
    ),
    deps.unconsumedQueues?.() ?? Promise.resolve([]),
  ]);
  const processes: Record<string, ProcessHealth> = { api, ...Object.fromEntries(remotes) };
  const problems: string[] = [];
  for (const [name, process] of Object.entries(processes)) {
    if (process.status !== 'ok') problems.push(`${capitalise(name)} is ${process.status}.`);
  }
  for (const process of registered) {
    if (process.status === 'missing') {
      problems.push(
        `${capitalise(process.kind)} ${process.name} is missing: no heartbeat for ${Math.round(process.silentForSeconds)} s.`,
      );
    } else if (process.readiness && process.readiness.status !== 'ok') {
      problems.push(`${capitalise(process.kind)} ${process.name} is ${process.readiness.status}.`);
    }
  }
  for (const { queue, waiting } of unconsumedQueues) {
    problems.push(`${queue} has ${waiting} waiting ${waiting === 1 ? 'job' : 'jobs'} and no live worker.`);
  }
  return {
    status: problems.length === 0 ? 'ok' : 'degraded',
    checkedAt: new Date(),
    processes,
    registered,
    unconsumedQueues,
    problems,
  };
}

/**
 * A loopback ops URL is reachable only from its own host: probing another host's 127.0.0.1 would
 * reach whatever listens here (or nothing) and report a lie.
 */
function reachable(process: { host: string; opsUrl: string | null }): boolean {
  if (!process.opsUrl) return false;
  try {
    const { hostname: urlHost } = new URL(process.opsUrl);
    const loopback = urlHost === 'localhost' || urlHost.startsWith('127.') || urlHost === '[::1]';
    return !loopback || process.host === hostname();
  } catch {
    return false;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function probe(baseUrl: string, timeoutMs: number): Promise<ProcessHealth> {
  const url = `${baseUrl.replace(/\/+$/, '')}/health/ready`;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => null)) as { status?: unknown; checks?: unknown } | null;
    const checks =
      body && typeof body.checks === 'object' && body.checks
        ? (body.checks as Record<string, CheckView>)
        : {};
    if (response.status === 200) return { status: 'ok', url, checks, latencyMs: elapsed(), error: null };
    return { status: 'degraded', url, checks, latencyMs: elapsed(), error: `HTTP ${response.status}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'down', url, checks: {}, latencyMs: elapsed(), error: message };
  }
}
