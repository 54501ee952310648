import { hash } from 'node:crypto';

/**
 * The chain format of SPEC §7 (docs/audit.md has the full description). Pure functions: append and
 * verify both compute checksums here, so the two can never disagree about the format.
 */

/** prev_checksum of every org's first entry. */
export const GENESIS = 'GENESIS';

/** The fields a checksum covers, as they are stored. */
export interface ChainFields {
  orgId: string;
  seq: number;
  /** ISO-8601 UTC with milliseconds, `2026-11-22T09:00:00.000Z` (see formatAuditTime). */
  at: string;
  actorId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  payloadHash: string;
  prevChecksum: string;
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

const MAX_DEPTH = 64;

/**
 * JSON with object keys sorted (UTF-16 code-unit order, as Array#sort) and no whitespace. Follows
 * JSON.stringify's rules for everything else (toJSON, undefined/function members dropped, undefined in
 * arrays → null, non-finite numbers → null), so `canonicalJson(JSON.parse(canonicalJson(v)))` equals
 * `canonicalJson(v)`: the text hashed at append is reproduced from the stored jsonb at verify.
 * A top-level undefined is `null`. BigInt and cyclic (or absurdly deep) values throw a TypeError.
 */
export function canonicalJson(value: unknown): string {
  // Fast path: plain JSON data — what JSON.parse makes (every payload verify reads) and what most
  // payloads are — is copied with its keys in canonical order and written by the native
  // JSON.stringify, about 1.5× as fast as concatenating here. Anything else takes encode().
  const sorted = sortedCopy(value, 0);
  if (sorted !== NOT_PLAIN) return JSON.stringify(sorted) ?? 'null';
  return encode(value, 0) ?? 'null';
}

const NOT_PLAIN = Symbol('not plain JSON data');

/**
 * A copy of `value` whose objects list their keys in canonical order, for JSON.stringify to write
 * verbatim; NOT_PLAIN where encode()'s own rules are needed: BigInt, excessive depth, boxed primitives
 * and other class instances, and keys a plain object cannot hold in that order (array-index keys,
 * which objects always enumerate first, and `__proto__`, which would set the prototype).
 */
function sortedCopy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'bigint' ? NOT_PLAIN : value;
  if (depth >= MAX_DEPTH) return NOT_PLAIN;
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof object.toJSON === 'function') return sortedCopy(object.toJSON(), depth + 1);
  if (Array.isArray(object)) {
    const copy = new Array<unknown>(object.length);
    for (let i = 0; i < object.length; i++) {
      const item = sortedCopy(object[i], depth + 1);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      copy[i] = item;
    }
    return copy;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const keys = Object.keys(object);
  for (const key of keys) {
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57) || key === '__proto__') return NOT_PLAIN;
  }
  if (keys.length > 1) keys.sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const item = sortedCopy(object[key], depth + 1);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = item;
  }
  return copy;
}

function encode(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt is not JSON');
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) throw new TypeError('canonicalJson: value is cyclic or nested too deeply');
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof object.toJSON === 'function') return encode(object.toJSON(), depth + 1);
  if (Array.isArray(object)) {
    let out = '[';
    for (let i = 0; i < object.length; i++) {
      if (i > 0) out += ',';
      out += encode(object[i], depth + 1) ?? 'null';
    }
    return `${out}]`;
  }
  // Plain objects (everything JSON.parse makes) skip the boxed-primitive checks below.
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    if (object instanceof Number || object instanceof String || object instanceof Boolean) {
      return encode(object.valueOf(), depth + 1);
    }
  }
  const keys = Object.keys(object);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (const key of keys) {
    const encoded = encode(object[key], depth + 1);
    if (encoded === undefined) continue;
    out += out.length === 1 ? `${JSON.stringify(key)}:${encoded}` : `,${JSON.stringify(key)}:${encoded}`;
  }
  return `${out}}`;
}

/** sha256 of the payload's canonical JSON; an absent payload hashes as `null`. */
export function payloadHash(payload: unknown): string {
  return sha256Hex(canonicalJson(payload ?? null));
}

/** The one textual form of `at` the chain covers: ISO-8601 UTC, millisecond precision. */
export function formatAuditTime(at: Date): string {
  return at.toISOString();
}

/**
 * checksum = sha256(org|seq|at|actor|action|resource_type|resource_id|payload_hash|prev_checksum),
 * null actor / resource id as the empty string. The free-text fields escape `\` and `|` (as `\\`
 * and `\|`) so the joined text is unambiguous: no two different rows share a preimage by moving a
 * `|` from one field into its neighbour. Names of the product never contain either character, so
 * for them this is exactly the plain join.
 *
 * appendAudit builds the middle of the preimage here and lets PostgreSQL finish it (org, seq and
 * prev are known only once the head is locked, inside its one statement); the tests hold the two
 * forms together.
 */
export function computeChecksum(fields: ChainFields): string {
  return sha256Hex(`${fields.orgId}|${fields.seq}|${checksumMiddle(fields)}|${fields.prevChecksum}`);
}

/** The part of the preimage known before the head is locked: everything but org, seq and prev. */
export function checksumMiddle(
  fields: Pick<ChainFields, 'at' | 'actorId' | 'action' | 'resourceType' | 'resourceId' | 'payloadHash'>,
): string {
  return `${fields.at}|${fields.actorId ?? ''}|${escapeField(fields.action)}|${escapeField(fields.resourceType)}|${escapeField(fields.resourceId ?? '')}|${fields.payloadHash}`;
}

const NEEDS_ESCAPE = /[\\|]/;

function escapeField(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/[\\|]/g, (c) => `\\${c}`) : text;
}
