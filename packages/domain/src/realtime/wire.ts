import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { RealtimeEvent } from './port.ts';

/**
 * What publishers and the API's subscribers agree on: names of channels and keys, the size limits and
 * the encoding of an event on each transport (docs/realtime.md). Both sides import it from here, so a
 * change reaches both at once.
 */

/** The PostgreSQL NOTIFY channel every API replica LISTENs on when Redis is not configured. */
export const REALTIME_PG_CHANNEL = 'atrium_realtime';

/**
 * NOTIFY payloads must be shorter than 8000 bytes. An encoded event above this many bytes is stored in
 * `realtime_event_payloads` and announced by id instead.
 */
export const NOTIFY_PAYLOAD_LIMIT_BYTES = 7_500;

/** Realtime events are notices, not documents: clients fetch details through procedures. */
export const MAX_REALTIME_PAYLOAD_BYTES = 64 * 1024;

/**
 * The short per-org replay buffer (SPEC §2: reconnect with the last event id gets what it missed).
 * Redis: a stream per org trimmed to about `size` entries, expiring `seconds` after the last publish.
 * PostgreSQL mode: the same number of events per org in each API replica's memory.
 */
export const REALTIME_BUFFER_DEFAULTS = { size: 200, seconds: 600 } as const;

/** Rows of `realtime_event_payloads` older than this are deleted by publishers. */
export const OVERFLOW_RETENTION_SECONDS = 600;

export function realtimeRedisChannel(prefix: string): string {
  return `${prefix}rt:events`;
}

export function realtimeRedisStreamKey(prefix: string, orgId: string): string {
  return `${prefix}rt:org:${orgId}`;
}

/** Event names are lower-case dotted words (`space.updated`, `notification.new`). */
export const REALTIME_EVENT_TYPE = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/;

export const ZRealtimeAudience = z
  .object({
    userIds: z.array(z.uuid()).max(1_000).optional(),
    permission: z.string().min(1).max(100).optional(),
  })
  .strict();

export const ZRealtimePublishInput = z.object({
  orgId: z.uuid(),
  type: z.string().max(100).regex(REALTIME_EVENT_TYPE, 'Event types are lower-case dotted words'),
  payload: z.unknown(),
  audience: ZRealtimeAudience.optional(),
});
export type RealtimePublishInput = z.infer<typeof ZRealtimePublishInput>;

/** An event as stored and sent, without its id (the transport assigns or carries it). */
export interface RealtimeEventBody {
  orgId: string;
  type: string;
  payload: unknown;
  audience?: { userIds?: string[]; permission?: string };
  at: string;
}

/**
 * Validates what a producer hands to `publish` and returns the body to send. A bad event is a bug in
 * the producer: it fails loudly (400-class error) rather than reaching clients half-formed.
 */
export function prepareRealtimeEvent(input: unknown, now: Date = new Date()): RealtimeEventBody {
  const parsed = ZRealtimePublishInput.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(`Invalid realtime event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  const { orgId, type, payload, audience } = parsed.data;
  const payloadJson = JSON.stringify(payload ?? null);
  if (Buffer.byteLength(payloadJson, 'utf8') > MAX_REALTIME_PAYLOAD_BYTES) {
    throw new ValidationError(
      `Realtime payload of ${type} is larger than ${MAX_REALTIME_PAYLOAD_BYTES} bytes; send an id and let clients fetch`,
    );
  }
  const body: RealtimeEventBody = { orgId, type, payload: JSON.parse(payloadJson), at: now.toISOString() };
  if (audience && (audience.userIds !== undefined || audience.permission !== undefined)) {
    body.audience = {};
    if (audience.userIds !== undefined) body.audience.userIds = [...new Set(audience.userIds)];
    if (audience.permission !== undefined) body.audience.permission = audience.permission;
  }
  return body;
}

const ZEventBody = z.object({
  orgId: z.string(),
  type: z.string(),
  payload: z.unknown(),
  audience: z
    .object({ userIds: z.array(z.string()).optional(), permission: z.string().optional() })
    .optional(),
  at: z.string(),
});

/** Parses a body received from a transport; null when it is not one (logged by the caller). */
export function parseRealtimeEventBody(raw: unknown): RealtimeEventBody | null {
  const parsed = ZEventBody.safeParse(raw);
  if (!parsed.success) return null;
  const body: RealtimeEventBody = {
    orgId: parsed.data.orgId,
    type: parsed.data.type,
    payload: parsed.data.payload,
    at: parsed.data.at,
  };
  if (parsed.data.audience) {
    body.audience = {};
    if (parsed.data.audience.userIds) body.audience.userIds = parsed.data.audience.userIds;
    if (parsed.data.audience.permission) body.audience.permission = parsed.data.audience.permission;
  }
  return body;
}

/** Redis pub/sub message: `<stream entry id> <body JSON>` (the id is assigned by XADD). */
export function decodeRedisMessage(message: string): RealtimeEvent | null {
  const space = message.indexOf(' ');
  if (space <= 0) return null;
  try {
    const body = parseRealtimeEventBody(JSON.parse(message.slice(space + 1)));
    return body ? { id: message.slice(0, space), ...body } : null;
  } catch {
    return null;
  }
}

/** NOTIFY payload: the whole event, or `{ref}` when it lives in `realtime_event_payloads`. */
export type PgRealtimeNotification = { kind: 'event'; event: RealtimeEvent } | { kind: 'ref'; id: string };

export function decodePgNotification(payload: string): PgRealtimeNotification | null {
  try {
    const raw = JSON.parse(payload) as Record<string, unknown>;
    if (raw && typeof raw.ref === 'string') return { kind: 'ref', id: raw.ref };
    if (raw && typeof raw.id === 'string') {
      const body = parseRealtimeEventBody(raw);
      return body ? { kind: 'event', event: { id: raw.id, ...body } } : null;
    }
  } catch {
    // fall through
  }
  return null;
}

/**
 * A time-ordered id (RFC 9562 UUIDv7): 48 bits of Unix milliseconds, then random bits. The
 * PostgreSQL transport's event ids, unique across publishers without coordination.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = BigInt(nowMs);
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = Number(ms & 0xffn);
    ms >>= 8n;
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Redis stream ids `ms-seq`, compared numerically; null for anything else. */
export function parseStreamId(id: string): [bigint, bigint] | null {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  if (!match) return null;
  return [BigInt(match[1] ?? '0'), BigInt(match[2] ?? '0')];
}

export function compareStreamIds(a: [bigint, bigint], b: [bigint, bigint]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}
