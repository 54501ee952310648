import type { AimsCluster } from './tokens.ts';

/** Why the simulator answered as it did when a fault (not the protocol) decided it. */
export type FaultApplied = 'down' | 'timeout' | 'rate-limited' | 'server-error' | 'token-revoked';

export interface CallRecord {
  at: string;
  cluster: AimsCluster;
  /** Method and AIMS path without the cluster prefix, e.g. `POST /api/v2/common/articles`. */
  endpoint: string;
  /** The HTTP status answered; `timeout` when the call was left hanging, `down` when its socket was destroyed. */
  status: number | 'timeout' | 'down';
  fault: FaultApplied | null;
  /** From the request's arrival to the answer (or to the decision not to answer). */
  ms: number;
}

export interface EndpointCounters {
  calls: number;
  /** Calls by status (`'200'`, `'401'`, `'timeout'`, …). */
  statuses: Record<string, number>;
}

export interface CallReport {
  total: number;
  byEndpoint: Record<string, EndpointCounters>;
  /** The latest calls, oldest first (at most 200). */
  recent: CallRecord[];
}

const RECENT_CALLS_KEPT = 200;

/** Per-company counters of the calls AIMS received, by endpoint and status: what tests assert on. */
export class CallLog {
  readonly #companies = new Map<
    string,
    { total: number; byEndpoint: Map<string, EndpointCounters>; recent: CallRecord[] }
  >();

  record(company: string, call: CallRecord): void {
    let log = this.#companies.get(company);
    if (!log) {
      log = { total: 0, byEndpoint: new Map(), recent: [] };
      this.#companies.set(company, log);
    }
    log.total++;
    let counters = log.byEndpoint.get(call.endpoint);
    if (!counters) {
      counters = { calls: 0, statuses: {} };
      log.byEndpoint.set(call.endpoint, counters);
    }
    counters.calls++;
    const status = String(call.status);
    counters.statuses[status] = (counters.statuses[status] ?? 0) + 1;
    log.recent.push(call);
    if (log.recent.length > RECENT_CALLS_KEPT) log.recent.shift();
  }

  report(company: string): CallReport {
    const log = this.#companies.get(company);
    if (!log) return { total: 0, byEndpoint: {}, recent: [] };
    return {
      total: log.total,
      byEndpoint: Object.fromEntries(
        [...log.byEndpoint].map(([endpoint, counters]) => [
          endpoint,
          { calls: counters.calls, statuses: { ...counters.statuses } },
        ]),
      ),
      recent: [...log.recent],
    };
  }

  clear(company?: string): void {
    if (company === undefined) this.#companies.clear();
    else this.#companies.delete(company);
  }
}
