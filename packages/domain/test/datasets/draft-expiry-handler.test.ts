import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser, testSession } from '@atrium/testkit/factories';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataset, requestUploads } from '../../src/datasets/ingest.ts';
import { manualClock } from '../../src/platform/clock.ts';
import {
  createLocalObjectStorage,
  type LocalObjectStorage,
} from '../../src/platform/local-object-storage.ts';
import { silentLog } from '../../src/platform/logger.ts';
import { createPostgresRealtimePublisher } from '../../src/realtime/publishers.ts';
import { BUILT_IN_HANDLERS, builtInScheduleHandlers } from '../../src/scheduling/built-in-handlers.ts';
import type { ScheduleHandlerContext } from '../../src/scheduling/handlers.ts';

/** The built-in `datasets.expire-drafts` handler as the scheduler runs it (docs/datasets.md "Draft expiry"). */
describe('draft expiry, as a scheduled run', () => {
  const t = useTestDatabase();
  let root: string;
  let storage: LocalObjectStorage;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atrium-expiry-'));
    storage = createLocalObjectStorage({
      root,
      signingKey: 'expiry-test-signing-key-0123456789-abc',
      baseUrl: 'http://127.0.0.1:1/objects',
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('deletes drafts older than maxAgeHours with their bytes; younger drafts stay', async () => {
    const orgId = (await createTestOrg(t.db)).id;
    const user = await createTestUser(t.db, { orgId, roles: ['publisher'] });
    const session = testSession({ orgId, userId: user.id, permissions: ['datasets.ingest'] });
    const old = await createDataset({ db: t.db }, session, { name: 'Old draft' });
    const body = new TextEncoder().encode('draft bytes');
    const { uploads } = await requestUploads({ db: t.db, storage }, session, {
      datasetId: old.id,
      files: [{ name: 'a.png', contentType: 'image/png', byteSize: body.byteLength, sha256: 'a'.repeat(64) }],
    });
    const key = (
      await t.db
        .selectFrom('assets')
        .select('storage_key')
        .where('id', '=', uploads[0]?.assetId ?? '')
        .executeTakeFirstOrThrow()
    ).storage_key;
    await storage.put(key, body, { contentType: 'image/png' });
    // Four days old: past the 72 hours of the built-in schedule.
    await sql`UPDATE datasets SET created_at = now() - interval '4 days' WHERE id = ${old.id}`.execute(t.db);
    const young = await createDataset({ db: t.db }, session, { name: 'Young draft' });

    const handler = builtInScheduleHandlers({ objectStorage: storage }).find(
      (h) => h.name === BUILT_IN_HANDLERS.datasetDraftExpiry,
    );
    if (!handler) throw new Error('no draft expiry handler');
    const now = new Date();
    const context: ScheduleHandlerContext = {
      scheduleId: crypto.randomUUID(),
      scheduleName: 'dataset-draft-expiry',
      payload: { maxAgeHours: 72 },
      signal: new AbortController().signal,
      scheduledFor: now,
      attempt: 1,
      logger: silentLog,
      db: t.db,
      clock: manualClock(now),
      realtime: createPostgresRealtimePublisher(t.db),
    };
    expect(await handler.run(context)).toEqual({ expired: 1, assets: 1, objectDeleteFailures: 0 });
    const left = await t.db.selectFrom('datasets').select('id').where('org_id', '=', orgId).execute();
    expect(left.map((row) => row.id)).toEqual([young.id]);
    expect(await storage.head(key)).toBeNull();
  });
});
