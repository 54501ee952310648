import { useQuery } from '@tanstack/react-query';
import { readinessQuery } from './status-queries.ts';

/** Signed-out pages ask less often than the status page: one small request every 10 s. */
const SIGNED_OUT_REFRESH_MS = 10_000;

/**
 * For the sign-in page, now that System status is for signed-in users: says so at once when the API
 * cannot be reached or reports itself degraded, before anyone types a password. Nothing when all is
 * well.
 */
export function ReachabilityNotice() {
  const readiness = useQuery({ ...readinessQuery(), refetchInterval: SIGNED_OUT_REFRESH_MS });
  if (readiness.isError) {
    return (
      <div className="error-message error-message--unreachable" role="alert" data-testid="api-unreachable">
        <p className="error-message__title">Atrium cannot be reached</p>
        <p className="error-message__text">
          Signing in will not work until it answers again. Check your connection; this page keeps trying.
        </p>
      </div>
    );
  }
  if (readiness.data?.status === 'degraded') {
    return (
      <div className="notice" role="status" data-testid="api-degraded">
        <p>
          Something is wrong on our side right now; signing in may fail. Please try again in a little while.
        </p>
      </div>
    );
  }
  return null;
}
