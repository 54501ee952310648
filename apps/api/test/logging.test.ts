import type { AddressInfo } from 'node:net';
import { PERMISSIONS } from '@atrium/domain/access/permissions';
import type { Session } from '@atrium/domain/access/session';
import { useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context.ts';
import { createApp } from '../src/http.ts';
import { appRouter } from '../src/router.ts';
import { type RunningApi, startApi } from '../src/server.ts';
import { createCallerFactory, publicProcedure, router } from '../src/trpc.ts';
import { callProcedure, testApiEnv } from './helpers.ts';

/**
 * Logs, API keys, alert rules and incidents (SPEC §7, docs/logging.md) over real HTTP where keys are
 * concerned (they only travel as `Authorization: Bearer`), through the router's caller otherwise.
 */
describe('logs, API keys, alert rules and incidents', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgA: string;
  let orgB: string;
  let adminA: TestUser;
  let adminB: TestUser;
  const createCaller = createCallerFactory(appRouter);

  const sessionOf = (user: TestUser, platformRole: 'operator' | null = null): Session => ({
    userId: user.id,
    orgId: user.orgId,
    roles: ['admin'],
    permissions: new Set(PERMISSIONS),
    platformRole,
    permissionVersion: 1,
  });
  const callerFor = (session: Session) =>
    createCaller(createInnerContext({ services: api.services, session }));
  const withKey = (key: string) => ({ authorization: `Bearer ${key}` });
  const ingest = (key: string, event: unknown) =>
    callProcedure(api.url, 'logs.ingest', { type: 'mutation', input: { event }, headers: withKey(key) });
  const ingestBulk = (key: string, events: unknown[]) =>
    callProcedure(api.url, 'logs.ingestBulk', { type: 'mutation', input: { events }, headers: withKey(key) });
  const queryWithKey = (key: string, input: unknown) =>
    callProcedure(api.url, 'logs.query', { input, headers: withKey(key) });

  beforeAll(async () => {
    api = await startApi(testApiEnv(t.url));
    orgA = (await createTestOrg(t.db, { name: 'Logs A' })).id;
    orgB = (await createTestOrg(t.db, { name: 'Logs B' })).id;
    adminA = await createTestUser(t.db, { orgId: orgA, roles: ['admin'] });
    adminB = await createTestUser(t.db, { orgId: orgB, roles: ['admin'] });
  });
  afterAll(() => api?.close());

  async function keyFor(admin: TestUser, scopes: Array<'logs.ingest' | 'logs.read'>, name = 'shipper') {
    return callerFor(sessionOf(admin)).apiKeys.create({ name, scopes });
  }

  it('an API key is shown once, stored hashed, audited, listed without the secret, and revoked at once', async () => {
    const { key, apiKey } = await keyFor(adminA, ['logs.ingest', 'logs.read']);
    expect(key).toMatch(/^atr_[A-Za-z0-9]+_[A-Za-z0-9_-]{40,}$/);
    expect(key.startsWith(`${apiKey.prefix}_`)).toBe(true);
    const stored = await t.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', apiKey.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(key.split('_')[2]);
    expect(stored.key_hash).toMatch(/^[0-9a-f]{64}$/);

    const listed = await callerFor(sessionOf(adminA)).apiKeys.list({});
    expect(listed.items.map((item) => item.id)).toContain(apiKey.id);
    expect(JSON.stringify(listed)).not.toContain(key);

    expect((await ingest(key, { level: 'info', source: 'shop', message: 'hello' })).status).toBe(200);
    const used = await t.db
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('id', '=', apiKey.id)
      .executeTakeFirstOrThrow();
    expect(used.last_used_at).toBeInstanceOf(Date);

    await callerFor(sessionOf(adminA)).apiKeys.revoke({ id: apiKey.id });
    const refused = await ingest(key, { level: 'info', source: 'shop', message: 'after revocation' });
    expect(refused.status).toBe(401);
    expect(refused.body.error?.json.data.code).toBe('UNAUTHENTICATED');
    expect((await queryWithKey(key, {})).status).toBe(401);

    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'resource_id'])
      .where('org_id', '=', orgA)
      .where('action', 'in', ['api_key.created', 'api_key.revoked'])
      .execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        { action: 'api_key.created', resource_id: apiKey.id },
        { action: 'api_key.revoked', resource_id: apiKey.id },
      ]),
    );
    // Another org's admin does not find the key.
    await expect(callerFor(sessionOf(adminB)).apiKeys.revoke({ id: apiKey.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('a key reaches only its own org, only with its scopes, and only procedures that allow keys', async () => {
    const a = await keyFor(adminA, ['logs.ingest', 'logs.read']);
    const b = await keyFor(adminB, ['logs.ingest', 'logs.read']);
    const marker = `marker${crypto.randomUUID().replaceAll('-', '')}`;
    expect(
      (await ingest(a.key, { level: 'warn', source: 'billing', message: `org A ${marker}` })).status,
    ).toBe(200);
    expect(
      (await ingest(b.key, { level: 'warn', source: 'billing', message: `org B ${marker}` })).status,
    ).toBe(200);

    // B's key reads B's events only; nothing in the input can point it at A.
    const seenByB = await queryWithKey(b.key, { q: marker });
    const itemsB =
      (seenByB.body.result?.data.json as { items: Array<{ message: string }> } | undefined)?.items ?? [];
    expect(itemsB.map((i) => i.message)).toEqual([`org B ${marker}`]);
    const rows = await t.db
      .selectFrom('log_events')
      .select(['org_id', 'message'])
      .where('message', 'like', `%${marker}`)
      .execute();
    expect(rows.map((r) => [r.org_id, r.message]).sort()).toEqual(
      [
        [orgA, `org A ${marker}`],
        [orgB, `org B ${marker}`],
      ].sort(),
    );

    // An ingest-only key cannot read; a key is no access token for other procedures.
    const ingestOnly = await keyFor(adminA, ['logs.ingest']);
    expect((await queryWithKey(ingestOnly.key, {})).status).toBe(403);
    const readOnly = await keyFor(adminA, ['logs.read']);
    expect((await ingest(readOnly.key, { level: 'info', source: 'x', message: 'y' })).status).toBe(403);
    expect((await callProcedure(api.url, 'users.me', { headers: withKey(a.key) })).status).toBe(401);
    expect((await callProcedure(api.url, 'incidents.list', { headers: withKey(a.key) })).status).toBe(401);
  });

  it('secrets in attributes and in the message are stored redacted', async () => {
    const { key } = await keyFor(adminA, ['logs.ingest']);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    const response = await ingest(key, {
      level: 'ERROR',
      source: 'auth.gateway',
      message: `login failed password=hunter2 with Authorization: Bearer abcdef123456 and token ${jwt} key ${key}`,
      attributes: {
        user: 'ann',
        password: 'hunter2',
        headers: { Authorization: 'Bearer abcdef123456', Cookie: 'sid=xyz', accept: 'text/html' },
        nested: [{ client_secret: 's3cr3t', note: 'api_key=AKIAABCDEFGHIJKLMNOP' }],
        apiKey: 'k-123',
      },
    });
    expect(response.status).toBe(200);
    const id = (response.body.result?.data.json as { id: string } | undefined)?.id ?? '0';
    const row = await t.db
      .selectFrom('log_events')
      .selectAll()
      .where('id', '=', id as never)
      .executeTakeFirstOrThrow();
    const stored = JSON.stringify(row);
    for (const secret of [
      'hunter2',
      'abcdef123456',
      'sid=xyz',
      's3cr3t',
      'AKIAABCDEFGHIJKLMNOP',
      'k-123',
      jwt,
      key,
    ]) {
      expect(stored, secret).not.toContain(secret);
    }
    expect(row.level).toBe(40);
    expect(row.attributes).toMatchObject({
      user: 'ann',
      password: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', Cookie: '[REDACTED]', accept: 'text/html' },
      nested: [{ client_secret: '[REDACTED]' }],
    });
    expect(row.message).toContain('password=[REDACTED]');
  });

  it('a bulk of 1,000 with 3 bad events stores the 997 good ones and names the bad ones by index', async () => {
    const { key } = await keyFor(adminA, ['logs.ingest']);
    const batch = `bulk${crypto.randomUUID().replaceAll('-', '')}`;
    const events: unknown[] = Array.from({ length: 1_000 }, (_, i) => ({
      level: i % 2 === 0 ? 'info' : 'warning',
      source: 'bulk.test',
      message: `${batch} event ${i}`,
      attributes: { i },
      timestamp: new Date(Date.now() - i).toISOString(),
    }));
    events[10] = { level: 'loud', source: 'bulk.test', message: 'bad level' };
    events[500] = { level: 'info', source: 'bulk.test', message: 'x'.repeat(8_001) };
    events[999] = { level: 'info', source: 'platform.api', message: 'spoofed platform source' };
    const response = await ingestBulk(key, events);
    expect(response.status).toBe(200);
    const result = response.body.result?.data.json as {
      accepted: number;
      rejected: Array<{ index: number; fieldErrors: Record<string, string[]> }>;
    };
    expect(result.accepted).toBe(997);
    expect(result.rejected.map((r) => [r.index, Object.keys(r.fieldErrors)])).toEqual([
      [10, ['level']],
      [500, ['message']],
      [999, ['source']],
    ]);
    const stored = await t.db
      .selectFrom('log_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('message', 'like', `${batch}%`)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(997);
    const warn = await t.db
      .selectFrom('log_events')
      .select('level')
      .where('message', '=', `${batch} event 1`)
      .executeTakeFirstOrThrow();
    expect(warn.level).toBe(30);

    // Over 1,000 → 400 at the boundary, nothing stored.
    const tooMany = await ingestBulk(
      key,
      Array.from({ length: 1_001 }, () => ({ level: 'info', source: 'x', message: 'y' })),
    );
    expect(tooMany.status).toBe(400);
  });

  it('logs.query filters by level, source, words and time, newest first with a cursor', async () => {
    const { key } = await keyFor(adminB, ['logs.ingest']);
    const word = `w${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const base = Date.now() - 60_000;
    const events = [
      { level: 'debug', source: 'api', message: `${word} one`, timestamp: new Date(base + 1).toISOString() },
      {
        level: 'error',
        source: 'api.orders',
        message: `${word} two`,
        timestamp: new Date(base + 2).toISOString(),
      },
      {
        level: 'error',
        source: 'apiary',
        message: `${word} three`,
        timestamp: new Date(base + 3).toISOString(),
      },
      { level: 'fatal', source: 'api', message: `${word} four`, timestamp: new Date(base + 4).toISOString() },
      { level: 'warn', source: 'api', message: 'unrelated', timestamp: new Date(base + 5).toISOString() },
    ];
    expect((await ingestBulk(key, events)).status).toBe(200);
    const caller = callerFor(sessionOf(adminB));
    const page1 = await caller.logs.query({ q: word, level: 'error', source: 'api', limit: 1 });
    expect(page1.items.map((i) => i.message)).toEqual([`${word} four`]);
    expect(page1.items[0]?.level).toBe('fatal');
    const page2 = await caller.logs.query({
      q: word,
      level: 'error',
      source: 'api',
      limit: 1,
      cursor: page1.nextCursor ?? '',
    });
    expect(page2.items.map((i) => i.message)).toEqual([`${word} two`]);
    expect(page2.nextCursor).toBeNull();
    const ranged = await caller.logs.query({ q: word, from: new Date(base + 2), to: new Date(base + 4) });
    expect(ranged.items.map((i) => i.message)).toEqual([`${word} three`, `${word} two`]);
    // Another org sees none of it.
    expect((await callerFor(sessionOf(adminA)).logs.query({ q: word })).items).toEqual([]);
    await expect(caller.logs.query({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('50 concurrent matching ingests against a threshold-5 rule open exactly one incident', async () => {
    const caller = callerFor(sessionOf(adminA));
    const rule = await caller.alertRules.create({
      name: 'Payment failures',
      minLevel: 'error',
      containsText: 'PAYMENT DECLINED',
      source: 'payments',
      windowSeconds: 300,
      thresholdCount: 5,
    });
    const { key } = await keyFor(adminA, ['logs.ingest']);
    // Events that must not count: lower level, other source, other text.
    await ingestBulk(key, [
      { level: 'warn', source: 'payments', message: 'payment declined' },
      { level: 'error', source: 'paymentsx', message: 'payment declined' },
      { level: 'error', source: 'payments', message: 'payment accepted' },
    ]);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ingest(key, { level: 'error', source: 'payments.card', message: `Payment declined for order ${i}` }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const incidents = await t.db.selectFrom('incidents').selectAll().where('rule_id', '=', rule.id).execute();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ org_id: orgA, status: 'open', event_count: 50, built_in: false });
    const opened = await t.db
      .selectFrom('outbox_events')
      .select(['org_id', 'payload'])
      .where('type', '=', 'IncidentOpened')
      .where('aggregate_id', '=', incidents[0]?.id as string)
      .execute();
    expect(opened).toHaveLength(1);
    expect(opened[0]?.org_id).toBe(orgA);

    // Acknowledge, then resolve, with notes; both audited; the detail lists the matching events.
    const incidentId = incidents[0]?.id as string;
    const detail = await caller.incidents.get({ id: incidentId });
    expect(detail.events.length).toBe(50);
    expect(detail.events.every((e) => /payment declined/i.test(e.message))).toBe(true);
    await expect(callerFor(sessionOf(adminB)).incidents.get({ id: incidentId })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await caller.incidents.acknowledge({ id: incidentId, note: 'Looking into it' })).status).toBe(
      'acknowledged',
    );
    // Still the open one: later matches add to it.
    await ingest(key, { level: 'error', source: 'payments', message: 'payment declined again' });
    expect((await caller.incidents.get({ id: incidentId })).eventCount).toBe(51);
    expect((await caller.incidents.resolve({ id: incidentId, note: 'Provider fixed it' })).status).toBe(
      'resolved',
    );
    await expect(caller.incidents.resolve({ id: incidentId })).rejects.toMatchObject({ code: 'CONFLICT' });
    const final = await caller.incidents.get({ id: incidentId });
    expect(final.notes.map((n) => [n.action, n.body])).toEqual([
      ['acknowledged', 'Looking into it'],
      ['resolved', 'Provider fixed it'],
    ]);
    const audited = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('org_id', '=', orgA)
      .where('resource_id', 'in', [incidentId, rule.id])
      .orderBy('seq')
      .execute();
    expect(audited.map((a) => a.action)).toEqual([
      'alert_rule.created',
      'incident.acknowledged',
      'incident.resolved',
    ]);
    const list = await caller.incidents.list({ status: 'resolved' });
    expect(list.items.map((i) => i.id)).toContain(incidentId);

    // The preview counts the last hour's matches of the criteria.
    const preview = await caller.alertRules.preview({
      minLevel: 'error',
      containsText: 'payment declined',
      source: 'payments',
    });
    expect(preview.matches).toBe(51);
  });

  it('alert rules: built-in platform rules are listed read-only; another org cannot touch a rule', async () => {
    const caller = callerFor(sessionOf(adminA));
    const { items } = await caller.alertRules.list();
    const builtIn = items.filter((rule) => rule.builtIn);
    expect(builtIn.map((rule) => rule.source).sort()).toEqual([
      'platform.api',
      'platform.audit',
      'platform.dead_letter',
      'platform.notifications',
      'platform.scheduler',
    ]);
    await expect(
      caller.alertRules.update({ id: builtIn[0]?.id as string, enabled: false }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const mine = await caller.alertRules.create({
      name: 'Mine',
      minLevel: 'warn',
      windowSeconds: 60,
      thresholdCount: 1,
    });
    await expect(callerFor(sessionOf(adminB)).alertRules.delete({ id: mine.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const updated = await caller.alertRules.update({ id: mine.id, thresholdCount: 3, enabled: false });
    expect(updated).toMatchObject({ thresholdCount: 3, enabled: false });
    await caller.alertRules.delete({ id: mine.id });
  });

  it('an API 5xx is logged as a platform.api event with its request id, which operators read', async () => {
    const failing = router({
      boom: publicProcedure.query(() => {
        throw new Error('unexpected failure in a handler');
      }),
    });
    const server = createApp(api.services, failing).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const requestId = `req-${crypto.randomUUID()}`;
      const response = await fetch(`http://127.0.0.1:${port}/trpc/boom`, {
        headers: { 'x-request-id': requestId },
      });
      expect(response.status).toBe(500);
      const operator = sessionOf(
        await createTestUser(t.db, { orgId: orgA, roles: ['admin'], platformRole: 'operator' }),
        'operator',
      );
      await waitFor(
        async () =>
          (await callerFor(operator).logs.query({ platform: true, source: 'platform.api' })).items.some(
            (item) => item.requestId === requestId,
          ),
        { what: 'the 5xx to be logged' },
      );
      await expect(callerFor(sessionOf(adminA)).logs.query({ platform: true })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ingest is rate-limited per key: 429 with Retry-After, other keys unaffected', async () => {
    const limited = await startApi(
      testApiEnv(t.url, { LOGS_INGEST_CALLS_PER_MINUTE: '2', REDIS_URL: undefined }),
    );
    try {
      const first = await keyFor(adminA, ['logs.ingest'], 'limited one');
      const second = await keyFor(adminA, ['logs.ingest'], 'limited two');
      const send = (key: string) =>
        callProcedure(limited.url, 'logs.ingest', {
          type: 'mutation',
          input: { event: { level: 'info', source: 'rate', message: 'hello' } },
          headers: withKey(key),
        });
      expect((await send(first.key)).status).toBe(200);
      expect((await send(first.key)).status).toBe(200);
      const refused = await send(first.key);
      expect(refused.status).toBe(429);
      expect(refused.body.error?.json.data.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await send(second.key)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('a key past its expiry is refused; an expiry in the past is refused at creation', async () => {
    const caller = callerFor(sessionOf(adminA));
    const { key, apiKey } = await caller.apiKeys.create({
      name: 'short-lived',
      scopes: ['logs.ingest'],
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(apiKey.status).toBe('active');
    expect((await ingest(key, { level: 'info', source: 'exp', message: 'before' })).status).toBe(200);
    await t.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('id', '=', apiKey.id)
      .execute();
    expect((await ingest(key, { level: 'info', source: 'exp', message: 'after' })).status).toBe(401);
    const listed = await caller.apiKeys.list({});
    expect(listed.items.find((item) => item.id === apiKey.id)?.status).toBe('expired');
    await expect(
      caller.apiKeys.create({
        name: 'past',
        scopes: ['logs.ingest'],
        expiresAt: new Date(Date.now() - 60_000),
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
