import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import { isInAudience } from '../../src/realtime/audience.ts';
import {
  compareStreamIds,
  decodePgNotification,
  decodeRedisMessage,
  parseStreamId,
  prepareRealtimeEvent,
  uuidv7,
} from '../../src/realtime/wire.ts';

const ORG = '0b5d2c8e-0000-4000-8000-000000000001';
const OTHER_ORG = '0b5d2c8e-0000-4000-8000-000000000002';
const ME = '0b5d2c8e-0000-4000-8000-00000000000a';
const YOU = '0b5d2c8e-0000-4000-8000-00000000000b';

describe('realtime audience (SPEC §2: scoped to the caller’s org and permissions)', () => {
  const listener = (permissions: string[] = [], userId = ME, orgId = ORG) => ({
    userId,
    orgId,
    permissions: new Set(permissions),
  });

  it('never crosses orgs, whatever the audience says', () => {
    expect(isInAudience({ orgId: OTHER_ORG }, listener())).toBe(false);
    expect(isInAudience({ orgId: OTHER_ORG, audience: { userIds: [ME] } }, listener())).toBe(false);
  });

  it('no audience (or an empty one) is everyone in the org', () => {
    expect(isInAudience({ orgId: ORG }, listener())).toBe(true);
    expect(isInAudience({ orgId: ORG, audience: {} }, listener())).toBe(true);
  });

  it('user ids and a permission are a union; an empty user list alone reaches no one', () => {
    const event = { orgId: ORG, audience: { userIds: [YOU], permission: 'creators.review' } };
    expect(isInAudience(event, listener([], YOU))).toBe(true);
    expect(isInAudience(event, listener(['creators.review']))).toBe(true);
    expect(isInAudience(event, listener(['content.write']))).toBe(false);
    expect(isInAudience({ orgId: ORG, audience: { userIds: [] } }, listener(['creators.review']))).toBe(
      false,
    );
  });
});

describe('realtime wire format', () => {
  it('prepares a valid event: time stamped, audience deduplicated, payload as JSON', () => {
    const at = new Date('2026-11-29T09:30:00.000Z');
    const body = prepareRealtimeEvent(
      { orgId: ORG, type: 'space.updated', payload: { when: at, n: 1 }, audience: { userIds: [ME, ME] } },
      at,
    );
    expect(body).toEqual({
      orgId: ORG,
      type: 'space.updated',
      payload: { when: '2026-11-29T09:30:00.000Z', n: 1 },
      audience: { userIds: [ME] },
      at: '2026-11-29T09:30:00.000Z',
    });
  });

  it.each([
    ['an event type that is not dotted lower-case words', { orgId: ORG, type: 'SpaceUpdated', payload: {} }],
    ['an org that is not a uuid', { orgId: 'acme', type: 'space.updated', payload: {} }],
    ['a payload over 64 KiB', { orgId: ORG, type: 'space.updated', payload: 'x'.repeat(70_000) }],
    ['unknown audience keys', { orgId: ORG, type: 'space.updated', payload: {}, audience: { roles: ['x'] } }],
  ])('refuses %s', (_label, input) => {
    expect(() => prepareRealtimeEvent(input)).toThrow(ValidationError);
  });

  it('decodes what the transports carry and rejects anything else', () => {
    const body = prepareRealtimeEvent({ orgId: ORG, type: 'sync.progress', payload: { pct: 50 } });
    expect(decodeRedisMessage(`1700000000000-3 ${JSON.stringify(body)}`)).toEqual({
      id: '1700000000000-3',
      ...body,
    });
    expect(decodeRedisMessage('garbage')).toBeNull();
    expect(decodeRedisMessage('1-0 {"orgId":1}')).toBeNull();
    const id = uuidv7();
    expect(decodePgNotification(JSON.stringify({ id, ...body }))).toEqual({
      kind: 'event',
      event: { id, ...body },
    });
    expect(decodePgNotification(JSON.stringify({ ref: id }))).toEqual({ kind: 'ref', id });
    expect(decodePgNotification('{')).toBeNull();
  });

  it('uuidv7 ids are version 7 and sort by time', () => {
    const early = uuidv7(1_700_000_000_000);
    const late = uuidv7(1_700_000_000_001);
    expect(early).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(early < late).toBe(true);
    expect(new Set(Array.from({ length: 1_000 }, () => uuidv7())).size).toBe(1_000);
  });

  it('compares Redis stream ids numerically, not as text', () => {
    const a = parseStreamId('999-5');
    const b = parseStreamId('1000-0');
    expect(a && b && compareStreamIds(a, b)).toBe(-1);
    expect(parseStreamId('1000')).toBeNull();
    expect(parseStreamId('x-1')).toBeNull();
  });
});
