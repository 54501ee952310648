import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type StorageApi, startStorageApi, uploadTo } from './storage-helpers.ts';

function pngBytes(size = 2_000): Uint8Array {
  const out = new Uint8Array(size);
  out.set([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 16, 0, 0, 0,
    16, 8, 6, 0, 0, 0,
  ]);
  return out;
}

/** Profiles and todos (SPEC §5) through the router. */
describe('profiles and todos', () => {
  const t = useTestDatabase();
  let api: StorageApi;
  let orgId: string;
  let aliceId: string;
  let bobId: string;
  let outsiderId: string;
  let otherOrgId: string;

  beforeAll(async () => {
    api = await startStorageApi(t);
    orgId = (await createTestOrg(t.db)).id;
    otherOrgId = (await createTestOrg(t.db)).id;
    aliceId = (await createTestUser(t.db, { orgId, roles: ['viewer'], name: 'Alice Account' })).id;
    bobId = (await createTestUser(t.db, { orgId, roles: ['viewer'], name: 'Bob' })).id;
    outsiderId = (await createTestUser(t.db, { orgId: otherOrgId, roles: ['viewer'] })).id;
  });
  afterAll(() => api.close());

  const alice = () => api.caller(testSession({ orgId, userId: aliceId }));
  const bob = () => api.caller(testSession({ orgId, userId: bobId }));
  const outsider = () => api.caller(testSession({ orgId: otherOrgId, userId: outsiderId }));

  async function upload(caller: ReturnType<typeof alice>, name: string, body: Uint8Array) {
    const { file, upload: put } = await caller.files.upload({
      name,
      contentType: 'image/png',
      byteSize: body.byteLength,
    });
    expect(await uploadTo(put, body)).toBe(200);
    return caller.files.confirmUpload({ id: file.id });
  }

  it('a profile starts as the account name, is saved with upsertMe, and shows public fields to the org only', async () => {
    expect(await alice().profiles.me()).toMatchObject({
      displayName: 'Alice Account',
      bio: '',
      visibility: 'org',
      avatarUrl: null,
    });
    const saved = await alice().profiles.upsertMe({
      displayName: 'Alice',
      bio: 'Maps and buses',
      links: [{ label: 'Site', url: 'https://alice.example.test' }],
      visibility: 'org',
    });
    expect(saved).toMatchObject({
      displayName: 'Alice',
      links: [{ label: 'Site', url: 'https://alice.example.test' }],
    });
    const seen = await bob().profiles.public({ userId: aliceId });
    expect(seen).toEqual({
      userId: aliceId,
      displayName: 'Alice',
      bio: 'Maps and buses',
      links: [{ label: 'Site', url: 'https://alice.example.test' }],
      avatarUrl: null,
      trackUrl: null,
    });
    expect(seen).not.toHaveProperty('visibility');
    expect((await failure(outsider().profiles.public({ userId: aliceId }))).code).toBe('NOT_FOUND');
    expect(
      (
        await failure(
          alice().profiles.upsertMe({
            displayName: 'A',
            links: [{ label: 'x', url: 'javascript:alert(1)' }],
          }),
        )
      ).code,
    ).toBe('VALIDATION_ERROR');

    await alice().profiles.upsertMe({ displayName: 'Alice', visibility: 'private' });
    expect((await failure(bob().profiles.public({ userId: aliceId }))).code).toBe('NOT_FOUND');
    expect(await bob().profiles.avatars({ userIds: [aliceId, bobId] })).toEqual(
      expect.arrayContaining([{ userId: aliceId, displayName: 'Alice Account', avatarUrl: null }]),
    );
    await alice().profiles.upsertMe({ displayName: 'Alice', visibility: 'org' });
  });

  it("avatars: the caller's own clean image; another's file → 404, not an image → 422; the link serves the image", async () => {
    const image = await upload(alice(), 'me.png', pngBytes());
    const withAvatar = await alice().profiles.setAvatar({ fileId: image.id });
    expect(withAvatar.avatarFileId).toBe(image.id);
    const avatar = await fetch(withAvatar.avatarUrl ?? '');
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get('content-type')).toBe('image/png');
    const [listed] = await bob().profiles.avatars({ userIds: [aliceId] });
    expect(listed?.avatarUrl).toMatch(/^http/);

    const bobs = await upload(bob(), 'bob.png', pngBytes());
    expect((await failure(alice().profiles.setAvatar({ fileId: bobs.id }))).code).toBe('NOT_FOUND');
    const text = new TextEncoder().encode('just words, not a picture');
    const { file, upload: put } = await alice().files.upload({
      name: 'fake.png',
      contentType: 'image/png',
      byteSize: text.byteLength,
    });
    await uploadTo(put, text);
    await alice().files.confirmUpload({ id: file.id });
    expect((await failure(alice().profiles.setAvatar({ fileId: file.id }))).code).toBe('UNPROCESSABLE');
    expect((await failure(alice().profiles.setTrack({ fileId: image.id }))).code).toBe('UNPROCESSABLE');
    expect((await alice().profiles.setAvatar({ fileId: null })).avatarUrl).toBeNull();
  });

  it('todos: create, list by status and label with a cursor, complete, reopen, delete — private to their owner', async () => {
    const first = await alice().todos.create({
      title: 'Book the room',
      priority: 'high',
      labels: ['work'],
      dueDate: '2026-12-24',
    });
    expect(first).toMatchObject({
      status: 'open',
      priority: 'high',
      dueDate: '2026-12-24',
      labels: ['work'],
      completedAt: null,
    });
    const second = await alice().todos.create({ title: 'Water plants', labels: ['home'] });
    const third = await alice().todos.create({ title: 'Send notes', labels: ['work'] });

    const page = await alice().todos.list({ limit: 2 });
    expect(page.items.map((todo) => todo.id)).toEqual([third.id, second.id]);
    const next = await alice().todos.list({ limit: 2, cursor: page.nextCursor ?? '' });
    expect(next.items.map((todo) => todo.id)).toEqual([first.id]);
    expect((await alice().todos.list({ label: 'work' })).items.map((todo) => todo.id)).toEqual([
      third.id,
      first.id,
    ]);

    const done = await alice().todos.complete({ id: first.id });
    expect(done.status).toBe('done');
    expect(done.completedAt).toBeInstanceOf(Date);
    expect((await alice().todos.list({ status: 'done' })).items.map((todo) => todo.id)).toEqual([first.id]);
    expect((await alice().todos.list()).items.map((todo) => todo.id)).toEqual([third.id, second.id]);
    expect((await alice().todos.reopen({ id: first.id })).completedAt).toBeNull();

    expect((await bob().todos.list({ status: 'all' })).items).toEqual([]);
    for (const call of [
      () => bob().todos.complete({ id: first.id }),
      () => bob().todos.delete({ id: first.id }),
      () => outsider().todos.reopen({ id: first.id }),
    ])
      expect((await failure(call())).code).toBe('NOT_FOUND');

    expect(await alice().todos.delete({ id: second.id })).toEqual({ deleted: true });
    expect((await failure(alice().todos.delete({ id: second.id }))).code).toBe('NOT_FOUND');
    for (const dueDate of ['2026-02-30', '0999-01-01', 'tomorrow'])
      expect((await failure(alice().todos.create({ title: 'x', dueDate }))).code).toBe('VALIDATION_ERROR');
    expect((await failure(alice().todos.list({ cursor: 'garbage' }))).code).toBe('VALIDATION_ERROR');
  });
});
