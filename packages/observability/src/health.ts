/**
 * Readiness checks shared by every process. A check either resolves (ok) or throws (down); the
 * runner times each one and never lets one slow dependency hang the whole probe.
 */
export type CheckStatus = 'ok' | 'down';

export interface CheckResult {
  status: CheckStatus;
  latencyMs: number;
  error?: string;
  /** Reported, but it does not make the process unready (see `advisory`). */
  advisory?: true;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, CheckResult>;
}

/**
 * A check that throws when its dependency is unusable. One marked `advisory` (`advisory(check)`) is
 * run and reported like the others but leaves the overall status alone: for a dependency whose
 * failure is not this process's — one tenant's external system — and must not take the process out
 * of a load balancer's rotation for everyone.
 */
export type HealthCheck = (() => Promise<unknown>) & { readonly advisory?: true };

export function advisory(check: () => Promise<unknown>): HealthCheck {
  return Object.assign(check, { advisory: true as const });
}

export async function runHealthChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs = 2_000,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [
          name,
          { status: 'ok', latencyMs: elapsed(started), ...(check.advisory ? { advisory: true } : {}) },
        ];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [
          name,
          {
            status: 'down',
            latencyMs: elapsed(started),
            error: message,
            ...(check.advisory ? { advisory: true } : {}),
          },
        ];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const results = Object.fromEntries(entries);
  const healthy = entries.every(([, r]) => r.status === 'ok' || r.advisory);
  return { status: healthy ? 'ok' : 'degraded', checks: results };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
