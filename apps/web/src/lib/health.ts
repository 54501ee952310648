import { ApiUnreachableError } from './errors.ts';

/** `GET /health/ready` (SPEC §8): plain HTTP, not tRPC, so load balancers can probe it. */
export interface HealthCheckResult {
  status: 'ok' | 'down';
  latencyMs: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ok' | 'degraded';
  checks: Record<string, HealthCheckResult>;
}

/** Resolves for 200 (`ok`) and 503 (`degraded`) alike: a degraded report is data, not a failure. */
export async function fetchReadiness(signal?: AbortSignal): Promise<ReadinessReport> {
  let response: Response;
  try {
    response = await fetch('/health/ready', {
      signal: signal ?? null,
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiUnreachableError(
      `GET /health/ready failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const body: unknown = await response.json().catch(() => null);
  if ((response.status !== 200 && response.status !== 503) || !isReadinessReport(body)) {
    throw new ApiUnreachableError(
      `GET /health/ready answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} instead of a health report`,
    );
  }
  return body;
}

function isReadinessReport(value: unknown): value is ReadinessReport {
  if (typeof value !== 'object' || value === null) return false;
  const { status, checks } = value as { status?: unknown; checks?: unknown };
  return (status === 'ok' || status === 'degraded') && typeof checks === 'object' && checks !== null;
}
