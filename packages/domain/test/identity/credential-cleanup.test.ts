import { useTestDatabase } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { describe, expect, it } from 'vitest';
import { cleanupExpiredCredentials } from '../../src/identity/credential-cleanup.ts';

const NOW = new Date('2026-04-20T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 24 * 60 * 60 * 1000);
const inDays = (days: number) => new Date(NOW.getTime() + days * 24 * 60 * 60 * 1000);

describe('credential cleanup (built-in schedule maintenance.credential-cleanup)', () => {
  const t = useTestDatabase();

  it('deletes only spent credentials older than the retention', async () => {
    const { id: orgId } = await createTestOrg(t.db, { slug: 'cleanup-org', bare: true });
    const user = await createTestUser(t.db, { orgId, roles: [], email: 'cleanup@example.test', name: 'C' });
    const token = (hash: string, fields: Record<string, Date | null>) => ({
      user_id: user.id,
      org_id: orgId,
      family_id: crypto.randomUUID(),
      token_hash: hash,
      expires_at: inDays(30),
      ...fields,
    });
    await t.db
      .insertInto('refresh_tokens')
      .values([
        token('expired-long-ago', { expires_at: daysAgo(8) }),
        token('revoked-long-ago', { revoked_at: daysAgo(8) }),
        token('expired-recently', { expires_at: daysAgo(1) }),
        token('rotated-but-live', { rotated_at: daysAgo(20) }), // reuse detection needs it
        token('live', {}),
      ])
      .execute();
    await t.db
      .insertInto('email_verification_codes')
      .values([
        { user_id: user.id, org_id: orgId, code_hash: 'old', expires_at: daysAgo(10) },
        {
          user_id: user.id,
          org_id: orgId,
          code_hash: 'consumed',
          expires_at: inDays(1),
          consumed_at: daysAgo(9),
        },
        { user_id: user.id, org_id: orgId, code_hash: 'fresh', expires_at: inDays(1) },
      ])
      .execute();
    await t.db
      .insertInto('password_reset_tokens')
      .values([
        { user_id: user.id, org_id: orgId, token_hash: 'used', expires_at: inDays(1), used_at: daysAgo(8) },
        { user_id: user.id, org_id: orgId, token_hash: 'valid', expires_at: inDays(1) },
      ])
      .execute();

    const deleted = await cleanupExpiredCredentials(t.db, { now: NOW, retentionDays: 7, batchSize: 1 });
    expect(deleted).toEqual({ refreshTokens: 2, emailVerificationCodes: 2, passwordResetTokens: 1 });
    const left = await t.db.selectFrom('refresh_tokens').select('token_hash').orderBy('token_hash').execute();
    expect(left.map((r) => r.token_hash)).toEqual(['expired-recently', 'live', 'rotated-but-live']);
  });
});
