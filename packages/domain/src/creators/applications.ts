import type { CreatorApplication, CreatorApplicationStatus, Database } from '@atrium/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { roleNamesByUser } from '../identity/users.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import {
  CREATOR_APPLICATION_AGGREGATE,
  CREATOR_ROLE,
  CreatorApplicationApproved,
  CreatorApplicationRejected,
  CreatorApplicationSubmitted,
  USER_AGGREGATE,
  UserRolesChanged,
} from './events.ts';

/** What the creator programme's use cases run on. */
export interface CreatorDeps {
  db: Kysely<Database>;
  clock?: Clock;
}

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

const ZHttpUrl = z
  .string()
  .trim()
  .max(2_000)
  .pipe(z.url({ protocol: /^https?$/, message: 'Enter a full http(s) link' }));

const ZText = (min: number, max: number) =>
  z
    .string()
    .trim()
    .min(min, { message: `At least ${min} characters` })
    .max(max, { message: `At most ${max} characters` });

export const ZApplyInput = z.object({
  /** What the applicant has made or done before. */
  experience: ZText(10, 5_000),
  portfolioUrl: ZHttpUrl.optional(),
  /** Why they want to create here. */
  motivation: ZText(10, 5_000),
  socialLinks: z
    .array(z.object({ platform: ZText(1, 50), url: ZHttpUrl }))
    .max(10, { message: 'At most 10 links' })
    .default([]),
  additionalInfo: ZText(0, 5_000).optional(),
});
export type ApplyInput = z.input<typeof ZApplyInput>;

export const ZApplicationIdInput = z.object({ id: z.uuid() });
export type ApplicationIdInput = z.infer<typeof ZApplicationIdInput>;

export const ZApproveInput = z.object({ id: z.uuid(), notes: ZText(0, 2_000).optional() });
export type ApproveInput = z.input<typeof ZApproveInput>;

export const ZRejectInput = z.object({ id: z.uuid(), reason: ZText(3, 2_000) });
export type RejectInput = z.input<typeof ZRejectInput>;

