import type { Redis } from '../platform/redis.ts';

/**
 * The content cache (SPEC §4 cache-aside; docs/content.md "Cache"): `content:{id}` and
 * `media:{contentId}` in Redis, each stamped with the content's `version`.
 *
 * Why version stamps: plain "delete after commit" loses a race — a reader misses, reads the old row,
 * the writer commits and deletes the key, then the reader stores the old row it read, which stays
 * until the TTL. Here every entry carries the version it was read at, and every write leaves a
 * *marker* "nothing older than version N" after its commit. Both go through one Lua script that
 * compares versions, so whatever order the reader's fill and the writer's invalidation reach Redis
 * in, an older version never replaces a newer one or a marker for a newer one:
 *
 *   fill(v):       store unless the slot holds a value with version ≥ v or a marker with version > v
 *   invalidate(n): store marker n unless the slot holds a value or a marker with version ≥ n
 *
 * Versions only grow (every write to a content bumps it; a delete leaves marker version + 1), so the
 * slot's version only grows too. A marker reads as a miss.
 *
 * Redis failing degrades to the database: every operation catches, counts an error and answers a
 * miss (or does nothing). Without Redis there is no cache at all (`noContentCache`).
 */
export interface CacheEntry<T> {
  version: number;
  value: T;
}

export interface ContentCacheStats {
  hits: number;
  misses: number;
  errors: number;
}

export type CacheSlot = { kind: 'content' | 'media'; id: string };

export interface ContentCache {
  readonly kind: 'redis' | 'none';
  /** One MGET for every slot; null where absent, a marker, unreadable or Redis failed. */
  getMany(slots: readonly CacheSlot[]): Promise<Array<CacheEntry<unknown> | null>>;
  /** Cache-aside fill after a database read of `version`. */
  fill(slot: CacheSlot, entry: CacheEntry<unknown>): Promise<void>;
  /** After a write's commit: nothing older than `version` may be served or stored again. */
  invalidate(slots: readonly CacheSlot[], version: number): Promise<void>;
  readonly stats: ContentCacheStats;
}

export const noContentCache: ContentCache = {
  kind: 'none',
  getMany: async (slots) => slots.map(() => null),
  fill: async () => {},
  invalidate: async () => {},
  stats: { hits: 0, misses: 0, errors: 0 },
};

// KEYS[1] the slot; ARGV[1] the encoded entry, ARGV[2] its version, ARGV[3] TTL seconds, ARGV[4] '1'
// for a marker. Entries are JSON {v, m?, d?}.
const PUT_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local incoming = tonumber(ARGV[2])
local marker = ARGV[4] == '1'
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded.v) then
    local held = tonumber(decoded.v)
    if held > incoming then return 0 end
    if held == incoming and (marker or not decoded.m) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
`;

const DATE_FIELDS = new Set(['createdAt', 'updatedAt', 'publicationDate']);

function reviveDates(_key: string, value: unknown): unknown {
  return typeof value === 'string' && DATE_FIELDS.has(_key) ? new Date(value) : value;
}

export interface RedisContentCacheOptions {
  prefix: string;
  ttlSeconds: number;
  log?: { warn(fields: object, message: string): void; info(fields: object, message: string): void };
}

export function createRedisContentCache(redis: Redis, options: RedisContentCacheOptions): ContentCache {
  const keyOf = (slot: CacheSlot) => `${options.prefix}${slot.kind}:${slot.id}`;
  const stats: ContentCacheStats = { hits: 0, misses: 0, errors: 0 };
  let failing = false;
  const failed = (error: unknown) => {
    stats.errors += 1;
    if (!failing) {
      failing = true;
      options.log?.warn(
        { err: error },
        'content cache: Redis unavailable; reading content from the database',
      );
    }
  };
  const recovered = () => {
    if (failing) {
      failing = false;
      options.log?.info({}, 'content cache: Redis is back');
    }
  };
  const put = async (slot: CacheSlot, encoded: string, version: number, marker: boolean) => {
    await redis.eval(
      PUT_SCRIPT,
      1,
      keyOf(slot),
      encoded,
      String(version),
      String(options.ttlSeconds),
      marker ? '1' : '0',
    );
  };
  return {
    kind: 'redis',
    stats,
    async getMany(slots) {
      if (slots.length === 0) return [];
      let raw: Array<string | null>;
      try {
        raw = await redis.mget(...slots.map(keyOf));
        recovered();
      } catch (error) {
        failed(error);
        stats.misses += slots.length;
        return slots.map(() => null);
      }
      return raw.map((text) => {
        const entry = decode(text);
        if (entry) stats.hits += 1;
        else stats.misses += 1;
        return entry;
      });
    },
    async fill(slot, entry) {
      try {
        await put(slot, JSON.stringify({ v: entry.version, d: entry.value }), entry.version, false);
        recovered();
      } catch (error) {
        failed(error);
      }
    },
    async invalidate(slots, version) {
      try {
        const marker = JSON.stringify({ v: version, m: 1 });
        await Promise.all(slots.map((slot) => put(slot, marker, version, true)));
        recovered();
      } catch (error) {
        failed(error);
      }
    },
  };
}

function decode(text: string | null): CacheEntry<unknown> | null {
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text, reviveDates) as { v?: unknown; m?: unknown; d?: unknown };
    if (typeof parsed.v !== 'number' || parsed.m || parsed.d === undefined) return null;
    return { version: parsed.v, value: parsed.d };
  } catch {
    return null;
  }
}
