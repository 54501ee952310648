import type { RealtimeEvent } from '@atrium/domain/realtime/port';

/** What the replay buffer can say about the events after a client's last event id. */
export interface RealtimeReplay {
  /** The buffered events after `afterId`, oldest first. */
  events: RealtimeEvent[];
  /**
   * False when events after `afterId` may have been lost to the client (the id fell out of the
   * buffer, is unknown, or the transport had an outage since): the client must refetch its state.
   */
  complete: boolean;
  /** The newest event id the buffer holds for the org, if any. */
  latestId: string | null;
}

export interface RealtimeFeedHandlers {
  /** Every org's events, as this replica receives them, in the order the transport delivers them. */
  event(event: RealtimeEvent): void;
  /** Events may have been missed (the transport reconnected without being able to catch up). */
  gap(orgIds: 'all' | readonly string[]): void;
  /** Orgs with subscribers on this replica (the Redis feed catches up on them after a reconnect). */
  activeOrgs(): Iterable<string>;
}

/**
 * The API replica's receiving end of the realtime transport (docs/realtime.md). One feed per replica
 * receives every org's events; the hub fans them out to this replica's SSE subscribers.
 */
export interface RealtimeFeed {
  readonly kind: 'redis' | 'postgres';
  /** Subscribes to the transport. Resolves once subscribed (or after a short wait when it is down). */
  start(handlers: RealtimeFeedHandlers): Promise<void>;
  /** The org's buffered events after `afterId` (the reconnect path). */
  replay(orgId: string, afterId: string): Promise<RealtimeReplay>;
  /** Whether the transport subscription is up right now (health). */
  connected(): boolean;
  stop(): Promise<void>;
}

/**
 * A short per-org buffer of recent events in this replica's memory (the PostgreSQL transport's replay
 * buffer: every replica LISTENs to every org, so each holds the same events). Bounded in events per
 * org and in orgs (least recently published evicted first).
 */
export class MemoryRingBuffer {
  readonly #size: number;
  readonly #maxOrgs: number;
  readonly #rings = new Map<string, RealtimeEvent[]>();

  constructor(options: { size: number; maxOrgs?: number }) {
    this.#size = options.size;
    this.#maxOrgs = options.maxOrgs ?? 10_000;
  }

  push(event: RealtimeEvent): void {
    let ring = this.#rings.get(event.orgId);
    if (ring) {
      this.#rings.delete(event.orgId);
    } else {
      ring = [];
      if (this.#rings.size >= this.#maxOrgs) {
        const oldest = this.#rings.keys().next().value;
        if (oldest !== undefined) this.#rings.delete(oldest);
      }
    }
    this.#rings.set(event.orgId, ring);
    ring.push(event);
    if (ring.length > this.#size) ring.splice(0, ring.length - this.#size);
  }

  replay(orgId: string, afterId: string): RealtimeReplay {
    const ring = this.#rings.get(orgId) ?? [];
    const latestId = ring.at(-1)?.id ?? null;
    const index = ring.findIndex((event) => event.id === afterId);
    if (index === -1) return { events: [], complete: false, latestId };
    return { events: ring.slice(index + 1), complete: true, latestId };
  }

  /** Forgets everything: after an outage, no id can promise completeness any more. */
  clear(): void {
    this.#rings.clear();
  }
}
