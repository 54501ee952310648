import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.ts';
import { callerAs, member, YOUTUBE_URL } from './content-helpers.ts';
import { testApiEnv } from './helpers.ts';

/**
 * `home.summary` (docs/home.md): the Home page's numbers, from the caller's own org only, and only
 * the parts the caller's permissions open.
 */
describe('home.summary', () => {
  const t = useTestDatabase();
  let services: Services;

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
  });
  afterAll(async () => {
    await services?.close();
  });

  const summaryOf = (who: { session: Parameters<typeof callerAs>[1] }) =>
    callerAs(services, who.session).home.summary();

  it('a new org admin sees every set-up step not done; doing one marks it done, in that org only', async () => {
    const org = await createTestOrg(t.db, { name: 'Fresh Org' });
    const other = await createTestOrg(t.db, { name: 'Other Org' });
    const admin = await member(t.db, org.id, ['admin']);
    const otherAdmin = await member(t.db, other.id, ['admin']);

    const before = await summaryOf(admin);
    expect(before.setup?.signupOpen).toBe(false);
    expect(before.setup?.steps.map((step) => step.id)).toEqual([
      'invite-members',
      'workplace-connection',
      'notification-template',
      'alert-rule',
      'api-key',
    ]);
    expect(before.setup?.steps.every((step) => !step.done && step.count === 0)).toBe(true);

    await callerAs(services, admin.session).apiKeys.create({
      name: 'Shipping logs',
      scopes: ['logs.ingest'],
    });
    await member(t.db, org.id, ['viewer'], 'A Colleague');

    const after = await summaryOf(admin);
    const step = (id: string) => after.setup?.steps.find((s) => s.id === id);
    expect(step('api-key')).toMatchObject({ done: true, count: 1 });
    expect(step('invite-members')).toMatchObject({ done: true, count: 1 });
    expect(step('notification-template')).toMatchObject({ done: false });

    // The other org's admin sees none of it.
    const theirs = await summaryOf(otherAdmin);
    expect(theirs.setup?.steps.every((s) => !s.done)).toBe(true);
  });

  it('a viewer gets no set-up, no review and no content numbers; their application shows', async () => {
    const org = await createTestOrg(t.db);
    const viewer = await member(t.db, org.id, ['viewer']);
    const empty = await summaryOf(viewer);
    expect(empty).toEqual({ setup: null, application: null, myContent: null, review: null });

    await callerAs(services, viewer.session).creators.submitApplication({
      experience: 'Ten years of radio features.',
      motivation: 'I want to publish my documentaries here.',
    });
    const applied = await summaryOf(viewer);
    expect(applied.application).toMatchObject({ status: 'pending' });
  });

  it('a creator sees their own content by state; a reviewer sees what waits, counted in their org', async () => {
    const org = await createTestOrg(t.db);
    const creator = await member(t.db, org.id, ['creator']);
    const otherCreator = await member(t.db, org.id, ['creator']);
    const editor = await member(t.db, org.id, ['editor']);
    const applicant = await member(t.db, org.id, ['viewer']);
    const elsewhere = await createTestOrg(t.db);
    const outsider = await member(t.db, elsewhere.id, ['viewer']);

    const create = (who: typeof creator, id: string) =>
      callerAs(services, who.session).content.create({
        title: `Piece ${id}`,
        language: 'en',
        media: { mediaType: 'video', externalUrl: YOUTUBE_URL(id) },
      });
    const first = await create(creator, 'homeTest001');
    await create(creator, 'homeTest002');
    await create(otherCreator, 'homeTest003');
    await callerAs(services, editor.session).content.publish({ id: first.id });
    const apply = {
      experience: 'Ten years of radio features.',
      motivation: 'I want to publish my documentaries here.',
    };
    await callerAs(services, applicant.session).creators.submitApplication(apply);
    await callerAs(services, outsider.session).creators.submitApplication(apply);

    const mine = await summaryOf(creator);
    expect(mine.myContent).toEqual({ draft: 1, published: 1, archived: 0 });
    expect(mine.review).toBeNull();
    expect(mine.setup).toBeNull();

    const review = await summaryOf(editor);
    expect(review.review).toEqual({ pendingApplications: 1, draftsWaiting: 2 });
  });
});
