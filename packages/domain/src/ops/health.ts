/**
 * One readiness view of the platform for the Ops console (SPEC §8 health): the API's own checks plus
 * the worker's and the scheduler's `/health/ready`, fetched from their ops servers. A process that
 * does not answer within the timeout is `down`; one whose URL is not configured is `not_configured`.
 */
export interface CheckView {
  status: 'ok' | 'down';
  latencyMs: number;
  error?: string;
}

export interface ProcessHealth {
  status: 'ok' | 'degraded' | 'down' | 'not_configured';
  url: string | null;
  checks: Record<string, CheckView>;
  /** How long the probe took (remote processes). */
  latencyMs: number | null;
  error: string | null;
}

export interface PlatformHealth {
  /** ok when the API and every configured process are ok. */
  status: 'ok' | 'degraded';
  checkedAt: Date;
  processes: Record<string, ProcessHealth>;
}

export interface HealthDeps {
  /** The API's own readiness (its checks, run in-process). */
  local: () => Promise<{ status: 'ok' | 'degraded'; checks: Record<string, CheckView> }>;
  /** Base URLs of the other processes' ops servers, e.g. `{ worker: 'http://127.0.0.1:3101' }`. */
  remotes: Record<string, string | undefined>;
  timeoutMs?: number;
}

export async function platformHealth(deps: HealthDeps): Promise<PlatformHealth> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const [api, ...remotes] = await Promise.all([
    deps.local().then(
      (report): ProcessHealth => ({
        status: report.status,
        url: null,
        checks: report.checks,
        latencyMs: null,
        error: null,
      }),
    ),
    ...Object.entries(deps.remotes).map(
      async ([name, url]): Promise<[string, ProcessHealth]> => [
        name,
        url
          ? await probe(url, timeoutMs)
          : { status: 'not_configured', url: null, checks: {}, latencyMs: null, error: null },
      ],
    ),
  ]);
  const processes: Record<string, ProcessHealth> = { api, ...Object.fromEntries(remotes) };
  const healthy = Object.values(processes).every((p) => p.status === 'ok' || p.status === 'not_configured');
  return { status: healthy ? 'ok' : 'degraded', checkedAt: new Date(), processes };
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
