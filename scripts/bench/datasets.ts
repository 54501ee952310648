/**
 * Datasets (SPEC §5, docs/datasets.md): signed asset URL issue throughput, and publishing a
 * 10,000-item manifest (target < 10 s).
 *
 *   pnpm bench datasets
 *
 * On a fresh database (BENCH_DATABASE_URL's server, else an embedded PostgreSQL started here) and the
 * local object storage in a temp directory:
 * - `assets.signedUrl` as the procedure runs it (`signedAssetUrl`: scoped lookup, HMAC signature,
 *   access-log insert), 5,000 calls from 1 and from 16 concurrent callers; and the bare HMAC signing
 *   of the store (`createDownloadUrl`) for scale;
 * - `ingest.publish` of 10,000 items, 2,500 of each type, referencing 10,000 uploaded assets: every
 *   item schema-checked, every asset's size and SHA-256 checked in the store, all items and
 *   annotations written in one transaction (median of 3 drafts).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@atrium/db';
// The root package does not depend on @atrium/domain; the bench reaches its source directly.
import type { Permission } from '../../packages/domain/src/access/permissions.ts';
import type { Session } from '../../packages/domain/src/access/session.ts';
import { createDataset, publishDataset, requestUploads } from '../../packages/domain/src/datasets/ingest.ts';
import { signedAssetUrl } from '../../packages/domain/src/datasets/read.ts';
import { createLocalObjectStorage } from '../../packages/domain/src/platform/local-object-storage.ts';
import { type BenchMetric, type BenchResult, benchDatabase, round } from './lib.ts';

const ITEMS = 10_000;
const PUBLISH_TARGET_MS = 10_000;
const URL_CALLS = 5_000;
const RUNS = 3;

export async function run(): Promise<BenchResult> {
  const database = await benchDatabase();
  const root = await mkdtemp(join(tmpdir(), 'atrium-bench-objects-'));
  const handle = createDb({ connectionString: database.url, poolSize: 16 });
  const db = handle.db;
  const storage = createLocalObjectStorage({
    root,
    signingKey: 'bench-signing-key-0123456789-0123456789',
    baseUrl: 'http://127.0.0.1:3000/objects',
  });
  const metrics: BenchMetric[] = [];
  try {
    const org = await db
      .insertInto('orgs')
      .values({ slug: 'bench-datasets', name: 'Bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const user = await db
      .insertInto('users')
      .values({ org_id: org.id, email: 'publisher@bench.example', name: 'Publisher', password_hash: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const session: Session = {
      userId: user.id,
      orgId: org.id,
      roles: ['publisher'],
      permissions: new Set<Permission>(['datasets.ingest', 'datasets.read']),
      platformRole: null,
      permissionVersion: 1,
    };
    const deps = { db, storage };

    const publishMs: number[] = [];
    let assetIds: string[] = [];
    for (let runIndex = 0; runIndex < RUNS; runIndex += 1) {
      const { dataset, ids } = await uploadedDraft(deps, session, runIndex);
      assetIds = ids;
      const items = manifest(ids);
      const started = performance.now();
      const published = await publishDataset(deps, session, { datasetId: dataset.id, manifest: { items } });
      publishMs.push(performance.now() - started);
      if (published.itemCount !== ITEMS) throw new Error(`published ${published.itemCount} items`);
    }
    publishMs.sort((a, b) => a - b);
    const median = publishMs[Math.floor(publishMs.length / 2)] ?? Number.NaN;
    metrics.push({
      what: `ingest.publish, ${ITEMS.toLocaleString('en')} items / ${ITEMS.toLocaleString('en')} assets (median of ${RUNS})`,
      value: round(median / 1000, 2),
      unit: 's',
      target: `< ${PUBLISH_TARGET_MS / 1000} s`,
      pass: median < PUBLISH_TARGET_MS,
    });

    for (const concurrency of [1, 16]) {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < URL_CALLS) {
            const assetId = assetIds[next % assetIds.length] ?? '';
            next += 1;
            await signedAssetUrl(deps, session, { assetId, expiresInSeconds: 120 }, { ip: '203.0.113.7' });
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      metrics.push({
        what: `assets.signedUrl (lookup + sign + access log), ${concurrency} caller${concurrency > 1 ? 's' : ''}`,
        value: Math.round(URL_CALLS / seconds),
        unit: '/s',
      });
    }
    const key = (await db.selectFrom('assets').select('storage_key').limit(1).executeTakeFirstOrThrow())
      .storage_key;
    const started = performance.now();
    for (let i = 0; i < 50_000; i += 1)
      await storage.createDownloadUrl({
        key,
        expiresInSeconds: 120,
        disposition: 'inline',
        contentType: 'image/png',
      });
    metrics.push({
      what: 'local store: sign a download URL (HMAC only)',
      value: Math.round(50_000 / ((performance.now() - started) / 1000)),
      unit: '/s',
    });
    return { name: 'datasets', metrics };
  } finally {
    await handle.destroy();
    await database.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** A draft with ITEMS small assets uploaded (server-side writes: the bench measures publish, not uploads). */
