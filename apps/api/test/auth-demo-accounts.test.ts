import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, seedDemo } from '@atrium/seed';
import { spawnNode, useTestDatabase } from '@atrium/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/server.ts';
import { call, type LoginData, startTestApi } from './auth-helpers.ts';

describe('demo accounts (seedDemo)', () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let first: Awaited<ReturnType<typeof seedDemo>>;

  beforeAll(async () => {
    first = await seedDemo(t.db);
    api = await startTestApi(t.url);
  });
  afterAll(() => api.close());

  it('creates the demo org and its accounts once, returning the passwords only then', async () => {
    expect(first.created).toBe(true);
    expect(first.accounts.map((a) => a.email)).toEqual(DEMO_ACCOUNTS.map((a) => a.email));
    expect(first.accounts.every((a) => a.password === DEMO_PASSWORD)).toBe(true);
    const again = await seedDemo(t.db);
    expect(again).toEqual({ created: false, orgSlug: 'demo', accounts: [] });
    const org = await t.db
      .selectFrom('orgs')
      .selectAll()
      .where('slug', '=', 'demo')
      .executeTakeFirstOrThrow();
    expect(org.settings).toMatchObject({ allowSignup: true, defaultRole: 'viewer' });
  });

  it('seeds the Library once: 50 contents by the demo creator, both media types, several languages, drafts kept back', async () => {
    const contents = await t.db
      .selectFrom('contents')
      .innerJoin('orgs', 'orgs.id', 'contents.org_id')
      .innerJoin('content_media', 'content_media.content_id', 'contents.id')
      .innerJoin('users', 'users.id', 'contents.author_id')
      .select([
        'contents.status',
        'contents.language',
        'content_media.media_type',
        'content_media.provider',
        'users.email',
      ])
      .where('orgs.slug', '=', 'demo')
      .execute();
    expect(contents).toHaveLength(50);
    expect(new Set(contents.map((c) => c.email))).toEqual(new Set(['creator@demo.atrium.local']));
    expect(new Set(contents.map((c) => c.media_type))).toEqual(new Set(['audio', 'video']));
    expect(new Set(contents.map((c) => c.provider))).toEqual(new Set(['youtube', 'vimeo', 'soundcloud']));
    expect(new Set(contents.map((c) => c.language)).size).toBeGreaterThanOrEqual(5);
    expect(contents.filter((c) => c.status === 'draft')).toHaveLength(3);
    // Each published piece carries its ContentPublished event, so the worker indexes it.
    const published = await t.db
      .selectFrom('outbox_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('type', '=', 'ContentPublished')
      .executeTakeFirstOrThrow();
    expect(Number(published.n)).toBe(47);
  });

  it.each(DEMO_ACCOUNTS.map((a) => [a.email, a] as const))(
    '%s signs in with its roles',
    async (_email, account) => {
      const result = await call<LoginData>(api, 'auth.login', {
        input: { email: account.email, password: DEMO_PASSWORD },
      });
      expect(result.status).toBe(200);
      expect(result.data.user.roles).toEqual([...account.roles].sort());
      expect(result.data.user.mustChangePassword).toBe(false);
      if (account.platformRole === 'operator')
        expect(result.data.user.permissions).toContain('scheduler.manage');
    },
  );
});

describe('pnpm db:seed', () => {
  const t = useTestDatabase();
  const seedCli = new URL('../../../packages/seed/src/cli.ts', import.meta.url);
  const run = (env: Record<string, string | undefined>) =>
    spawnNode(fileURLToPath(seedCli), {
      cwd: new URL('../../../', import.meta.url),
      env: { DATABASE_URL: t.url, ...env },
    });

  it.each([
    ['unset (production)', undefined],
    ['production', 'production'],
  ])('refuses to seed demo accounts when NODE_ENV is %s, and writes nothing', async (_label, nodeEnv) => {
    const child = run({ NODE_ENV: nodeEnv });
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.output()).toContain('Refusing to seed demo accounts');
    expect(
      await t.db.selectFrom('orgs').select('id').where('slug', '=', 'demo').executeTakeFirst(),
    ).toBeUndefined();
  });

  it('seeds a development database when asked for development', async () => {
    const child = run({ NODE_ENV: 'development' });
    expect((await child.exited).code).toBe(0);
    expect(child.output()).toContain('seeded demo organisation "demo"');
  });
});
