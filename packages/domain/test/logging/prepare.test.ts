import { describe, expect, it } from 'vitest';
import { prepareLogEvent } from '../../src/logging/ingest.ts';
import { normaliseLevel } from '../../src/logging/levels.ts';
import { REDACTED, redactText, redactValue } from '../../src/logging/redact.ts';
import { type CompiledRule, ruleMatches, sourceMatches } from '../../src/logging/rules.ts';

const now = new Date('2026-12-03T12:00:00.000Z');

describe('log event preparation', () => {
  it('normalises level names and their common aliases, and refuses unknown ones', () => {
    expect(['WARNING', 'warn', ' Warn '].map(normaliseLevel)).toEqual(['warn', 'warn', 'warn']);
    expect(['err', 'CRITICAL', 'panic', 'trace', 'notice'].map(normaliseLevel)).toEqual([
      'error',
      'fatal',
      'fatal',
      'debug',
      'info',
    ]);
    expect(normaliseLevel('loud')).toBeNull();
    const bad = prepareLogEvent({ level: 'loud', source: 'x', message: 'y' }, { now });
    expect(bad).toEqual({ ok: false, fieldErrors: { level: [expect.stringContaining('Unknown level')] } });
  });

  it('redacts secrets by key at any depth (arrays too) and by shape in any string', () => {
    const value = redactValue({
      password: 'p1',
      nested: { deeper: [{ Authorization: 'Basic abc', ok: 'fine' }], client_secret: 's' },
      note: 'retry with token=abc123 and Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl',
      empty: { password: '' },
    });
    expect(value).toEqual({
      password: REDACTED,
      nested: { deeper: [{ Authorization: REDACTED, ok: 'fine' }], client_secret: REDACTED },
      note: `retry with token=${REDACTED} and Bearer ${REDACTED}`,
      empty: { password: '' },
    });
    expect(redactText('login ok for ann')).toBe('login ok for ann');
    expect(redactText('key atr_abcdefgh_0123456789abcdefABCDEF used')).toBe(`key ${REDACTED} used`);
    expect(redactText('aws AKIAABCDEFGHIJKLMNOP here')).toBe(`aws ${REDACTED} here`);
    expect(redactText('{"api_key":"k-1","user":"ann"}')).toBe(`{"api_key":${REDACTED},"user":"ann"}`);
  });

  it('refuses platform sources, events from the far future, oversize messages and attributes', () => {
    const sourceError = prepareLogEvent({ level: 'info', source: 'Platform.api', message: 'x' }, { now });
    expect(sourceError.ok).toBe(false);
    const future = prepareLogEvent(
      { level: 'info', source: 'a', message: 'x', timestamp: '2026-12-05T00:00:00Z' },
      { now },
    );
    expect(future).toEqual({ ok: false, fieldErrors: { timestamp: [expect.any(String)] } });
    const long = prepareLogEvent({ level: 'info', source: 'a', message: 'x'.repeat(8_001) }, { now });
    expect(long.ok).toBe(false);
    const big = prepareLogEvent(
      { level: 'info', source: 'a', message: 'x', attributes: { blob: 'y'.repeat(17_000) } },
      { now },
    );
    expect(big).toEqual({ ok: false, fieldErrors: { attributes: [expect.stringContaining('16 KB')] } });
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i += 1) deep = { inner: deep };
    expect(prepareLogEvent({ level: 'info', source: 'a', message: 'x', attributes: deep }, { now }).ok).toBe(
      false,
    );
    const platform = prepareLogEvent(
      { level: 'info', source: 'platform.api', message: 'x' },
      { now, allowPlatformSources: true },
    );
    expect(platform.ok).toBe(true);
  });

  it('matches rules by minimum level, source or anything under it, and text in any case', () => {
    const rule: CompiledRule = {
      id: 'r',
      orgId: 'o',
      key: null,
      name: 'n',
      minLevel: 40,
      containsText: 'declined',
      source: 'payments',
      windowSeconds: 60,
      threshold: 1,
    };
    expect(ruleMatches(rule, { level: 40, source: 'payments.card', message: 'Card DECLINED' })).toBe(true);
    expect(ruleMatches(rule, { level: 30, source: 'payments', message: 'declined' })).toBe(false);
    expect(ruleMatches(rule, { level: 50, source: 'paymentsx', message: 'declined' })).toBe(false);
    expect(ruleMatches(rule, { level: 50, source: 'payments', message: 'accepted' })).toBe(false);
    expect(sourceMatches(null, 'anything')).toBe(true);
    expect(sourceMatches('a.b', 'a.b.c')).toBe(true);
    expect(sourceMatches('a.b', 'a.bc')).toBe(false);
  });
});
