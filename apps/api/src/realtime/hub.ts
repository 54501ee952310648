import type { RealtimeEvent } from '@atrium/domain/realtime/port';
import type { Logger } from '@atrium/observability';
import type { RealtimeFeed, RealtimeReplay } from './feed.ts';

/** One SSE subscription as the hub sees it. */
export interface RealtimeSink {
  /** An event of the sink's org (the audience is checked by the stream, which knows the session). */
  event(event: RealtimeEvent): void;
  /** Events may have been lost: tell the client to refetch. */
  resync(reason: string): void;
  /** The hub is stopping (replica shutting down): end the stream so the client reconnects elsewhere. */
  close(): void;
}

/**
 * This replica's fan-out (SPEC §2: "every API replica delivers to its own subscribers"): the feed
 * delivers every org's events once; the hub hands each to the local subscriptions of that org.
 */
export interface RealtimeHub {
  readonly kind: RealtimeFeed['kind'];
  start(): Promise<void>;
  /** Registers a subscription; returns its unsubscribe. Register before replaying (no gap between). */
  subscribe(orgId: string, sink: RealtimeSink): () => void;
  replay(orgId: string, afterId: string): Promise<RealtimeReplay>;
  subscriberCount(): number;
  connected(): boolean;
  /** Closes every subscription, then the feed. */
  stop(): Promise<void>;
}

export function createRealtimeHub(options: { feed: RealtimeFeed; logger: Logger }): RealtimeHub {
  const { feed, logger } = options;
  const byOrg = new Map<string, Set<RealtimeSink>>();
  let count = 0;
  let stopped = false;

  const safely = (action: () => void) => {
    try {
      action();
    } catch (error) {
      logger.error({ err: error }, 'realtime: subscriber callback failed');
    }
  };

  return {
    kind: feed.kind,
    async start() {
      await feed.start({
        event(event) {
          const sinks = byOrg.get(event.orgId);
          if (!sinks) return;
          for (const sink of sinks) safely(() => sink.event(event));
        },
        gap(orgIds) {
          const targets =
            orgIds === 'all'
              ? [...byOrg.values()]
              : orgIds.map((id) => byOrg.get(id)).filter((s) => s !== undefined);
          for (const sinks of targets)
            for (const sink of sinks) safely(() => sink.resync('transport-reconnected'));
        },
        activeOrgs: () => byOrg.keys(),
      });
    },
    subscribe(orgId, sink) {
      if (stopped) {
        queueMicrotask(() => sink.close());
        return () => {};
      }
      let sinks = byOrg.get(orgId);
      if (!sinks) {
        sinks = new Set();
        byOrg.set(orgId, sinks);
      }
      sinks.add(sink);
      count += 1;
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        count -= 1;
        const current = byOrg.get(orgId);
        current?.delete(sink);
        if (current && current.size === 0) byOrg.delete(orgId);
      };
    },
    replay: (orgId, afterId) => feed.replay(orgId, afterId),
    subscriberCount: () => count,
    connected: () => feed.connected(),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const sinks of byOrg.values()) for (const sink of [...sinks]) safely(() => sink.close());
      await feed.stop();
    },
  };
}
