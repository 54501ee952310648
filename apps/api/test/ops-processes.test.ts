import { hostname } from 'node:os';
import { listProcesses, MISSED_BEATS, startHeartbeat } from '@atrium/domain/ops/processes';
import { type NodeProcess, spawnNode, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestJob, createTestOrg } from '@atrium/testkit/factories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.ts';
import { testApiEnv } from './helpers.ts';
import { codeOf, operatorSession, opsCaller, orgAdminSession } from './ops-helpers.ts';

/** A queue of the application's catalogue that the spawned worker consumes. */
const QUEUE = 'ops.pipeline-probe';

/**
 * Process heartbeats (docs/ops.md "Processes"): a real worker process registers itself, is listed
 * live with what it consumes, and once killed with SIGKILL (no goodbye) is marked missing after a
 * few beats; work waiting in a queue it consumed turns the console red, naming the process.
 */
describe('ops processes: heartbeats, missing processes, unconsumed queues', { timeout: 90_000 }, () => {
  const t = useTestDatabase();
  let services: Services;
  let orgId: string;
  let child: NodeProcess | undefined;

  const operator = () => opsCaller(services, operatorSession(orgId));

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    orgId = (await createTestOrg(t.db)).id;
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await child?.exited;
    await services?.close();
  });

  it('lists a live worker process, then marks it missing after SIGKILL and names it when work waits', async () => {
    child = spawnNode('src/main.ts', {
      cwd: new URL('../../worker/', import.meta.url),
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: t.url,
        DATABASE_POOL_SIZE: '4',
        WORKER_OPS_PORT: '0',
        WORKER_CONCURRENCY: '3',
        OPS_HEARTBEAT_SECONDS: '1',
        LOG_LEVEL: 'info',
      },
    });
    await child.waitForOutput('worker started', 60_000);
    const pid = Number((await child.waitForOutput(/"pid":(\d+)/))[1]);
    const name = `${hostname()}:${pid}`;

    const { processes } = await operator().processes();
    const worker = processes.find((p) => p.pid === pid);
    expect(worker).toMatchObject({
      kind: 'worker',
      host: hostname(),
      name,
      version: '0.1.0',
      status: 'live',
      beatSeconds: 1,
      stoppedAt: null,
    });
    expect(worker?.queues).toContainEqual({ queue: QUEUE, concurrency: 3 });
    expect(worker?.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const healthy = await operator().health();
    expect(healthy.registered.find((p) => p.pid === pid)?.readiness?.status).toBe('ok');
    expect(healthy.unconsumedQueues).toEqual([]);
    const liveQueues = await operator().queues();
    expect(liveQueues.queues.find((q) => q.name === QUEUE)).toMatchObject({
      consumers: 1,
      unconsumed: false,
    });

    child.kill('SIGKILL');
    await child.exited;
    await waitFor(
      async () => (await listProcesses(t.db)).find((p) => p.pid === pid)?.status === 'missing' || undefined,
      { timeoutMs: (MISSED_BEATS + 3) * 1000, what: 'the killed worker to be marked missing' },
    );

    // Nothing waits yet: a missing process alone degrades health, no queue is unconsumed.
    const missing = await operator().health();
    expect(missing.status).toBe('degraded');
    expect(missing.problems.join('\n')).toContain(`Worker ${name} is missing`);
    expect(missing.unconsumedQueues).toEqual([]);

    // Work arrives for the queue the dead worker consumed: nobody will take it.
    await createTestJob(await services.ops.boss(), QUEUE, { orgId, type: 'PipelineProbeRequested' });
    const queues = await operator().queues();
    expect(queues.queues.find((q) => q.name === QUEUE)).toMatchObject({
      consumers: 0,
      waiting: 1,
      unconsumed: true,
    });
    const kpis = await operator().kpis();
    expect(kpis.unconsumedQueues).toEqual([{ queue: QUEUE, waiting: 1 }]);
    const red = await operator().health();
    expect(red.problems).toContain(`${QUEUE} has 1 waiting job and no live worker.`);
    // The org's admin sees their share of the same truth, without the infrastructure detail.
    const admin = opsCaller(services, orgAdminSession(orgId));
    expect((await admin.kpis()).unconsumedQueues).toEqual([{ queue: QUEUE, waiting: 1 }]);
    expect(await codeOf(admin.processes())).toBe('FORBIDDEN');
  });

  it('shows a process that stopped cleanly as stopped, not missing', async () => {
    const heartbeat = await startHeartbeat({
      db: t.db,
      beatSeconds: 1,
      identity: {
        kind: 'scheduler',
        host: 'replica-b',
        pid: 4242,
        version: '9.9.9',
        queues: [],
        opsUrl: 'http://127.0.0.1:1',
      },
    });
    expect((await listProcesses(t.db)).find((p) => p.id === heartbeat.id)?.status).toBe('live');
    // Another host's loopback ops server is not probed (it would reach this host instead).
    const health = await operator().health();
    expect(health.registered.find((p) => p.id === heartbeat.id)?.readiness).toBeNull();
    await heartbeat.stop();
    const stopped = (await listProcesses(t.db)).find((p) => p.id === heartbeat.id);
    expect(stopped?.status).toBe('stopped');
    expect(stopped?.stoppedAt).toBeInstanceOf(Date);
  });
});
