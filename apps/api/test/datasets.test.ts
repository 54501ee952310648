import type { Permission } from '@atrium/domain/access/permissions';
import { expireDraftDatasets } from '@atrium/domain/datasets/expiry';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type StorageApi, sha256Hex, startStorageApi, uploadTo } from './storage-helpers.ts';

const PUBLISHER: Permission[] = ['datasets.ingest', 'datasets.read'];
const READER: Permission[] = ['datasets.read'];

function bytes(label: string, size = 2_000): Uint8Array {
  const out = new Uint8Array(size);
  const seed = new TextEncoder().encode(label);
  for (let i = 0; i < size; i += 1) out[i] = (seed[i % seed.length] ?? 0) ^ (i & 0xff);
  return out;
}

/**
 * Datasets (SPEC §5) through the router: a draft, signed uploads fetched over HTTP into the local
 * store the API serves, publish with its per-item checks (type schemas, assets of this draft, size
 * and SHA-256 in storage), all or nothing, 409 on a second publish, the readers' view, signed asset
 * links (TTL bounds, expiry, another org, drafts, the access log) and draft expiry.
 */
describe('datasets: ingest, publish, read, signed asset links', () => {
  const t = useTestDatabase();
  let api: StorageApi;
  let orgId: string;
  let otherOrgId: string;
  let publisherId: string;
  let readerId: string;
  let outsiderId: string;

  beforeAll(async () => {
    api = await startStorageApi(t);
    orgId = (await createTestOrg(t.db)).id;
    otherOrgId = (await createTestOrg(t.db)).id;
    publisherId = (await createTestUser(t.db, { orgId, roles: ['publisher'] })).id;
    readerId = (await createTestUser(t.db, { orgId, roles: ['viewer'] })).id;
    outsiderId = (await createTestUser(t.db, { orgId: otherOrgId, roles: ['publisher'] })).id;
  });
  afterAll(() => api.close());

  const publisher = () => api.caller(testSession({ orgId, userId: publisherId, permissions: PUBLISHER }));
  const reader = () => api.caller(testSession({ orgId, userId: readerId, permissions: READER }));
  const outsider = () =>
    api.caller(testSession({ orgId: otherOrgId, userId: outsiderId, permissions: PUBLISHER }));

  /** A draft with these files uploaded through their signed URLs; returns asset ids by name. */
  async function draftWith(
    files: Array<{ name: string; contentType: string; body: Uint8Array; sha256?: string }>,
  ) {
    const dataset = await publisher().ingest.createDataset({ name: 'Street scenes', tags: ['city'] });
    const { uploads } = await publisher().ingest.requestUploads({
      datasetId: dataset.id,
      files: files.map((file) => ({
        name: file.name,
        contentType: file.contentType,
        byteSize: file.body.byteLength,
        sha256: file.sha256 ?? sha256Hex(file.body),
      })),
    });
    const ids: Record<string, string> = {};
    for (const [index, upload] of uploads.entries()) {
      const file = files[index];
      if (!file) throw new Error('upload without a file');
      ids[file.name] = upload.assetId;
      if (!file.sha256) expect(await uploadTo(upload.upload, file.body)).toBe(200);
    }
    return { dataset, ids };
  }

  const ALL_FILES = [
    { name: 'before.png', contentType: 'image/png', body: bytes('before') },
    { name: 'after.png', contentType: 'image/png', body: bytes('after') },
    { name: 'third.jpg', contentType: 'image/jpeg', body: bytes('third') },
    { name: 'clip.mp4', contentType: 'video/mp4', body: bytes('clip', 10_000) },
    { name: 'talk.mp3', contentType: 'audio/mpeg', body: bytes('talk', 8_000) },
  ];

  function manifestFor(ids: Record<string, string>) {
    return {
      items: [
        {
          type: 'image_pair_compare',
          title: 'Before and after',
          tags: ['pair'],
          payload: { beforeAssetId: ids['before.png'], afterAssetId: ids['after.png'], beforeLabel: '2019' },
        },
        {
          type: 'image_ranked_gallery',
          title: 'Best facades',
          payload: {
            images: [
              { assetId: ids['third.jpg'], rank: 1, score: 0.9 },
              { assetId: ids['before.png'], rank: 2 },
            ],
          },
        },
        {
          type: 'video_with_timeline',
          title: 'Morning traffic',
          tags: ['pair'],
          payload: {
            videoAssetId: ids['clip.mp4'],
            timeline: [
              { atSeconds: 1.5, label: 'Bus arrives' },
              { atSeconds: 4, endSeconds: 6, label: 'Crossing' },
            ],
          },
        },
        {
          type: 'audio_with_captions',
          title: 'Guide',
          payload: {
            audioAssetId: ids['talk.mp3'],
            captions: [
              { startSeconds: 0, endSeconds: 2, text: 'Welcome' },
              { startSeconds: 2, endSeconds: 5, text: 'This is the square' },
            ],
          },
        },
      ],
    };
  }

  it('publishes a manifest of every item type; readers page items in manifest order and filter by type and tag', async () => {
    const { dataset, ids } = await draftWith(ALL_FILES);
    expect(dataset.status).toBe('draft');
    // Readers do not see drafts at all.
    expect((await failure(reader().datasets.get({ id: dataset.id }))).code).toBe('NOT_FOUND');

    const published = await publisher().ingest.publish({ datasetId: dataset.id, manifest: manifestFor(ids) });
    expect(published).toMatchObject({ status: 'published', itemCount: 4 });

    const counts = await reader().datasets.itemTypeCounts({ datasetId: dataset.id });
    expect(counts).toEqual({
      image_pair_compare: 1,
      image_ranked_gallery: 1,
      video_with_timeline: 1,
      audio_with_captions: 1,
    });
    const first = await reader().datasets.items({ datasetId: dataset.id, limit: 3 });
    expect(first.items.map((item) => item.title)).toEqual([
      'Before and after',
      'Best facades',
      'Morning traffic',
    ]);
    const rest = await reader().datasets.items({
      datasetId: dataset.id,
      limit: 3,
      cursor: first.nextCursor ?? '',
    });
    expect(rest.items.map((item) => item.title)).toEqual(['Guide']);
    expect(rest.nextCursor).toBeNull();
    const videos = await reader().datasets.items({ datasetId: dataset.id, type: 'video_with_timeline' });
    expect(videos.items).toHaveLength(1);
    const tagged = await reader().datasets.items({ datasetId: dataset.id, tag: 'pair' });
    expect(tagged.items.map((item) => item.title)).toEqual(['Before and after', 'Morning traffic']);

    const video = await reader().datasets.item({ id: videos.items[0]?.id ?? '' });
    expect(video.payload).toEqual({ videoAssetId: ids['clip.mp4'] });
    expect(video.annotations).toEqual([
      {
        schema: 'timeline_v1',
        data: {
          entries: [
            { atSeconds: 1.5, label: 'Bus arrives' },
            { atSeconds: 4, endSeconds: 6, label: 'Crossing' },
          ],
        },
      },
    ]);
    expect(video.assets).toEqual([
      expect.objectContaining({
        id: ids['clip.mp4'],
        kind: 'video',
        contentType: 'video/mp4',
        status: 'available',
      }),
    ]);

    const events = await t.db
      .selectFrom('outbox_events')
      .select('type')
      .where('aggregate_id', '=', dataset.id)
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['DatasetDraftCreated', 'DatasetPublished']);
    const audit = await t.db
      .selectFrom('audit_entries')
      .select('action')
      .where('resource_id', '=', dataset.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['dataset.published']);

    // Published twice → 409, and nothing more is written.
    expect(
      (await failure(publisher().ingest.publish({ datasetId: dataset.id, manifest: manifestFor(ids) }))).code,
    ).toBe('CONFLICT');
    expect(
      (
        await failure(
          publisher().ingest.requestUploads({
            datasetId: dataset.id,
            files: [
              {
                name: 'x.png',
                contentType: 'image/png',
                byteSize: 10,
                sha256: sha256Hex(new Uint8Array(10)),
              },
            ],
          }),
        )
      ).code,
    ).toBe('CONFLICT');
    const { count } = await t.db
      .selectFrom('dataset_items')
      .select(sql<string>`count(*)`.as('count'))
      .where('dataset_id', '=', dataset.id)
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(4);
  });

  it('one wrong hash → 422 naming the item, with every other problem per item, and nothing saved', async () => {
    const good = bytes('good');
    const tampered = bytes('tampered');
    const { dataset, ids } = await draftWith([
      { name: 'before.png', contentType: 'image/png', body: bytes('b') },
      { name: 'after.png', contentType: 'image/png', body: bytes('a') },
      { name: 'talk.mp3', contentType: 'audio/mpeg', body: good },
    ]);
    // The store already holds the declared bytes of talk.mp3; a server-side write replaces them with
    // others of the same size (what a store holding the wrong bytes looks like to publish).
    const asset = await t.db
      .selectFrom('assets')
      .select('storage_key')
      .where('id', '=', ids['talk.mp3'] ?? '')
      .executeTakeFirstOrThrow();
    await api.storage.put(asset.storage_key, tampered, { contentType: 'audio/mpeg' });

    const manifest = manifestFor(ids).items;
    const items = [
      manifest[0],
      manifest[3],
      {
        type: 'image_pair_compare',
        title: 'Video as an image',
        payload: { beforeAssetId: ids['talk.mp3'], afterAssetId: ids['after.png'] },
      },
      { type: 'hologram', title: 'Unknown', payload: {} },
      {
        type: 'audio_with_captions',
        title: 'Overlapping',
        payload: {
          audioAssetId: ids['talk.mp3'],
          captions: [
            { startSeconds: 0, endSeconds: 3, text: 'a' },
            { startSeconds: 2, endSeconds: 4, text: 'b' },
          ],
        },
      },
      {
        type: 'image_pair_compare',
        title: 'Not uploaded here',
        payload: { beforeAssetId: crypto.randomUUID(), afterAssetId: ids['after.png'] },
      },
    ];
    const result = await failure(
      publisher().ingest.publish({
        datasetId: dataset.id,
        manifest: { items: items.filter((item) => item !== undefined) },
      }),
    );
    expect(result.code).toBe('UNPROCESSABLE');
    const errors = result.details?.items as Array<{
      index: number;
      title: string;
      errors: Array<{ path: string; message: string }>;
    }>;
    expect(errors.map((e) => [e.index, e.title])).toEqual([
      [1, 'Guide'],
      [2, 'Video as an image'],
      [3, 'Unknown'],
      [4, 'Overlapping'],
      [5, 'Not uploaded here'],
    ]);
    expect(errors[0]?.errors).toEqual([
      { path: 'payload.audioAssetId', message: 'The uploaded file does not match its declared SHA-256' },
    ]);
    expect(errors[1]?.errors.map((e) => e.message)).toContain(`Asset ${ids['talk.mp3']} is audio, not image`);
    expect(errors[3]?.errors[0]?.path).toBe('payload.captions.1.startSeconds');
    expect(errors[4]?.errors[0]?.message).toMatch(/was not uploaded to this dataset/);
    expect(result.details?.invalidItemCount).toBe(5);

    const row = await t.db
      .selectFrom('datasets')
      .select(['status'])
      .where('id', '=', dataset.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('draft');
    const written = await t.db
      .selectFrom('dataset_items')
      .select('id')
      .where('dataset_id', '=', dataset.id)
      .execute();
    expect(written).toEqual([]);
    const events = await t.db
      .selectFrom('outbox_events')
      .select('type')
      .where('aggregate_id', '=', dataset.id)
      .execute();
    expect(events.map((e) => e.type)).toEqual(['DatasetDraftCreated']);
  });

  it('an asset never uploaded, or uploaded with another size, is named per item', async () => {
    const declared = bytes('declared', 3_000);
    const { dataset, ids } = await draftWith([
      { name: 'before.png', contentType: 'image/png', body: declared, sha256: sha256Hex(declared) },
      { name: 'after.png', contentType: 'image/png', body: bytes('after') },
    ]);
    const result = await failure(
      publisher().ingest.publish({
        datasetId: dataset.id,
        manifest: {
          items: [
            {
              type: 'image_pair_compare',
              title: 'Pair',
              payload: { beforeAssetId: ids['before.png'], afterAssetId: ids['after.png'] },
            },
          ],
        },
      }),
    );
    expect(result.code).toBe('UNPROCESSABLE');
    expect(result.details?.items).toEqual([
      {
        index: 0,
        title: 'Pair',
        errors: [{ path: 'payload.beforeAssetId', message: 'This file has not been uploaded' }],
      },
    ]);
  });

  it('the store refuses bytes other than the signed size and hash', async () => {
    const body = bytes('signed');
    const dataset = await publisher().ingest.createDataset({ name: 'Refusals' });
    const { uploads } = await publisher().ingest.requestUploads({
      datasetId: dataset.id,
      files: [
        { name: 'a.png', contentType: 'image/png', byteSize: body.byteLength, sha256: sha256Hex(body) },
      ],
    });
    const upload = uploads[0]?.upload;
    if (!upload) throw new Error('no upload');
    const other = bytes('other');
    expect(await uploadTo(upload, other)).toBe(400);
    expect(await uploadTo(upload, body.slice(0, 100))).toBe(400);
    expect(await uploadTo(upload, body)).toBe(200);
  });

  it('signed asset links: 60–300 s, served with the right headers, expired refused, another org 404, drafts for publishers only, each one logged', async () => {
    const { dataset, ids } = await draftWith(ALL_FILES);
    const before = ids['before.png'] ?? '';
    // Draft: publishers may preview, readers get 404.
    expect((await failure(reader().assets.signedUrl({ assetId: before }))).code).toBe('NOT_FOUND');
    const preview = await publisher().assets.signedUrl({ assetId: before });
    expect((await fetch(preview.url)).status).toBe(200);

    await publisher().ingest.publish({ datasetId: dataset.id, manifest: manifestFor(ids) });
    for (const expiresInSeconds of [59, 301])
      expect((await failure(reader().assets.signedUrl({ assetId: before, expiresInSeconds }))).code).toBe(
        'VALIDATION_ERROR',
      );
    const link = await reader().assets.signedUrl({ assetId: ids['clip.mp4'] ?? '', expiresInSeconds: 60 });
    expect(link.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(61_000);
    const ranged = await fetch(link.url, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-type')).toBe('video/mp4');
    expect(ranged.headers.get('cache-control')).toBe('private, no-store');
    expect(ranged.headers.get('content-disposition')).toMatch(/^inline; filename="clip.mp4"/);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);

    // Another org: 404 whether or not it exists.
    expect((await failure(outsider().assets.signedUrl({ assetId: before }))).code).toBe('NOT_FOUND');
    expect((await failure(outsider().datasets.get({ id: dataset.id }))).code).toBe('NOT_FOUND');
    expect((await failure(outsider().datasets.items({ datasetId: dataset.id }))).code).toBe('NOT_FOUND');

    // An expired link is refused by the store: the same link re-signed one second in the past.
    const url = new URL(link.url);
    const expired = await api.storage.createDownloadUrl({
      key: decodeURIComponent(url.pathname.replace(/^\/objects\//, '')),
      expiresInSeconds: 1,
      disposition: 'inline',
      contentType: 'video/mp4',
      fileName: 'clip.mp4',
    });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const refused = await fetch(expired.url);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'This link has expired' } });

    const log = await t.db
      .selectFrom('asset_access_log')
      .select(['asset_id', 'user_id', 'ip'])
      .where('asset_id', 'in', [before, ids['clip.mp4'] ?? ''])
      .orderBy('id')
      .execute();
    expect(log).toEqual([
      { asset_id: before, user_id: publisherId, ip: '198.51.100.20' },
      { asset_id: ids['clip.mp4'], user_id: readerId, ip: '198.51.100.20' },
    ]);
  });

  it('readers list published datasets only; a reader cannot ingest', async () => {
    const draft = await publisher().ingest.createDataset({ name: 'Still a draft' });
    const readerList = await reader().datasets.list({ limit: 100 });
    expect(readerList.items.map((d) => d.id)).not.toContain(draft.id);
    expect(readerList.items.every((d) => d.status !== 'draft')).toBe(true);
    const publisherList = await publisher().datasets.list({ limit: 100, status: 'draft' });
    expect(publisherList.items.map((d) => d.id)).toContain(draft.id);
    expect((await failure(reader().ingest.createDataset({ name: 'Nope' }))).code).toBe('FORBIDDEN');
    expect(
      (
        await failure(
          outsider().ingest.publish({
            datasetId: draft.id,
            manifest: { items: [{ type: 'x', title: 'x', payload: {} }] },
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
  });

  it('drafts expire: rows, assets and bytes go; published datasets stay', async () => {
    const { dataset, ids } = await draftWith([
      { name: 'old.png', contentType: 'image/png', body: bytes('old') },
    ]);
    const key = (
      await t.db
        .selectFrom('assets')
        .select('storage_key')
        .where('id', '=', ids['old.png'] ?? '')
        .executeTakeFirstOrThrow()
    ).storage_key;
    expect(await api.storage.head(key)).not.toBeNull();
    const result = await expireDraftDatasets(t.db, {
      now: new Date(Date.now() + 73 * 3_600_000),
      maxAgeHours: 72,
      storage: api.storage,
    });
    expect(result.expired).toBeGreaterThanOrEqual(1);
    expect(
      await t.db.selectFrom('datasets').select('id').where('id', '=', dataset.id).executeTakeFirst(),
    ).toBeUndefined();
    expect(await api.storage.head(key)).toBeNull();
    const published = await t.db
      .selectFrom('datasets')
      .select('id')
      .where('status', '=', 'published')
      .execute();
    expect(published.length).toBeGreaterThanOrEqual(2);
    const events = await t.db
      .selectFrom('outbox_events')
      .select('type')
      .where('aggregate_id', '=', dataset.id)
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['DatasetDraftCreated', 'DatasetDraftExpired']);
  });
});
