import { useEffect, useState } from 'react';
import { describeError } from '../lib/errors.ts';

/**
 * Seconds left before a rate-limited action may be tried again (429 + Retry-After), counting down
 * once a second; 0 when the error is not a rate limit or the wait is over.
 */
export function useRetryCountdown(error: unknown): number {
  const [until, setUntil] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const retryAfter = error ? describeError(error).retryAfterSeconds : null;
    setUntil(retryAfter === null ? null : Date.now() + Math.ceil(retryAfter) * 1000);
    setNow(Date.now());
  }, [error]);

  useEffect(() => {
    if (until === null) return;
    const timer = setInterval(() => {
      const current = Date.now();
      setNow(current);
      if (current >= until) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [until]);

  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}
