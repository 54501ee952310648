import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, computeChecksum, GENESIS, payloadHash } from '../../src/audit/index.ts';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 2, x: 1 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"x":1,"y":2}]},"b":1}',
    );
  });

  it('is independent of key insertion order', () => {
    expect(canonicalJson({ a: 1, b: 2, c: { e: 1, d: 2 } })).toBe(
      canonicalJson({ c: { d: 2, e: 1 }, b: 2, a: 1 }),
    );
  });

  it('follows JSON.stringify for undefined, functions, non-finite numbers, dates and toJSON', () => {
    const at = new Date('2026-11-22T09:00:00.123Z');
    expect(
      canonicalJson({ u: undefined, f: () => 1, n: Number.NaN, i: -Infinity, d: at, arr: [undefined, 1] }),
    ).toBe('{"arr":[null,1],"d":"2026-11-22T09:00:00.123Z","i":null,"n":null}');
    expect(canonicalJson({ toJSON: () => ({ z: 1, a: 2 }) })).toBe('{"a":2,"z":1}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('é"\n')).toBe(JSON.stringify('é"\n'));
    expect(canonicalJson([1.5, 1e21, -0, true])).toBe('[1.5,1e+21,0,true]');
  });

  it('is a fixed point of JSON round trips, so verify reproduces what append hashed', () => {
    const value = {
      when: new Date(0),
      list: [{ b: 2, a: 1 }],
      text: 'ünïcødé 🎉',
      big: 2 ** 60,
    };
    const once = canonicalJson(value);
    expect(canonicalJson(JSON.parse(once))).toBe(once);
  });

  it('orders keys a plain object cannot hold in that order: array indices and __proto__', () => {
    // Objects enumerate array-index keys first; canonical order is by UTF-16 code units regardless.
    expect(canonicalJson({ b: 1, 10: 'ten', 9: 'nine' })).toBe('{"10":"ten","9":"nine","b":1}');
    expect(canonicalJson(JSON.parse('{"z":1,"__proto__":{"y":2,"x":1},"a":[{"2":0,"1":0}]}'))).toBe(
      '{"__proto__":{"x":1,"y":2},"a":[{"1":0,"2":0}],"z":1}',
    );
    const bare = Object.assign(Object.create(null), { b: 1, a: 2 });
    expect(canonicalJson({ bare })).toBe('{"bare":{"a":2,"b":1}}');
    // JSON.stringify's rules for boxed primitives, dates and other class instances still apply.
    expect(canonicalJson({ s: new String('x'), m: new Map([[1, 2]]), d: [new Date(0)] })).toBe(
      '{"d":["1970-01-01T00:00:00.000Z"],"m":{},"s":"x"}',
    );
  });

  it('matches a plain recursive reference on varied JSON data (fast path and general path)', () => {
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const keys = Object.keys(value).sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
      }
      return JSON.stringify(value);
    };
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
      return seed / 2 ** 32;
    };
    const keyPool = ['a', 'B', 'é', 'ab', 'a b', '10', '9', '-1', '', 'zz', '"q"', '\\', '😀', 'key\n'];
    const leaf = () =>
      [null, true, false, 0, -0, 1.5, -2e-7, 1e21, 2 ** 53, 'text', 'ünï"\\\n😀', ''][
        Math.floor(random() * 12)
      ];
    const value = (depth: number): unknown => {
      const pick = random();
      if (depth > 3 || pick < 0.4) return leaf();
      if (pick < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i--) {
        object[keyPool[Math.floor(random() * keyPool.length)]!] = value(depth + 1);
      }
      return object;
    };
    for (let i = 0; i < 500; i++) {
      const v = value(0);
      expect(canonicalJson(v)).toBe(reference(JSON.parse(JSON.stringify(v))));
      expect(canonicalJson(JSON.parse(canonicalJson(v)))).toBe(canonicalJson(v));
    }
  });

  it('refuses BigInt and cyclic values', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
  });
});

describe('payloadHash', () => {
  it('is sha-256 of the canonical JSON, with an absent payload hashed as null', () => {
    expect(payloadHash({ b: 1, a: 2 })).toBe(sha256('{"a":2,"b":1}'));
    expect(payloadHash(undefined)).toBe(sha256('null'));
    expect(payloadHash(null)).toBe(sha256('null'));
  });
});

describe('computeChecksum', () => {
  const fields = {
    orgId: '00000000-0000-4000-8000-0000000000aa',
    seq: 1,
    at: '2026-11-22T09:00:00.123Z',
    actorId: '00000000-0000-4000-8000-000000000001',
    action: 'user.created',
    resourceType: 'user',
    resourceId: 'u-1',
    payloadHash: sha256('null'),
    prevChecksum: GENESIS,
  };

  it('is sha256(org|seq|at|actor|action|resource_type|resource_id|payload_hash|prev_checksum)', () => {
    expect(computeChecksum(fields)).toBe(
      sha256(
        `00000000-0000-4000-8000-0000000000aa|1|2026-11-22T09:00:00.123Z|00000000-0000-4000-8000-000000000001|user.created|user|u-1|${sha256('null')}|GENESIS`,
      ),
    );
  });

  it('writes a null actor and resource id as empty strings', () => {
    expect(computeChecksum({ ...fields, actorId: null, resourceId: null })).toBe(
      sha256(
        `00000000-0000-4000-8000-0000000000aa|1|2026-11-22T09:00:00.123Z||user.created|user||${sha256('null')}|GENESIS`,
      ),
    );
  });

  it('cannot be matched by moving a separator between free-text fields', () => {
    const a = computeChecksum({ ...fields, resourceType: 'user', resourceId: 'x|y' });
    const b = computeChecksum({ ...fields, resourceType: 'user|x', resourceId: 'y' });
    expect(a).not.toBe(b);
  });

  it('changes with every field', () => {
    const base = computeChecksum(fields);
    const variants = [
      { orgId: '00000000-0000-4000-8000-0000000000bb' },
      { seq: 2 },
      { at: '2026-11-22T09:00:00.124Z' },
      { actorId: null },
      { action: 'user.disabled' },
      { resourceType: 'role' },
      { resourceId: 'u-2' },
      { payloadHash: sha256('{}') },
      { prevChecksum: sha256('x') },
    ];
    for (const variant of variants) expect(computeChecksum({ ...fields, ...variant })).not.toBe(base);
  });
});
