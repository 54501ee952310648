import { type Redis, redisClientClass } from '@atrium/domain/platform/redis';
import type { RealtimeEvent } from '@atrium/domain/realtime/port';
import {
  compareStreamIds,
  decodeRedisMessage,
  parseRealtimeEventBody,
  parseStreamId,
  realtimeRedisChannel,
  realtimeRedisStreamKey,
} from '@atrium/domain/realtime/wire';
import type { Logger } from '@atrium/observability';
import type { RealtimeFeed, RealtimeFeedHandlers, RealtimeReplay } from './feed.ts';

/** Entries read per replay at most: the stream is trimmed to about REALTIME_BUFFER_DEFAULTS.size. */
const MAX_REPLAY = 1_000;

/**
 * Redis transport (REDIS_URL set): a dedicated subscriber connection on `${prefix}rt:events`; the
 * replay buffer is the org's stream `${prefix}rt:org:{orgId}`, read with the shared command client.
 *
 * Pub/sub is fire-and-forget, so after the subscriber connection comes back the feed reads each
 * active org's stream from the last id it delivered (XRANGE) and delivers what it missed; per org,
 * anything not newer than the last delivered id is dropped, so overlaps are harmless.
 */
export function createRedisRealtimeFeed(options: {
  url: string;
  prefix: string;
  /** The process's command client (fail-fast) for XRANGE/XINFO. */
  redis: Redis;
  logger: Logger;
  /** How long start() waits for the subscription before serving anyway (Redis down at start). */
  startTimeoutMs?: number;
  /** CLIENT SETNAME of the subscriber connection. */
  connectionName?: string;
}): RealtimeFeed {
  const { prefix, redis, logger } = options;
  const channel = realtimeRedisChannel(prefix);
  const lastDelivered = new Map<string, [bigint, bigint]>();
  let subscriber: Redis | null = null;
  let handlers: RealtimeFeedHandlers | null = null;
  let subscribedOnce = false;
  let isConnected = false;

  const deliver = (event: RealtimeEvent) => {
    const id = parseStreamId(event.id);
    if (!id) return;
    const last = lastDelivered.get(event.orgId);
    if (last && compareStreamIds(id, last) <= 0) return;
    lastDelivered.delete(event.orgId);
    lastDelivered.set(event.orgId, id);
    if (lastDelivered.size > 50_000) {
      const oldest = lastDelivered.keys().next().value;
      if (oldest !== undefined) lastDelivered.delete(oldest);
    }
    handlers?.event(event);
  };

  const readAfter = async (orgId: string, afterId: string): Promise<RealtimeEvent[]> => {
    const entries = (await redis.xrange(
      realtimeRedisStreamKey(prefix, orgId),
      `(${afterId}`,
      '+',
      'COUNT',
      MAX_REPLAY,
    )) as Array<[string, string[]]>;
    const events: RealtimeEvent[] = [];
    for (const [id, fields] of entries) {
      const index = fields.indexOf('e');
      const raw = index >= 0 ? fields[index + 1] : undefined;
      if (raw === undefined) continue;
      try {
        const body = parseRealtimeEventBody(JSON.parse(raw));
        if (body) events.push({ id, ...body });
      } catch {
        logger.warn({ id, orgId }, 'realtime: unreadable stream entry skipped');
      }
    }
    return events;
  };

  /** After a reconnect: what each active org published while we were not subscribed. */
  const catchUp = async () => {
    if (!handlers) return;
    const missed: string[] = [];
    for (const orgId of handlers.activeOrgs()) {
      const last = lastDelivered.get(orgId);
      if (!last) {
        missed.push(orgId);
        continue;
      }
      try {
        const missedEvents = await replay(orgId, `${last[0]}-${last[1]}`);
        for (const event of missedEvents.events) deliver(event);
        if (!missedEvents.complete) missed.push(orgId);
      } catch (error) {
        logger.warn({ err: error, orgId }, 'realtime: catch-up after reconnect failed');
        missed.push(orgId);
      }
    }
    if (missed.length > 0) handlers.gap(missed);
  };

  async function replay(orgId: string, afterId: string): Promise<RealtimeReplay> {
    const after = parseStreamId(afterId);
    const key = realtimeRedisStreamKey(prefix, orgId);
    const info = await streamInfo(redis, key);
    const latestId = info?.lastEntryId ?? null;
    if (!after) return { events: [], complete: false, latestId };
    const events = await readAfter(orgId, afterId);
    // Complete when `after` is still inside the stream: nothing after it was trimmed (trimming
    // removes the oldest entries), the stream was not recreated since (expired, or Redis flushed),
    // and the id is not from the future.
    const covered = info?.firstEntryId ? compareStreamIds(info.firstEntryId, after) <= 0 : false;
    const fromFuture = info?.lastGeneratedId ? compareStreamIds(after, info.lastGeneratedId) > 0 : true;
    return { events, complete: covered && !fromFuture && events.length < MAX_REPLAY, latestId };
  }

  return {
    kind: 'redis',
    async start(feedHandlers) {
      handlers = feedHandlers;
      const RedisClient = redisClientClass();
      const client = new RedisClient(options.url, {
        connectionName: options.connectionName ?? 'atrium-api-realtime',
        // Subscriptions wait for the connection instead of failing while Redis is away.
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        connectTimeout: 2_000,
        retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
        lazyConnect: true,
        // Done in the 'ready' handler, so the catch-up read follows the subscription.
        autoResubscribe: false,
      });
      subscriber = client;
      client.on('error', () => {});
      client.on('message', (_channel: string, message: string) => {
        const event = decodeRedisMessage(message);
        if (event) deliver(event);
        else logger.warn({}, 'realtime: malformed Redis message dropped');
      });
      client.on('close', () => {
        if (isConnected) logger.warn({}, 'realtime: Redis subscription lost; reconnecting');
        isConnected = false;
      });
      // After a reconnect: subscribe again first, then read what was published in between (the
      // other order could miss events published between the read and the subscription).
      client.on('ready', () => {
        if (!subscribedOnce) return;
        void (async () => {
          try {
            await client.subscribe(channel);
          } catch (error) {
            logger.warn({ err: error }, 'realtime: Redis re-subscribe failed');
            return;
          }
          isConnected = true;
          logger.info({}, 'realtime: Redis subscription back; catching up');
          await catchUp();
        })();
      });
      const subscribed = (async () => {
        await client.connect().catch(() => {});
        await client.subscribe(channel);
        subscribedOnce = true;
        isConnected = true;
      })();
      subscribed.catch((error: unknown) => logger.warn({ err: error }, 'realtime: Redis subscribe failed'));
      const timeout = options.startTimeoutMs ?? 2_000;
      await Promise.race([
        subscribed.catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, timeout)),
      ]);
      if (!isConnected) logger.warn({}, 'realtime: Redis not reachable at start; subscribing when it is');
    },
    replay,
    connected: () => isConnected,
    async stop() {
      handlers = null;
      const client = subscriber;
      subscriber = null;
      isConnected = false;
      client?.disconnect();
    },
  };
}

interface StreamInfo {
  firstEntryId: [bigint, bigint] | null;
  lastEntryId: string | null;
  lastGeneratedId: [bigint, bigint] | null;
}

/** XINFO STREAM as the fields replay needs; null when the stream does not exist. */
async function streamInfo(redis: Redis, key: string): Promise<StreamInfo | null> {
  let raw: unknown[];
  try {
    raw = (await redis.call('XINFO', 'STREAM', key)) as unknown[];
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return null;
    throw error;
  }
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(String(raw[i]), raw[i + 1]);
  const entryId = (entry: unknown) =>
    Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : null;
  const first = entryId(fields.get('first-entry'));
  const last = entryId(fields.get('last-entry'));
  const asId = (value: unknown) => (typeof value === 'string' ? parseStreamId(value) : null);
  return {
    firstEntryId: first ? parseStreamId(first) : null,
    lastEntryId: last,
    lastGeneratedId: asId(fields.get('last-generated-id')),
  };
}
