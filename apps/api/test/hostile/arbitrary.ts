import { randomUUID } from 'node:crypto';
import type { z } from 'zod';

/**
 * Plausible and hostile inputs for any procedure, derived from its zod input schema, so a procedure
 * added tomorrow is walked without anyone writing a case for it.
 *
 * `plausible(schema)` builds a value that passes each leaf schema (strings of the right format and
 * length, numbers in range, every optional field filled in). `leaves(schema)` lists where strings,
 * numbers and dates sit in it; `hostileVariants` replaces one leaf at a time with what an attacker
 * sends: NUL bytes, huge text, garbage cursors, dates outside PostgreSQL's range, extreme numbers.
 */

type AnySchema = z.ZodType;
interface Def {
  type: string;
  [key: string]: unknown;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

export type LeafKind = 'string' | 'number' | 'date' | 'boolean';
export interface Leaf {
  path: (string | number)[];
  kind: LeafKind;
  schema: AnySchema;
}

const STRING_CANDIDATES = [
  'x',
  'viewer',
  'a@example.test',
  'https://example.test/a',
  'Europe/London',
  '*/5 * * * *',
  'en',
  'abc.def',
  'identity.welcome-email',
  'notification.queued',
  '2026-01-01T00:00:00.000Z',
];

function firstPassing(schema: AnySchema, candidates: unknown[]): unknown {
  for (const candidate of candidates) if (schema.safeParse(candidate).success) return candidate;
  return candidates[0];
}

function stringCandidates(schema: AnySchema): unknown[] {
  const def = defOf(schema);
  const format = (def.format as string | undefined) ?? formatOfChecks(def);
  const lengths = [1, 3, 8, 12, 20, 32, 43, 64];
  const generated = lengths.map((n) =>
    'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01'.slice(0, n),
  );
  const byFormat: Record<string, string[]> = {
    uuid: [randomUUID()],
    guid: [randomUUID()],
    email: ['hostile.walk@example.test'],
    url: ['https://example.test/a'],
    datetime: ['2026-01-01T00:00:00.000Z'],
  };
  return [
    ...(byFormat[format ?? ''] ?? []),
    ...STRING_CANDIDATES,
    ...generated,
    'correct-horse-battery-staple',
  ];
}

function formatOfChecks(def: Def): string | undefined {
  const checks = (def.checks as Array<{ _zod: { def: { format?: string } } }> | undefined) ?? [];
  for (const check of checks) {
    const format = check._zod.def.format;
    if (format && format !== 'regex') return format;
  }
  return undefined;
}

/** A value that passes every leaf of `schema` (the whole may still fail cross-field rules). */
export function plausible(schema: AnySchema, depth = 0): unknown {
  const def = defOf(schema);
  if (depth > 8) return undefined;
  switch (def.type) {
    case 'string':
      return firstPassing(schema, stringCandidates(schema));
    case 'number':
      return firstPassing(schema, [1, 2, 10, 50, 60, 100, 3600, 0, 0.5]);
    case 'bigint':
      return 1n;
    case 'boolean':
      return true;
    case 'date':
      return new Date('2026-06-01T00:00:00.000Z');
    case 'literal':
      return (def.values as unknown[])[0];
    case 'enum':
      return Object.values(def.entries as Record<string, unknown>)[0];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return plausible(def.innerType as AnySchema, depth + 1);
    case 'pipe':
      return plausible(def.in as AnySchema, depth + 1);
    case 'lazy':
      return plausible((def.getter as () => AnySchema)(), depth + 1);
    case 'object': {
      const shape = def.shape as Record<string, AnySchema>;
      return Object.fromEntries(
        Object.entries(shape).map(([key, child]) => [key, plausible(child, depth + 1)]),
      );
    }
    case 'array':
      return [plausible(def.element as AnySchema, depth + 1)];
    case 'tuple':
      return (def.items as AnySchema[]).map((item) => plausible(item, depth + 1));
    case 'record':
      return { key: plausible(def.valueType as AnySchema, depth + 1) };
    case 'union':
      return plausible((def.options as AnySchema[])[0] as AnySchema, depth + 1);
    default:
      return 'x';
  }
}

/** Where the primitive values of `schema` sit (following the same branches `plausible` takes). */
export function leaves(schema: AnySchema, path: (string | number)[] = [], depth = 0): Leaf[] {
  const def = defOf(schema);
  if (depth > 8) return [];
  switch (def.type) {
    case 'string':
      return [{ path, kind: 'string', schema }];
    case 'number':
    case 'bigint':
      return [{ path, kind: 'number', schema }];
    case 'date':
      return [{ path, kind: 'date', schema }];
    case 'boolean':
      return [{ path, kind: 'boolean', schema }];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return leaves(def.innerType as AnySchema, path, depth + 1);
    case 'pipe':
      return leaves(def.in as AnySchema, path, depth + 1);
    case 'lazy':
      return leaves((def.getter as () => AnySchema)(), path, depth + 1);
    case 'object':
      return Object.entries(def.shape as Record<string, AnySchema>).flatMap(([key, child]) =>
        leaves(child, [...path, key], depth + 1),
      );
    case 'array':
      return leaves(def.element as AnySchema, [...path, 0], depth + 1);
    case 'tuple':
      return (def.items as AnySchema[]).flatMap((item, i) => leaves(item, [...path, i], depth + 1));
    case 'record':
      return leaves(def.valueType as AnySchema, [...path, 'key'], depth + 1);
    case 'union':
      return leaves((def.options as AnySchema[])[0] as AnySchema, path, depth + 1);
    default:
      return [];
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** What an attacker puts where a value of each kind belongs. */
const HOSTILE: Record<LeafKind, Array<{ label: string; value: unknown }>> = {
  string: [
    { label: 'NUL byte', value: 'a\u0000b' },
    { label: '100,000 characters', value: 'x'.repeat(100_000) },
    { label: 'garbage cursor', value: '%%%not-base64%%%' },
    { label: 'forged cursor with a garbage timestamp', value: b64(['garbage', randomUUID()]) },
    { label: 'forged cursor with a year-0 timestamp', value: b64(['0000-13-45 99:99:99+00', randomUUID()]) },
    { label: 'out-of-range bigint', value: '99999999999999999999' },
    { label: 'date before 4713 BC', value: '-271821-04-20T00:00:00.000Z' },
    { label: 'SQL', value: "'; DROP TABLE users; --" },
    { label: 'lone surrogate', value: '\ud800' },
  ],
  number: [
    { label: 'huge number', value: 1e308 },
    { label: 'negative huge number', value: -1e308 },
    { label: 'fraction', value: 0.5 },
    { label: 'big integer', value: 2 ** 62 },
  ],
  date: [
    { label: 'date before 4713 BC', value: new Date(-8.64e15) },
    { label: 'invalid date', value: new Date(Number.NaN) },
    { label: 'date after 294276 AD as text', value: '294277-01-01T00:00:00.000Z' },
  ],
  boolean: [{ label: 'string for a boolean', value: 'true' }],
};

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const clone = (
    Array.isArray(root) ? [...root] : { ...((root as Record<string, unknown>) ?? {}) }
  ) as Record<string | number, unknown>;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  clone[head] = setAt(clone[head], rest, value);
  return clone;
}

export interface Variant {
  label: string;
  input: unknown;
}

/** The plausible input, then one hostile value per leaf and kind, then hostile wholes. */
export function hostileVariants(schema: AnySchema | undefined): Variant[] {
  if (!schema)
    return [
      { label: 'no input', input: undefined },
      { label: 'unexpected object', input: { a: 'b\u0000' } },
    ];
  const base = plausible(schema);
  const variants: Variant[] = [{ label: 'plausible input', input: base }];
  for (const leaf of leaves(schema)) {
    for (const hostile of HOSTILE[leaf.kind]) {
      variants.push({
        label: `${leaf.path.join('.') || '(input)'} = ${hostile.label}`,
        input: setAt(base, leaf.path, hostile.value),
      });
    }
  }
  variants.push(
    { label: 'a number instead of the input', input: 42 },
    { label: 'an array instead of the input', input: [1, 2, 3] },
    {
      label: 'NUL in an unexpected key',
      input: typeof base === 'object' && base ? { ...base, 'k\u0000': 1 } : base,
    },
    { label: 'deeply nested object', input: nested(200) },
  );
  return variants;
}

function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}
