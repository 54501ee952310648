import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import { deleteInBatches, retentionCutoff } from '../platform/delete-in-batches.ts';

/**
 * Deletes credentials nobody can use any more, once they are older than the retention: refresh tokens
 * expired or revoked, email verification codes expired or consumed, password reset tokens expired or
 * used. Rotated-but-live refresh tokens stay (reuse detection needs them until they expire).
 */
export async function cleanupExpiredCredentials(
  db: Kysely<Database>,
  input: { now: Date; retentionDays: number; batchSize?: number; signal?: AbortSignal },
): Promise<{ refreshTokens: number; emailVerificationCodes: number; passwordResetTokens: number }> {
  const cutoff = retentionCutoff(input.now, input.retentionDays);
  const batch = input.batchSize ?? 5_000;
  const refreshTokens = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('refresh_tokens')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('refresh_tokens')
          .select('id')
          .where((w) => w.or([w('expires_at', '<', cutoff), w('revoked_at', '<', cutoff)]))
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  const emailVerificationCodes = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('email_verification_codes')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('email_verification_codes')
          .select('id')
          .where((w) => w.or([w('expires_at', '<', cutoff), w('consumed_at', '<', cutoff)]))
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  const passwordResetTokens = await deleteInBatches(input.signal, () =>
    db
      .deleteFrom('password_reset_tokens')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('password_reset_tokens')
          .select('id')
          .where((w) => w.or([w('expires_at', '<', cutoff), w('used_at', '<', cutoff)]))
          .limit(batch),
      )
      .executeTakeFirst(),
  );
  return { refreshTokens, emailVerificationCodes, passwordResetTokens };
}
