import { SimulatorConfigError } from './failures.ts';

/**
 * How a company's AIMS misbehaves, switched at run time (`control.setFaults`, `POST /__sim/faults`).
 * Rates are drawn independently per call, in this order: down, latency, timeout, 429, 5xx; a token
 * revocation applies when a call presents a valid token.
 */
export interface AimsFaults {
  /** Every connection is destroyed without an answer (the client sees a reset socket). */
  down: boolean;
  /** Added to every answer, in ms. */
  latencyMs: number;
  /** A uniformly random 0..jitter ms more. */
  latencyJitterMs: number;
  /** Share (0..1) of calls left hanging: no answer until the client gives up. */
  timeoutRate: number;
  /** Share (0..1) of calls answered 429 Too Many Requests with `Retry-After`. */
  rateLimitRate: number;
  retryAfterSeconds: number;
  /** Share (0..1) of calls answered with `serverErrorStatus`. */
  serverErrorRate: number;
  serverErrorStatus: 500 | 502 | 503 | 504;
  /** The next n calls that present a valid access token find it revoked: 401, and the token stays dead. */
  revokeNextTokens: number;
}

export const NO_FAULTS: Readonly<AimsFaults> = Object.freeze({
  down: false,
  latencyMs: 0,
  latencyJitterMs: 0,
  timeoutRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  serverErrorRate: 0,
  serverErrorStatus: 500,
  revokeNextTokens: 0,
});

const SERVER_ERROR_STATUSES = [500, 502, 503, 504] as const;
const MAX_DELAY_MS = 120_000;

/**
 * Faults from a partial description: fields left out are off. Unknown fields and values out of range
 * are refused, so a typo in a test does not silently switch nothing.
 */
export function parseFaults(input: unknown): AimsFaults {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SimulatorConfigError('faults must be an object');
  }
  const faults: AimsFaults = { ...NO_FAULTS };
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'down':
        if (typeof value !== 'boolean') throw new SimulatorConfigError('down must be true or false');
        faults.down = value;
        break;
      case 'latencyMs':
      case 'latencyJitterMs':
        faults[key] = whole(value, key, MAX_DELAY_MS);
        break;
      case 'retryAfterSeconds':
        faults[key] = whole(value, key, 3_600);
        break;
      case 'revokeNextTokens':
        faults[key] = whole(value, key, 1_000_000);
        break;
      case 'timeoutRate':
      case 'rateLimitRate':
      case 'serverErrorRate':
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
          throw new SimulatorConfigError(`${key} must be a number from 0 to 1`);
        }
        faults[key] = value;
        break;
      case 'serverErrorStatus':
        if (!(SERVER_ERROR_STATUSES as readonly unknown[]).includes(value)) {
          throw new SimulatorConfigError(
            `serverErrorStatus must be one of ${SERVER_ERROR_STATUSES.join(', ')}`,
          );
        }
        faults.serverErrorStatus = value as AimsFaults['serverErrorStatus'];
        break;
      default:
        throw new SimulatorConfigError(`unknown fault "${key}"`);
    }
  }
  return faults;
}

function whole(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new SimulatorConfigError(`${name} must be a whole number from 0 to ${max}`);
  }
  return value;
}
