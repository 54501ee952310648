import { defineCatalogue, defineQueue } from '@atrium/domain';
import { useTestDatabase, waitFor } from '@atrium/testkit';
import {
  accessTokenFor,
  createTestJob,
  createTestOrg,
  createTestUser,
  jobsOf,
} from '@atrium/testkit/factories';
import { type QueueHandlers, type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type RunningApi, startApi } from '../src/server.ts';
import { testApiEnv } from './helpers.ts';
import { type Subscription, settle, subscribeEvents } from './realtime-client.ts';

const JWT_SECRET = 'job-failed-test-secret-0123456789-abcdefg';

/** A queue whose handler always throws: one retry, then the dead letter. */
const fragile = defineQueue({
  name: 'test.fragile',
  payload: z.object({ orgId: z.uuid().nullable(), label: z.string() }),
  retryLimit: 1,
  retryDelaySeconds: 1,
  retryBackoff: false,
  retryDelayMaxSeconds: null,
});
const catalogue = defineCatalogue(fragile);
const handlers: QueueHandlers<typeof catalogue> = {
  'test.fragile': async ({ label }) => {
    throw new Error(`the ${label} job cannot be done`);
  },
};

/**
 * SPEC §2's `job.failed`: when a job fails for good the worker tells the job's org live, over the same
 * path as every realtime event (the worker's publisher → the API's feed → SSE), to those who read
 * the org's Ops console. PostgreSQL NOTIFY here (no Redis): the transports are tested elsewhere.
 */
describe('job.failed, live to the job’s org', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  let api: RunningApi;
  let worker: RunningWorker;
  let orgA: string;
  let orgB: string;
  const open: Subscription[] = [];

  beforeAll(async () => {
    api = await startApi(testApiEnv(t.url, { JWT_SECRET, REDIS_URL: undefined }));
    worker = await startWorker(testWorkerEnv(t.url), { queues: { catalogue, handlers } });
    orgA = (await createTestOrg(t.db, { name: 'Failing Org' })).id;
    orgB = (await createTestOrg(t.db, { name: 'Bystander Org' })).id;
  });
  afterEach(() => {
    for (const subscription of open.splice(0)) subscription.close();
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
  });

  const jobIdOf = (payload: unknown) => (payload as { jobId?: string }).jobId;

  /** A member's live stream, registered with the API before the test goes on. */
  async function streamOf(orgId: string, roles: string[]): Promise<Subscription> {
    const user = await createTestUser(t.db, { orgId, roles });
    const token = await accessTokenFor(t.db, user.id, { secret: JWT_SECRET });
    const before = api.services.realtime.hub.subscriberCount();
    const subscription = subscribeEvents(api.url, () => token, { types: ['job.failed'] });
    open.push(subscription);
    await subscription.started;
    await waitFor(() => api.services.realtime.hub.subscriberCount() > before, { what: 'the stream' });
    return subscription;
  }

  it('reaches the org’s Ops readers once, after the last attempt — not its other members, not other orgs', async () => {
    const admin = await streamOf(orgA, ['admin']);
    const viewer = await streamOf(orgA, ['viewer']);
    const otherAdmin = await streamOf(orgB, ['admin']);

    const jobId = await createTestJob(worker.boss, fragile.name, { orgId: orgA, label: 'nightly' });
    const event = await admin.waitFor((e) => e.type === 'job.failed', 15_000);
    expect(event.payload).toEqual({
      queue: 'test.fragile',
      jobId,
      attempts: 2,
      deadLetter: 'test.fragile.dead-letter',
      error: 'the nightly job cannot be done',
    });
    // Announced with the failure that dead-letters it, not with the retry before.
    const [job] = await waitFor(async () => {
      const rows = await jobsOf(t.db, fragile.name);
      return rows[0]?.state === 'failed' ? rows : null;
    });
    expect(job?.id).toBe(jobId);
    await settle();
    expect(admin.events.filter((e) => e.type === 'job.failed')).toHaveLength(1);
    expect(viewer.events).toEqual([]);
    expect(otherAdmin.events).toEqual([]);
  });

  it('says so for a payload the queue refuses, and stays silent about a job no org owns', async () => {
    const admin = await streamOf(orgA, ['admin']);
    const invalid = await createTestJob(worker.boss, fragile.name, { orgId: orgA, label: 42 });
    const event = await admin.waitFor(
      (e) => e.type === 'job.failed' && jobIdOf(e.payload) === invalid,
      15_000,
    );
    expect(event.payload).toMatchObject({ attempts: 1, error: 'invalid payload' });

    const orphan = await createTestJob(worker.boss, fragile.name, { orgId: null, label: 'platform' });
    await waitFor(
      async () => (await jobsOf(t.db, fragile.name)).find((j) => j.id === orphan)?.state === 'failed',
      {
        what: 'the org-less job to fail for good',
      },
    );
    await settle();
    expect(admin.events.map((e) => jobIdOf(e.payload))).toEqual([invalid]);
  });
});
