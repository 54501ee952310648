import { freePort } from '@atrium/local-engines';
import { metricValue, redisAvailable, spawnNode, testRedisUrl, useTestDatabase } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';

describe('scheduler process', () => {
  const t = useTestDatabase();

  it('starts, serves health and metrics on its own port, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawnNode('src/main.ts', {
      cwd: new URL('..', import.meta.url),
      env: {
        DATABASE_URL: t.url,
        REDIS_URL: testRedisUrl() ?? undefined,
        SCHEDULER_OPS_PORT: String(port),
        LOG_LEVEL: 'info',
        NODE_ENV: 'test',
      },
    });
    try {
      await child.waitForOutput('scheduler started');
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
      const report = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
      expect(ready.status).toBe(200);
      expect(report.checks.db?.status).toBe('ok');
      if (redisAvailable()) expect(report.checks.redis?.status).toBe('ok');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metricValue(metrics, 'process_resident_memory_bytes', { process: 'scheduler' })).toBeGreaterThan(
        0,
      );
      expect(metricValue(metrics, 'atrium_scheduler_leases_held', { process: 'scheduler' })).toBe(0);
      // The built-in schedules are upserted on start.
      const builtIns = await t.db
        .selectFrom('schedules')
        .select(['name', 'builtin', 'status'])
        .orderBy('name')
        .execute();
      expect(builtIns).toEqual([
        { name: 'aims-health-check', builtin: true, status: 'active' },
        { name: 'aims-reconciliation', builtin: true, status: 'active' },
        { name: 'audit-integrity-report', builtin: true, status: 'active' },
        { name: 'dataset-draft-expiry', builtin: true, status: 'active' },
        { name: 'expired-credential-cleanup', builtin: true, status: 'active' },
        { name: 'log-retention', builtin: true, status: 'active' },
        { name: 'outbox-inbox-retention', builtin: true, status: 'active' },
      ]);
    } finally {
      child.kill('SIGTERM');
      expect((await child.exited).code).toBe(0);
    }
    expect(child.output()).toContain('scheduler stopped');
  });
});
