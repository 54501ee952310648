import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.ts';
import { callerAs, member, YOUTUBE_URL } from './content-helpers.ts';
import { testApiEnv } from './helpers.ts';
import { codeOf } from './ops-helpers.ts';

/**
 * The content module's procedures through the real router (SPEC §4): who may change what (staff any,
 * creators their own, someone else's → 404), optimistic concurrency (409), publish rules, the outbox
 * event and audit entry of every write, tenancy, categories, the public reads.
 */
describe('content.* / media.* / categories.*', () => {
  const t = useTestDatabase();
  let services: Services;
  let orgId: string;
  let orgSlug: string;
  let editor: Awaited<ReturnType<typeof member>>;
  let creator: Awaited<ReturnType<typeof member>>;
  let otherCreator: Awaited<ReturnType<typeof member>>;
  let counter = 0;
  const videoId = () => `vid${String(counter++).padStart(8, '0')}`;

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url, { REDIS_PREFIX: `t:content:${Date.now()}:` }));
    const org = await createTestOrg(t.db);
    orgId = org.id;
    orgSlug = org.slug;
    editor = await member(t.db, orgId, ['editor'], 'Edda Editor');
    creator = await member(t.db, orgId, ['viewer', 'creator'], 'Cleo Creator');
    otherCreator = await member(t.db, orgId, ['viewer', 'creator'], 'Otto Other');
  });
  afterAll(() => services.close());

  const as = (who: { session: Parameters<typeof callerAs>[1] } | null) =>
    callerAs(services, who?.session ?? null);

  async function eventsOf(contentId: string) {
    const rows = await t.db
      .selectFrom('outbox_events')
      .select(['type', 'payload'])
      .where('aggregate_id', '=', contentId)
      .orderBy('seq')
      .execute();
    return rows.map((row) => row.type);
  }

  async function auditActionsOf(contentId: string) {
    const rows = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('resource_id', '=', contentId)
      .orderBy('seq')
      .execute();
    return rows.map((row) => row.action);
  }

  async function draftWithMedia(by = creator) {
    return as(by).content.create({
      title: 'Morning light over the harbour',
      description: 'A slow film about the harbour at dawn.',
      language: 'en',
      media: { mediaType: 'video', externalUrl: YOUTUBE_URL(videoId()) },
    });
  }

  it('a creator creates a draft: ContentCreated in the outbox, version 1, author set, provider recognised', async () => {
    const created = await draftWithMedia();
    expect(created).toMatchObject({
      status: 'draft',
      version: 1,
      authorId: creator.user.id,
      authorName: 'Cleo Creator',
      media: { mediaType: 'video', source: 'external', provider: 'youtube' },
    });
    expect(await eventsOf(created.id)).toEqual(['ContentCreated']);
    // The creator and staff read the draft; another creator and the public do not.
    expect((await as(creator).content.get({ id: created.id })).id).toBe(created.id);
    expect((await as(editor).content.get({ id: created.id })).id).toBe(created.id);
    expect(await codeOf(as(otherCreator).content.get({ id: created.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(null).content.get({ id: created.id, orgSlug }))).toBe('NOT_FOUND');
  });

  it("someone else's content is 404 for a creator; staff change any content of the org", async () => {
    const created = await draftWithMedia();
    const input = { id: created.id, expectedVersion: 1, title: 'Retitled' };
    expect(await codeOf(as(otherCreator).content.update(input))).toBe('NOT_FOUND');
    expect(await codeOf(as(otherCreator).content.delete({ id: created.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(otherCreator).media.delete({ contentId: created.id }))).toBe('NOT_FOUND');
    const updated = await as(editor).content.update(input);
    expect(updated).toMatchObject({ title: 'Retitled', version: 2 });
    expect(await eventsOf(created.id)).toEqual(['ContentCreated', 'ContentUpdated']);
  });

  it('a lost update is refused with 409 and the current version; nothing is written', async () => {
    const created = await draftWithMedia();
    await as(creator).content.update({ id: created.id, expectedVersion: 1, title: 'First editor' });
    const late = as(editor).content.update({ id: created.id, expectedVersion: 1, title: 'Second editor' });
    expect(await codeOf(late)).toBe('CONFLICT');
    const now = await as(editor).content.get({ id: created.id });
    expect(now).toMatchObject({ title: 'First editor', version: 2 });
    expect(await eventsOf(created.id)).toEqual(['ContentCreated', 'ContentUpdated']);
  });

  it('publish needs content.publish and media; publish and unpublish are audited; the public sees only published', async () => {
    const bare = await as(creator).content.create({ title: 'No media yet', language: 'de' });
    expect(await codeOf(as(editor).content.publish({ id: bare.id }))).toBe('UNPROCESSABLE');
    const created = await draftWithMedia();
    expect(await codeOf(as(creator).content.publish({ id: created.id }))).toBe('FORBIDDEN');
    const published = await as(editor).content.publish({ id: created.id });
    expect(published.status).toBe('published');
    expect(published.publicationDate).toBeInstanceOf(Date);
    const visitor = await as(null).content.get({ id: created.id, orgSlug });
    expect(visitor.title).toBe(created.title);
    expect(await as(null).media.get({ contentId: created.id, orgSlug })).toMatchObject({
      provider: 'youtube',
    });
    // Published media cannot be removed under the public's feet.
    expect(await codeOf(as(creator).media.delete({ contentId: created.id }))).toBe('UNPROCESSABLE');
    await as(editor).content.unpublish({ id: created.id });
    expect(await codeOf(as(null).content.get({ id: created.id, orgSlug }))).toBe('NOT_FOUND');
    expect(await auditActionsOf(created.id)).toEqual(['content.published', 'content.unpublished']);
    expect(await eventsOf(created.id)).toEqual(['ContentCreated', 'ContentPublished', 'ContentUnpublished']);
  });

  it('delete: audited, ContentDeleted, and gone for everyone (the cache included)', async () => {
    const created = await draftWithMedia();
    await as(editor).content.publish({ id: created.id });
    // Read twice so the second answer comes from the cache, if there is one.
    await as(null).content.get({ id: created.id, orgSlug });
    await as(null).content.get({ id: created.id, orgSlug });
    await as(creator).content.delete({ id: created.id });
    expect(await codeOf(as(null).content.get({ id: created.id, orgSlug }))).toBe('NOT_FOUND');
    expect(await codeOf(as(editor).content.get({ id: created.id }))).toBe('NOT_FOUND');
    expect(await auditActionsOf(created.id)).toEqual(['content.published', 'content.deleted']);
    expect((await eventsOf(created.id)).at(-1)).toBe('ContentDeleted');
  });

  it("another org's content answers 404 to its staff and to a visitor of their library", async () => {
    const created = await draftWithMedia();
    await as(editor).content.publish({ id: created.id });
    const other = await createTestOrg(t.db);
    const stranger = await member(t.db, other.id, ['admin']);
    expect(await codeOf(as(stranger).content.get({ id: created.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(null).content.get({ id: created.id, orgSlug: other.slug }))).toBe('NOT_FOUND');
    expect(
      await codeOf(as(stranger).content.update({ id: created.id, expectedVersion: 2, title: 'x' })),
    ).toBe('NOT_FOUND');
    expect(await codeOf(as(stranger).content.unpublish({ id: created.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as(null).content.get({ id: created.id, orgSlug: 'no-such-library' }))).toBe(
      'NOT_FOUND',
    );
  });

  it('the same media address twice in one org: 409 naming the content that has it', async () => {
    const url = YOUTUBE_URL(videoId());
    const first = await as(creator).content.create({
      title: 'Original',
      language: 'en',
      media: { mediaType: 'video', externalUrl: url },
    });
    const second = await as(otherCreator).content.create({ title: 'Copy', language: 'en' });
    try {
      await as(otherCreator).media.set({ contentId: second.id, mediaType: 'video', externalUrl: url });
      expect.unreachable();
    } catch (error) {
      const cause = (error as { cause?: { code?: string; details?: Record<string, unknown> } }).cause;
      expect(cause?.code).toBe('CONFLICT');
      expect(cause?.details).toMatchObject({ reason: 'DUPLICATE_MEDIA', contentId: first.id });
    }
    expect(
      await codeOf(
        as(creator).media.set({
          contentId: second.id,
          mediaType: 'video',
          externalUrl: 'https://example.com/a',
        }),
      ),
    ).toBe('NOT_FOUND');
    expect(
      await codeOf(
        as(otherCreator).media.set({
          contentId: second.id,
          mediaType: 'video',
          externalUrl: 'https://example.com/a',
        }),
      ),
    ).toBe('UNPROCESSABLE');
  });

  it('categories: staff create them (409 on a name in any case), renaming moves every content carrying it to a new version', async () => {
    expect(await codeOf(as(creator).categories.create({ name: 'Music' }))).toBe('FORBIDDEN');
    const music = await as(editor).categories.create({ name: 'Music' });
    expect(await codeOf(as(editor).categories.create({ name: 'music' }))).toBe('CONFLICT');
    const created = await as(creator).content.create({
      title: 'A song for the lobby',
      language: 'en',
      categoryIds: [music.id],
    });
    expect(created.categories).toEqual([{ id: music.id, name: 'Music' }]);
    await as(editor).categories.rename({ id: music.id, name: 'Music & sound' });
    const after = await as(creator).content.get({ id: created.id });
    expect(after).toMatchObject({ version: 2, categories: [{ id: music.id, name: 'Music & sound' }] });
    expect(await eventsOf(created.id)).toEqual(['ContentCreated', 'ContentUpdated']);
    const listed = await as(null).categories.list({ orgSlug });
    expect(listed).toContainEqual({ id: music.id, name: 'Music & sound', contents: 1 });
    await as(editor).categories.delete({ id: music.id });
    expect((await as(creator).content.get({ id: created.id })).categories).toEqual([]);
    // Another org's category cannot be attached.
    const other = await createTestOrg(t.db);
    const foreign = await as(await member(t.db, other.id, ['editor'])).categories.create({ name: 'Theirs' });
    expect(
      await codeOf(as(creator).content.create({ title: 'x', language: 'en', categoryIds: [foreign.id] })),
    ).toBe('UNPROCESSABLE');
  });

  it('lists: visitors see published content, creators their own drafts too, staff everything; keyset pages', async () => {
    const org = await createTestOrg(t.db);
    const staff = await member(t.db, org.id, ['editor']);
    const maker = await member(t.db, org.id, ['creator']);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await as(maker).content.create({
        title: `Piece ${i}`,
        language: 'en',
        media: { mediaType: 'audio', externalUrl: `https://soundcloud.com/atrium/piece-${org.slug}-${i}` },
      });
      ids.push(created.id);
    }
    await as(staff).content.publish({ id: ids[0] as string });
    await as(staff).content.publish({ id: ids[1] as string });
    const publicList = await as(null).content.list({ orgSlug: org.slug });
    expect(publicList.items.map((i) => i.id).sort()).toEqual([ids[0], ids[1]].sort());
    const mine = await as(maker).creators.myContent({ limit: 2 });
    expect(mine.items).toHaveLength(2);
    const rest = await as(maker).creators.myContent({ limit: 10, cursor: mine.nextCursor ?? undefined });
    expect([...mine.items, ...rest.items].map((i) => i.id).sort()).toEqual([...ids].sort());
    const drafts = await as(staff).content.list({ status: 'draft' });
    expect(drafts.items).toHaveLength(3);
    const outsider = await member(t.db, org.id, ['viewer']);
    expect((await as(outsider).content.list({})).items).toHaveLength(2);
  });
});