async function uploadedDraft(
  deps: { db: ReturnType<typeof createDb>['db']; storage: ReturnType<typeof createLocalObjectStorage> },
  session: Session,
  runIndex: number,
): Promise<{ dataset: { id: string }; ids: string[] }> {
  const dataset = await createDataset(deps, session, { name: `Bench ${runIndex}` });
  const ids: string[] = [];
  for (let offset = 0; offset < ITEMS; offset += 500) {
    const files = Array.from({ length: 500 }, (_, i) => {
      const n = offset + i;
      const kind = n % 4 === 2 ? 'video/mp4' : n % 4 === 3 ? 'audio/mpeg' : 'image/png';
      const body = Buffer.from(`asset ${runIndex} ${n} ${'x'.repeat(200)}`);
      return {
        body,
        name: `a${n}.${kind.split('/')[1]}`,
        contentType: kind,
        byteSize: body.byteLength,
        sha256: createHash('sha256').update(body).digest('hex'),
      };
    });
    const { uploads } = await requestUploads(deps, session, {
      datasetId: dataset.id,
      files: files.map(({ body: _body, ...file }) => file),
    });
    const keys = await deps.db
      .selectFrom('assets')
      .select(['id', 'storage_key'])
      .where(
        'id',
        'in',
        uploads.map((u) => u.assetId),
      )
      .execute();
    const keyOf = new Map(keys.map((row) => [row.id, row.storage_key]));
    await Promise.all(
      uploads.map((upload, i) => {
        const file = files[i];
        if (!file) throw new Error('upload without a file');
        return deps.storage.put(keyOf.get(upload.assetId) ?? '', file.body, {
          contentType: file.contentType,
        });
      }),
    );
    ids.push(...uploads.map((u) => u.assetId));
  }
  return { dataset, ids };
}

/** 10,000 items, 2,500 of each type; item n uses asset n (pairs and galleries also its image neighbour). */
function manifest(ids: string[]) {
  return ids.map((id, n) => {
    const image = (k: number) => ids[k - (k % 4) + (k % 4 === 0 ? 1 : 0)] ?? id;
    switch (n % 4) {
      case 0:
        return {
          type: 'image_pair_compare',
          title: `Pair ${n}`,
          tags: ['bench'],
          payload: { beforeAssetId: id, afterAssetId: image(n) },
        };
      case 1:
        return {
          type: 'image_ranked_gallery',
          title: `Gallery ${n}`,
          payload: {
            images: [
              { assetId: id, rank: 1 },
              { assetId: ids[n - 1] ?? id, rank: 2 },
            ],
          },
        };
      case 2:
        return {
          type: 'video_with_timeline',
          title: `Video ${n}`,
          payload: {
            videoAssetId: id,
            timeline: [
              { atSeconds: 1, label: 'a' },
              { atSeconds: 5, endSeconds: 8, label: 'b' },
            ],
          },
        };
      default:
        return {
          type: 'audio_with_captions',
          title: `Audio ${n}`,
          payload: {
            audioAssetId: id,
            captions: [
              { startSeconds: 0, endSeconds: 2, text: 'one' },
              { startSeconds: 2, endSeconds: 4, text: 'two' },
            ],
          },
        };
    }
  });
}

if (import.meta.filename === process.argv[1]) {
  const result = await run();
  console.log(JSON.stringify(result, null, 2));
}
