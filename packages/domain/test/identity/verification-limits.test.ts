import { useTestDatabase } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.ts';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/identity/deps.ts';
import { resendVerification } from '../../src/identity/verification.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { createInProcessRateLimiter } from '../../src/platform/rate-limiter.ts';

describe('resendVerification limits (one a minute, five an hour, per address)', () => {
  const t = useTestDatabase();
  const origin = { ip: '198.51.100.7', userAgent: null };

  it('allows one per minute and five per hour, then answers RATE_LIMITED until the hour ends', async () => {
    const clock = manualClock(new Date('2026-11-22T10:00:00Z'));
    const deps = {
      db: t.db,
      rateLimiter: createInProcessRateLimiter({ clock }),
      config: DEFAULT_IDENTITY_CONFIG,
    };
    const email = 'limits@example.test';
    const outcomes: string[] = [];
    for (let minute = 0; minute < 7; minute++) {
      try {
        await resendVerification(deps, { email, origin });
        outcomes.push('ok');
      } catch (error) {
        expect(error).toBeInstanceOf(RateLimitedError);
        outcomes.push(`429:${(error as RateLimitedError).retryAfterSeconds}`);
      }
      // A second request within the same minute is always refused.
      await expect(resendVerification(deps, { email, origin })).rejects.toBeInstanceOf(RateLimitedError);
      clock.advance(61_000);
    }
    expect(outcomes.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(outcomes[5]).toMatch(/^429:\d+$/);
    const retry = Number(outcomes[5]?.split(':')[1]);
    expect(retry).toBeGreaterThan(3000);
    expect(retry).toBeLessThanOrEqual(3600);
    clock.advance(3600_000);
    await expect(resendVerification(deps, { email, origin })).resolves.toEqual({ accepted: true });
  });

  it('keys the limit by the address, case-insensitively', async () => {
    const clock = manualClock();
    const deps = {
      db: t.db,
      rateLimiter: createInProcessRateLimiter({ clock }),
      config: DEFAULT_IDENTITY_CONFIG,
    };
    await resendVerification(deps, { email: 'Case@Example.test', origin });
    await expect(resendVerification(deps, { email: 'case@example.TEST ', origin })).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    await expect(resendVerification(deps, { email: 'other@example.test', origin })).resolves.toEqual({
      accepted: true,
    });
  });
});
