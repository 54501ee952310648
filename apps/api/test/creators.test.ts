import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, type TestUser } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, login, startTestApi } from './auth-helpers.ts';

const APPLICATION = {
  experience: 'Ten short films about public spaces, two festival selections.',
  motivation: 'I want to document how people use this building through the seasons.',
  portfolioUrl: 'https://films.example.test/maria',
  socialLinks: [
    { platform: 'Vimeo', url: 'https://vimeo.example.test/maria' },
    { platform: 'Instagram', url: 'https://instagram.example.test/maria' },
  ],
  additionalInfo: 'Available on weekends.',
};

interface ApplicationView {
  id: string;
  status: string;
  socialLinks: Array<{ platform: string; url: string }>;
  reviewedAt: string | null;
  reviewedBy?: string | null;
  reviewerName?: string | null;
  reviewNotes?: string | null;
  rejectionReason: string | null;
  applicant?: { id: string; name: string; email: string };
}

/**
 * The creator programme's procedures over HTTP (SPEC §3): who may call what, the state machine
 * (pending → approved | rejected | withdrawn, 409 from anything else), the outbox events and audit
 * entries written with each decision, tenancy, and pagination. The consumers are tested in
 * packages/domain/test/creators and end to end in creator-flow.test.ts.
 */
describe('creators.* procedures', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let orgId: string;
  let editorToken: string;
  let editor: TestUser;

  beforeAll(async () => {
    api = await startTestApi(t.url);
    orgId = (await createTestOrg(t.db)).id;
    editor = await createTestUser(t.db, { orgId, roles: ['editor'] });
    editorToken = (await login(api, editor)).accessToken;
  });
  afterAll(() => api.close());

  async function viewer(org = orgId) {
    const user = await createTestUser(t.db, { orgId: org, roles: ['viewer'] });
    return { user, token: (await login(api, user)).accessToken };
  }

  const submit = (token: string, input: unknown = APPLICATION) =>
    call<ApplicationView>(api, 'creators.submitApplication', { token, input, type: 'mutation' });

  async function outboxTypes(aggregateId: string): Promise<string[]> {
    const rows = await t.db
      .selectFrom('outbox_events')
      .select('type')
      .where('aggregate_id', '=', aggregateId)
      .orderBy('seq')
      .execute();
    return rows.map((row) => row.type);
  }

  it('a viewer applies once: the application is pending, CreatorApplicationSubmitted is written, a second one is 409', async () => {
    const { user, token } = await viewer();
    const applied = await submit(token);
    expect(applied.status).toBe(200);
    expect(applied.data).toMatchObject({
      status: 'pending',
      socialLinks: APPLICATION.socialLinks,
      reviewedAt: null,
    });
    expect(applied.data).not.toHaveProperty('reviewNotes');
    expect(await outboxTypes(applied.data.id)).toEqual(['CreatorApplicationSubmitted']);

    const again = await submit(token);
    expect(again.status).toBe(409);
    expect(again.code).toBe('CONFLICT');

    const mine = await call<ApplicationView>(api, 'creators.myApplication', { token, type: 'query' });
    expect(mine.data.id).toBe(applied.data.id);
    const row = await t.db
      .selectFrom('creator_applications')
      .selectAll()
      .where('id', '=', applied.data.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: orgId, user_id: user.id, experience: APPLICATION.experience });
  });

  it('two applies at the same moment: exactly one succeeds', async () => {
    const { token } = await viewer();
    const results = await Promise.all([submit(token), submit(token), submit(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });

  it('bad input is a 400 with field errors and stores nothing', async () => {
    const { user, token } = await viewer();
    const bad = await submit(token, {
      ...APPLICATION,
      motivation: 'short',
      portfolioUrl: 'javascript:alert(1)',
      socialLinks: [{ platform: 'x', url: 'ftp://nope.example.test' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.code).toBe('VALIDATION_ERROR');
    const fields = Object.keys(bad.body.error?.json.data.fieldErrors ?? {});
    expect(fields).toEqual(expect.arrayContaining(['motivation', 'portfolioUrl', 'socialLinks.0.url']));
    const count = await t.db
      .selectFrom('creator_applications')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('the review procedures need creators.review; myContent needs content.write', async () => {
    const { token } = await viewer();
    for (const [path, type, input] of [
      ['creators.listPending', 'query', undefined],
      ['creators.listDecided', 'query', undefined],
      ['creators.get', 'query', { id: crypto.randomUUID() }],
      ['creators.approve', 'mutation', { id: crypto.randomUUID() }],
      ['creators.reject', 'mutation', { id: crypto.randomUUID(), reason: 'No.' }],
      ['creators.myContent', 'query', undefined],
    ] as const) {
      const result = await call(api, path, { token, type, input });
      expect(result.status, path).toBe(403);
    }
    const anonymous = await call(api, 'creators.myApplication', { type: 'query' });
    expect(anonymous.status).toBe(401);
    const creator = await createTestUser(t.db, { orgId, roles: ['viewer', 'creator'] });
    const content = await call(api, 'creators.myContent', {
      token: (await login(api, creator)).accessToken,
      type: 'query',
    });
    expect(content.status).toBe(200);
    expect(content.data).toEqual({ items: [], nextCursor: null });
    // A creator cannot apply again.
    const again = await submit((await login(api, creator)).accessToken);
    expect(again.status).toBe(409);
    expect(again.message).toBe('You are already a creator');
  });

  it('approve: pending only (else 409), reviewer and time recorded, both events and the audit entry in one go', async () => {
    const { user, token } = await viewer();
    const { data: application } = await submit(token);
    const approved = await call<ApplicationView>(api, 'creators.approve', {
      token: editorToken,
      type: 'mutation',
      input: { id: application.id, notes: 'Lovely work' },
    });
    expect(approved.status).toBe(200);
    expect(approved.data).toMatchObject({
      status: 'approved',
      reviewedBy: editor.id,
      reviewNotes: 'Lovely work',
      applicant: { id: user.id, email: user.email },
    });
    expect(Date.parse(approved.data.reviewedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(await outboxTypes(application.id)).toEqual([
      'CreatorApplicationSubmitted',
      'CreatorApplicationApproved',
    ]);
    expect(await outboxTypes(user.id)).toEqual(['UserRolesChanged']);
    const audit = await t.db
      .selectFrom('audit_entries')
      .select(['action', 'actor_id', 'payload'])
      .where('resource_id', '=', application.id)
      .execute();
    expect(audit).toEqual([
      {
        action: 'creator.approved',
        actor_id: editor.id,
        payload: { applicantId: user.id, roleGranted: 'creator', notes: 'Lovely work' },
      },
    ]);

    for (const [path, input] of [
      ['creators.approve', { id: application.id }],
      ['creators.reject', { id: application.id, reason: 'Changed my mind' }],
    ] as const) {
      const late = await call(api, path, { token: editorToken, type: 'mutation', input });
      expect(late.status, path).toBe(409);
      expect(late.message).toBe('This application is already approved');
    }
    // The failed decisions wrote nothing.
    expect(await outboxTypes(application.id)).toHaveLength(2);
    const entries = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('resource_id', '=', application.id)
      .execute();
    expect(entries).toHaveLength(1);
  });

  it('reject needs a reason; the applicant sees it, may apply again, and never sees internal notes', async () => {
    const { token } = await viewer();
    const { data: application } = await submit(token);
    const noReason = await call(api, 'creators.reject', {
      token: editorToken,
      type: 'mutation',
      input: { id: application.id },
    });
    expect(noReason.status).toBe(400);
    const rejected = await call<ApplicationView>(api, 'creators.reject', {
      token: editorToken,
      type: 'mutation',
      input: { id: application.id, reason: 'Please show finished work.' },
    });
    expect(rejected.status).toBe(200);
    expect(rejected.data).toMatchObject({
      status: 'rejected',
      rejectionReason: 'Please show finished work.',
    });
    expect(await outboxTypes(application.id)).toEqual([
      'CreatorApplicationSubmitted',
      'CreatorApplicationRejected',
    ]);
    const audit = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('resource_id', '=', application.id)
      .execute();
    expect(audit).toEqual([{ action: 'creator.rejected' }]);

    const mine = await call<ApplicationView>(api, 'creators.myApplication', { token, type: 'query' });
    expect(mine.data).toMatchObject({ status: 'rejected', rejectionReason: 'Please show finished work.' });
    expect(mine.data).not.toHaveProperty('reviewedBy');
    const second = await submit(token);
    expect(second.status).toBe(200);
    expect(second.data.id).not.toBe(application.id);
  });

  it('withdraw: own pending application only; then a new one may be submitted', async () => {
    const alice = await viewer();
    const bob = await viewer();
    const { data: application } = await submit(alice.token);
    const notMine = await call(api, 'creators.withdraw', {
      token: bob.token,
      type: 'mutation',
      input: { id: application.id },
    });
    expect(notMine.status).toBe(404);
    const withdrawn = await call<ApplicationView>(api, 'creators.withdraw', {
      token: alice.token,
      type: 'mutation',
      input: { id: application.id },
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.data.status).toBe('withdrawn');
    const twice = await call(api, 'creators.withdraw', {
      token: alice.token,
      type: 'mutation',
      input: { id: application.id },
    });
    expect(twice.status).toBe(409);
    const approveWithdrawn = await call(api, 'creators.approve', {
      token: editorToken,
      type: 'mutation',
      input: { id: application.id },
    });
    expect(approveWithdrawn.status).toBe(409);
    expect((await submit(alice.token)).status).toBe(200);
  });

  it('a reviewer cannot decide their own application (422)', async () => {
    const reviewer = await createTestUser(t.db, { orgId, roles: ['editor'] });
    const token = (await login(api, reviewer)).accessToken;
    const { data: application } = await submit(token);
    const own = await call(api, 'creators.approve', {
      token,
      type: 'mutation',
      input: { id: application.id },
    });
    expect(own.status).toBe(422);
    expect(own.code).toBe('UNPROCESSABLE');
  });

  it('another org’s application is not found — to get, approve or reject', async () => {
    const otherOrg = (await createTestOrg(t.db)).id;
    const foreigner = await viewer(otherOrg);
    const { data: foreign } = await submit(foreigner.token);
    for (const [path, type, input] of [
      ['creators.get', 'query', { id: foreign.id }],
      ['creators.approve', 'mutation', { id: foreign.id }],
      ['creators.reject', 'mutation', { id: foreign.id, reason: 'Not yours' }],
    ] as const) {
      const result = await call(api, path, { token: editorToken, type, input });
      expect(result.status, path).toBe(404);
      expect(result.message).toBe('Creator application not found');
    }
    const row = await t.db
      .selectFrom('creator_applications')
      .select('status')
      .where('id', '=', foreign.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
  });

  it('listPending pages through the queue oldest first, and only this org’s pending applications', async () => {
    const org = (await createTestOrg(t.db)).id;
    const reviewer = await createTestUser(t.db, { orgId: org, roles: ['editor'] });
    const token = (await login(api, reviewer)).accessToken;
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await submit((await viewer(org)).token)).data.id);
    await call(api, 'creators.reject', {
      token,
      type: 'mutation',
      input: { id: ids[2], reason: 'Not now.' },
    });
    const pending = ids.filter((_, i) => i !== 2);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call<{ items: ApplicationView[]; nextCursor: string | null }>(
        api,
        'creators.listPending',
        {
          token,
          type: 'query',
          input: { limit: 2, ...(cursor ? { cursor } : {}) },
        },
      );
      expect(page.status).toBe(200);
      seen.push(...page.data.items.map((item) => item.id));
      expect(page.data.items.every((item) => item.applicant?.email.endsWith('@example.test'))).toBe(true);
      cursor = page.data.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(pending);
    expect(pages).toBe(2);
    const badCursor = await call(api, 'creators.listPending', {
      token,
      type: 'query',
      input: { cursor: 'nope' },
    });
    expect(badCursor.status).toBe(400);
  });

  it('listDecided: the review history, latest decision first, by outcome, only this org’s', async () => {
    const org = (await createTestOrg(t.db)).id;
    const reviewer = await createTestUser(t.db, { orgId: org, roles: ['editor'], name: 'Rita Reviewer' });
    const token = (await login(api, reviewer)).accessToken;
    const decide = (path: string, input: Record<string, unknown>) =>
      call(api, path, { token, type: 'mutation', input });
    // Decided one after another: approved, rejected, withdrawn, approved; one left pending.
    const first = await viewer(org);
    const approvedFirst = (await submit(first.token)).data.id;
    await decide('creators.approve', { id: approvedFirst, notes: 'Strong portfolio' });
    const rejected = (await submit((await viewer(org)).token)).data.id;
    await decide('creators.reject', { id: rejected, reason: 'Not this season.' });
    const quitter = await viewer(org);
    const withdrawn = (await submit(quitter.token)).data.id;
    await call(api, 'creators.withdraw', {
      token: quitter.token,
      type: 'mutation',
      input: { id: withdrawn },
    });
    const approvedLast = (await submit((await viewer(org)).token)).data.id;
    await decide('creators.approve', { id: approvedLast });
    await submit((await viewer(org)).token);
    // Another org's decision stays out.
    const foreign = (await submit((await viewer()).token)).data.id;
    await call(api, 'creators.approve', { token: editorToken, type: 'mutation', input: { id: foreign } });

    type Page = { items: ApplicationView[]; nextCursor: string | null };
    const list = (input: Record<string, unknown>) =>
      call<Page>(api, 'creators.listDecided', { token, type: 'query', input });
    const firstPage = await list({ limit: 3 });
    expect(firstPage.status).toBe(200);
    expect(firstPage.data.items.map((item) => [item.id, item.status])).toEqual([
      [approvedLast, 'approved'],
      [withdrawn, 'withdrawn'],
      [rejected, 'rejected'],
    ]);
    const rest = await list({ limit: 3, cursor: firstPage.data.nextCursor });
    expect(rest.data.items.map((item) => item.id)).toEqual([approvedFirst]);
    expect(rest.data.nextCursor).toBeNull();
    expect(rest.data.items[0]).toMatchObject({
      reviewedBy: reviewer.id,
      reviewerName: 'Rita Reviewer',
      reviewNotes: 'Strong portfolio',
    });

    const approved = await list({ status: 'approved' });
    expect(approved.data.items.map((item) => item.id)).toEqual([approvedLast, approvedFirst]);
    expect((await list({ status: 'rejected' })).data.items[0]).toMatchObject({
      id: rejected,
      rejectionReason: 'Not this season.',
      reviewerName: 'Rita Reviewer',
    });
    const pendingIsNoOutcome = await list({ status: 'pending' });
    expect(pendingIsNoOutcome.status).toBe(400);
    expect(pendingIsNoOutcome.code).toBe('VALIDATION_ERROR');
  });
});