export const ZListPendingInput = z.object({
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type ListPendingInput = z.input<typeof ZListPendingInput>;

/** The outcomes an application can end with (everything but `pending`). */
export const DECIDED_STATUSES = ['approved', 'rejected', 'withdrawn'] as const;

export const ZListDecidedInput = ZListPendingInput.extend({ status: z.enum(DECIDED_STATUSES).optional() });
export type ListDecidedInput = z.input<typeof ZListDecidedInput>;

// ── Views ─────────────────────────────────────────────────────────────────────────────────────────

/** An application as its applicant sees it: no reviewer identity, no internal review notes. */
export interface MyCreatorApplication {
  id: string;
  status: CreatorApplicationStatus;
  experience: string;
  portfolioUrl: string | null;
  motivation: string;
  socialLinks: Array<{ platform: string; url: string }>;
  additionalInfo: string | null;
  submittedAt: Date;
  reviewedAt: Date | null;
  rejectionReason: string | null;
  withdrawnAt: Date | null;
}

/** An application as reviewers see it (creators.review). */
export interface CreatorApplicationView extends MyCreatorApplication {
  applicant: { id: string; name: string; email: string };
  reviewedBy: string | null;
  /** The reviewer's current name, when they are a member of the org. */
  reviewerName: string | null;
  reviewNotes: string | null;
}

function mine(row: CreatorApplication): MyCreatorApplication {
  return {
    id: row.id,
    status: row.status,
    experience: row.experience,
    portfolioUrl: row.portfolio_url,
    motivation: row.motivation,
    socialLinks: row.social_links,
    additionalInfo: row.additional_info,
    submittedAt: row.submitted_at,
    reviewedAt: row.reviewed_at,
    rejectionReason: row.rejection_reason,
    withdrawnAt: row.withdrawn_at,
  };
}

type ReviewRow = CreatorApplication & {
  applicant_name: string;
  applicant_email: string;
  reviewer_name: string | null;
};

function forReviewer(row: ReviewRow): CreatorApplicationView {
  return {
    ...mine(row),
    applicant: { id: row.user_id, name: row.applicant_name, email: row.applicant_email },
    reviewedBy: row.reviewed_by,
    reviewerName: row.reviewer_name,
    reviewNotes: row.review_notes,
  };
}

function reviewQuery(db: Kysely<Database>, orgId: string) {
  return scoped(db, orgId)
    .selectFrom('creator_applications')
    .innerJoin('users', (join) =>
      join
        .onRef('users.id', '=', 'creator_applications.user_id')
        .onRef('users.org_id', '=', 'creator_applications.org_id'),
    )
    .leftJoin('users as reviewers', (join) =>
      join
        .onRef('reviewers.id', '=', 'creator_applications.reviewed_by')
        .onRef('reviewers.org_id', '=', 'creator_applications.org_id'),
    )
    .selectAll('creator_applications')
    .select([
      'users.name as applicant_name',
      'users.email as applicant_email',
      'reviewers.name as reviewer_name',
    ]);
}

/** When an application stopped being pending: reviewed (approved, rejected) or withdrawn. */
const decidedAt = sql<Date>`coalesce(creator_applications.reviewed_at, creator_applications.withdrawn_at, creator_applications.submitted_at)`;

// ── Applicant ─────────────────────────────────────────────────────────────────────────────────────

const OPEN_APPLICATION = 'You already have an open creator application';

/**
 * `creators.apply`: any signed-in member who is not a creator yet, one open (pending) application
 * at a time (409 otherwise, also under a race: a partial unique index backs the check). Writes
 * `CreatorApplicationSubmitted`, which notifies the reviewers.
 */
export async function applyForCreator(
  deps: CreatorDeps,
  session: Session,
  rawInput: ApplyInput,
): Promise<MyCreatorApplication> {
  const input = validateInput(ZApplyInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const scope = scoped(trx, session.orgId);
      // One user's applies, withdrawals and grants serialise on the user row.
      const user = await scope
        .selectFrom('users')
        .select('id')
        .where('id', '=', session.userId)
        .forUpdate()
        .executeTakeFirst();
      if (!user) throw new NotFoundError('User');
      const roles = (await roleNamesByUser(trx, session.orgId, [session.userId])).get(session.userId) ?? [];
      if (roles.includes(CREATOR_ROLE)) throw new ConflictError('You are already a creator');
      const open = await scope
        .selectFrom('creator_applications')
        .select('id')
        .where('user_id', '=', session.userId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (open) throw new ConflictError(OPEN_APPLICATION, { applicationId: open.id });
      const row = await scope
        .insertInto('creator_applications', {
          user_id: session.userId,
          experience: input.experience,
          portfolio_url: input.portfolioUrl ?? null,
          motivation: input.motivation,
          social_links: JSON.stringify(input.socialLinks),
          additional_info: input.additionalInfo ? input.additionalInfo : null,
          submitted_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeOutboxEvent(trx, {
        orgId: session.orgId,
        type: CreatorApplicationSubmitted,
        aggregateType: CREATOR_APPLICATION_AGGREGATE,
        aggregateId: row.id,
        payload: { applicationId: row.id, userId: session.userId },
      });
      return mine(row);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'creator_applications_one_open_idx'))
      throw new ConflictError(OPEN_APPLICATION);
    throw error;
  }
}

/** `creators.myApplication`: the caller's latest application, or null when they never applied. */
export async function getMyApplication(
  deps: CreatorDeps,
  session: Session,
): Promise<MyCreatorApplication | null> {
  const row = await scoped(deps.db, session.orgId)
    .selectFrom('creator_applications')
    .selectAll()
    .where('user_id', '=', session.userId)
    .orderBy('submitted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? mine(row) : null;
}

/** `creators.withdraw {id}`: the caller's own pending application (someone else's → 404; decided → 409). */
export async function withdrawApplication(
  deps: CreatorDeps,
  session: Session,
  rawInput: ApplicationIdInput,
): Promise<MyCreatorApplication> {
  const { id } = validateInput(ZApplicationIdInput, rawInput);
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await lockApplication(trx, session.orgId, id);
    if (row.user_id !== session.userId) throw new NotFoundError('Creator application');
    assertPending(row);
    const updated = await scoped(trx, session.orgId)
      .updateTable('creator_applications')
      .set({ status: 'withdrawn', withdrawn_at: now, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return mine(updated);
  });
}

// ── Reviewers (creators.review) ───────────────────────────────────────────────────────────────────

/** `creators.listPending {cursor, limit}`: the review queue, oldest first, keyset on (submitted_at, id). */
export async function listPendingApplications(
  deps: CreatorDeps,
  session: Session,
  rawInput: ListPendingInput = {},
): Promise<{ items: CreatorApplicationView[]; nextCursor: string | null }> {
  const { cursor, limit } = validateInput(ZListPendingInput, rawInput);
  let query = reviewQuery(deps.db, session.orgId)
    .select(sql<string>`creator_applications.submitted_at::text`.as('submitted_at_text'))
    .where('creator_applications.status', '=', 'pending')
    .orderBy('creator_applications.submitted_at', 'asc')
    .orderBy('creator_applications.id', 'asc')
    .limit(limit + 1);
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(creator_applications.submitted_at, creator_applications.id) > (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(forReviewer),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.submitted_at_text, last.id) : null,
  };
}

/**
 * `creators.listDecided {status?, cursor, limit}`: the review history — approved, rejected and
 * withdrawn applications, latest decision first, keyset on (decision time, id). With `status`, one
 * outcome only.
 */
export async function listDecidedApplications(
  deps: CreatorDeps,
  session: Session,
  rawInput: ListDecidedInput = {},
): Promise<{ items: CreatorApplicationView[]; nextCursor: string | null }> {
  const { cursor, limit, status } = validateInput(ZListDecidedInput, rawInput);
  let query = reviewQuery(deps.db, session.orgId)
    .select(sql<string>`${decidedAt}::text`.as('decided_at_text'))
    .where('creator_applications.status', 'in', status ? [status] : DECIDED_STATUSES)
    .orderBy(decidedAt, 'desc')
    .orderBy('creator_applications.id', 'desc')
    .limit(limit + 1);
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(${decidedAt}, creator_applications.id) < (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(forReviewer),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.decided_at_text, last.id) : null,
  };
}

/** `creators.get {id}`: any application of the caller's org; another org's id → 404. */
export async function getApplication(
  deps: CreatorDeps,
  session: Session,
  rawInput: ApplicationIdInput,
): Promise<CreatorApplicationView & { otherReviewers: number }> {
  const { id } = validateInput(ZApplicationIdInput, rawInput);
  const row = await reviewQuery(deps.db, session.orgId)
    .where('creator_applications.id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Creator application');
  return {
    ...forReviewer(row),
    otherReviewers: await countReviewersOtherThan(deps.db, session.orgId, row.user_id),
  };
}

/**
 * Active members of the org who may review applications (a role granting `creators.review`), the
 * applicant excepted: when it is 0, nobody can decide this application until someone is given that
 * role — the page says so instead of offering buttons that would be refused.
 */
async function countReviewersOtherThan(
  db: Kysely<Database>,
  orgId: string,
  applicantId: string,
): Promise<number> {
  const row = await db
    .selectFrom('user_roles')
    .innerJoin('roles', 'roles.id', 'user_roles.role_id')
    .innerJoin('users', 'users.id', 'user_roles.user_id')
    .select((eb) => eb.fn.count<string>('user_roles.user_id').distinct().as('count'))
    .where('user_roles.org_id', '=', orgId)
    .where('users.status', '=', 'active')
    .where('user_roles.user_id', '<>', applicantId)
    .where(sql<boolean>`${'creators.review'} = ANY(roles.permissions)`)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/**
 * `creators.approve {id, notes?}` — in one transaction: the pending application (else 409) becomes
 * approved with reviewer and time; outbox `CreatorApplicationApproved` (→ email + in-app notice) and
 * `UserRolesChanged` (→ the roles consumer grants `creator`); audit `creator.approved`. Reviewing
 * your own application → 422.
 */
export async function approveApplication(
  deps: CreatorDeps,
  session: Session,
  rawInput: ApproveInput,
): Promise<CreatorApplicationView> {
  const input = validateInput(ZApproveInput, rawInput);
  return decideApplication(deps, session, input.id, {
    status: 'approved',
    columns: { review_notes: input.notes ? input.notes : null },
    async announce(trx, row, now) {
      await writeOutboxEvent(trx, {
        orgId: session.orgId,
        type: CreatorApplicationApproved,
        aggregateType: CREATOR_APPLICATION_AGGREGATE,
        aggregateId: row.id,
        payload: {
          applicationId: row.id,
          userId: row.user_id,
          reviewerId: session.userId,
          approvedAt: now.toISOString(),
          roleName: CREATOR_ROLE,
        },
      });
      await writeOutboxEvent(trx, {
        orgId: session.orgId,
        type: UserRolesChanged,
        aggregateType: USER_AGGREGATE,
        aggregateId: row.user_id,
        payload: {
          userId: row.user_id,
          add: [CREATOR_ROLE],
          cause: { type: 'creator_application', id: row.id },
        },
      });
    },
    audit: (row) => ({
      action: 'creator.approved',
      payload: { applicantId: row.user_id, roleGranted: CREATOR_ROLE, notes: input.notes ?? null },
    }),
  });
}

/**
 * `creators.reject {id, reason}` — the pending application (else 409) becomes rejected with reviewer,
 * time and reason; outbox `CreatorApplicationRejected` (→ email + in-app notice with the reason);
 * audit `creator.rejected`. The applicant may apply again.
 */
export async function rejectApplication(
  deps: CreatorDeps,
  session: Session,
  rawInput: RejectInput,
): Promise<CreatorApplicationView> {
  const input = validateInput(ZRejectInput, rawInput);
  return decideApplication(deps, session, input.id, {
    status: 'rejected',
    columns: { rejection_reason: input.reason },
    async announce(trx, row, now) {
      await writeOutboxEvent(trx, {
        orgId: session.orgId,
        type: CreatorApplicationRejected,
        aggregateType: CREATOR_APPLICATION_AGGREGATE,
        aggregateId: row.id,
        payload: {
          applicationId: row.id,
          userId: row.user_id,
          reviewerId: session.userId,
          rejectedAt: now.toISOString(),
        },
      });
    },
    audit: (row) => ({
      action: 'creator.rejected',
      payload: { applicantId: row.user_id, reason: input.reason },
    }),
  });
}

/**
 * A reviewer's decision, in one transaction: lock the application (another org's → 404), require it
 * pending (409) and not the reviewer's own (422), record status, reviewer and time, write the
 * decision's outbox events, and append the audit entry last (the audit head's lock is then held only
 * for that statement and the commit).
 */
async function decideApplication(
  deps: CreatorDeps,
  session: Session,
  id: string,
  decision: {
    status: 'approved' | 'rejected';
    columns: { review_notes?: string | null; rejection_reason?: string };
    announce(trx: Transaction<Database>, row: CreatorApplication, now: Date): Promise<void>;
    audit(row: CreatorApplication): { action: 'creator.approved' | 'creator.rejected'; payload: unknown };
  },
): Promise<CreatorApplicationView> {
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await lockApplication(trx, session.orgId, id);
    assertPending(row);
    assertNotOwn(row, session);
    await scoped(trx, session.orgId)
      .updateTable('creator_applications')
      .set({
        status: decision.status,
        reviewed_by: session.userId,
        reviewed_at: now,
        updated_at: now,
        ...decision.columns,
      })
      .where('id', '=', row.id)
      .execute();
    await decision.announce(trx, row, now);
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        resourceType: 'creator_application',
        resourceId: row.id,
        ...decision.audit(row),
      },
      { clock },
    );
  });
  return getApplication(deps, session, { id });
}

// ── Helpers ───────────────────────────────────────────────────────────────────────────────────────

async function lockApplication(
  trx: Transaction<Database>,
  orgId: string,
  id: string,
): Promise<CreatorApplication> {
  const row = await scoped(trx, orgId)
    .selectFrom('creator_applications')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Creator application');
  return row;
}

function assertPending(row: CreatorApplication): void {
  if (row.status !== 'pending') {
    throw new ConflictError(`This application is already ${row.status}`, { status: row.status });
  }
}

function assertNotOwn(row: CreatorApplication, session: Session): void {
  if (row.user_id === session.userId) throw new UnprocessableError('You cannot review your own application');
}
