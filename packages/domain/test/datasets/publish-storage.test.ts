import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useS3Server, useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/access/session.ts';
import { createDataset, publishDataset, requestUploads } from '../../src/datasets/ingest.ts';
import { createLocalObjectStorage } from '../../src/platform/local-object-storage.ts';
import type { ObjectStorage } from '../../src/platform/object-storage.ts';
import { createS3ObjectStorage } from '../../src/platform/s3-object-storage.ts';
import type { RealtimePublisher } from '../../src/realtime/port.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Publish checks every asset in the store on both adapters (docs/datasets.md "How publish verifies a
 * hash"): the declared size and SHA-256, answered from the hash the store established itself (local:
 * while streaming to disk; S3: its verified checksum) or by reading the object back (s3rver stores no
 * checksum, so there the streaming path is what catches wrong bytes). Server-side writes stand for a
 * client that uploaded other bytes: the store then holds an object of the right size and the wrong hash.
 */
describe('ingest.publish against each object store', () => {
  const t = useTestDatabase();
  const s3 = useS3Server();
  let root: string;
  let session: Session;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atrium-publish-local-'));
    const orgId = (await createTestOrg(t.db)).id;
    const user = await createTestUser(t.db, { orgId, roles: ['publisher'] });
    session = testSession({ orgId, userId: user.id, permissions: ['datasets.ingest', 'datasets.read'] });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const stores: Array<[string, () => ObjectStorage]> = [
    [
      'local',
      () =>
        createLocalObjectStorage({
          root,
          signingKey: 'publish-test-signing-key-0123456789-abc',
          baseUrl: 'http://127.0.0.1:1/objects',
        }),
    ],
    [
      's3 (s3rver)',
      () =>
        createS3ObjectStorage({
          bucket: s3.bucket,
          region: s3.region,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        }),
    ],
  ];

  it.each(stores)(
    '%s: a wrong hash is named per item and nothing is saved; the right manifest then publishes',
    async (_name, make) => {
      const storage = make();
      const progress: unknown[] = [];
      const realtime: RealtimePublisher = {
        publish: async (event) => {
          progress.push(event.payload);
        },
      };
      const deps = { db: t.db, storage, realtime };
      const good = new TextEncoder().encode('the bytes that were declared');
      const other = new TextEncoder().encode('other bytes, of the same size');
      expect(other.byteLength).toBe(good.byteLength + 1);
      const otherSameSize = other.slice(0, good.byteLength);

      const dataset = await createDataset(deps, session, { name: 'Store check' });
      const { uploads } = await requestUploads(deps, session, {
        datasetId: dataset.id,
        files: [
          { name: 'good.mp3', contentType: 'audio/mpeg', byteSize: good.byteLength, sha256: sha256(good) },
          { name: 'bad.mp3', contentType: 'audio/mpeg', byteSize: good.byteLength, sha256: sha256(good) },
        ],
      });
      const [goodAsset, badAsset] = uploads;
      if (!goodAsset || !badAsset) throw new Error('two uploads expected');
      const keys = await t.db
        .selectFrom('assets')
        .select(['id', 'storage_key'])
        .where('dataset_id', '=', dataset.id)
        .execute();
      const keyOf = (id: string) => keys.find((row) => row.id === id)?.storage_key ?? '';
      await storage.put(keyOf(goodAsset.assetId), good, { contentType: 'audio/mpeg' });
      await storage.put(keyOf(badAsset.assetId), otherSameSize, { contentType: 'audio/mpeg' });

      const item = (title: string, audioAssetId: string) => ({
        type: 'audio_with_captions',
        title,
        payload: { audioAssetId, captions: [] },
      });
      await expect(
        publishDataset(deps, session, {
          datasetId: dataset.id,
          manifest: { items: [item('Good', goodAsset.assetId), item('Bad', badAsset.assetId)] },
        }),
      ).rejects.toMatchObject({
        code: 'UNPROCESSABLE',
        details: {
          items: [
            {
              index: 1,
              title: 'Bad',
              errors: [
                {
                  path: 'payload.audioAssetId',
                  message: 'The uploaded file does not match its declared SHA-256',
                },
              ],
            },
          ],
        },
      });

      // Nothing was saved by the refusal: the draft publishes once its manifest is right, and the
      // publisher hears that it is done (checking progress is sent past 200 assets; here there is one).
      const published = await publishDataset(deps, session, {
        datasetId: dataset.id,
        manifest: { items: Array.from({ length: 300 }, (_, i) => item(`Good ${i}`, goodAsset.assetId)) },
      });
      expect(published).toMatchObject({ status: 'published', itemCount: 300 });
      expect(progress.at(-1)).toEqual({ datasetId: dataset.id, phase: 'published', done: 300, total: 300 });
      await storage.close();
    },
  );
});
