import type { Database } from '@atrium/db';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { DEFAULT_SIGNUP_ROLE } from '../access/roles.ts';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/index.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { enqueueNotification } from '../notifications/enqueue.ts';
import { loadNotificationPolicy, reserveEmailQuota } from '../notifications/policy.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor, ZCursorField } from '../platform/input-blocks.ts';
import { hashPassword } from '../platform/passwords.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { digestsEqual, randomToken, sha256Hex } from '../platform/tokens.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { IdentityDeps, RequestOrigin } from './deps.ts';
import { assertStrongPassword, MAX_PASSWORD_LENGTH } from './password-policy.ts';
import { ZEmail, ZPersonName } from './register.ts';
import { type IssuedSession, issueSession } from './sessions.ts';
import { assertCanGrant, ZRoleName } from './user-admin.ts';
import { normaliseEmail, replaceUserRoles, resolveRoles } from './users.ts';

/**
 * Invitations (SPEC §1) — how an admin adds someone: the address receives a link; its owner opens
 * it, chooses their own password (which also proves the address) and becomes a member.
 *
 * - An invitation never blocks an address: no user row exists until acceptance, so the owner can
 *   still sign up or accept another org's invitation. Nobody can squat an address they do not read.
 * - The admin's answer is the same whether or not the address already has an account in another org
 *   (no cross-tenant existence leak, same queries either way); the email the address receives says
 *   so (`invitation-existing-account`), and acceptance with such an address answers 409 to its owner.
 *   An address that is already a member of the admin's own org → 409 (the admin can see their members).
 * - One open invitation per (org, address). Links live 7 days; a resend makes a new link (the old one
 *   dies) and a new expiry. Each send counts against the org's hourly email quota.
 * - Only the SHA-256 of a link's token is stored; the token exists in the email only.
 */

export const INVITATION_TTL_DAYS = 7;
const INVALID_LINK = 'This invitation link is invalid or has expired. Ask for a new one';

export const ZInviteUserInput = z.object({
  email: z.string().trim().pipe(ZEmail),
  name: ZPersonName,
  roles: z.array(ZRoleName).min(1, { message: 'Give them at least one role' }).max(20),
});
export type InviteUserInput = z.infer<typeof ZInviteUserInput>;

export const INVITATION_STATUSES = ['pending', 'expired', 'accepted', 'revoked'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const ZListInvitationsInput = z.object({
  status: z.enum(INVITATION_STATUSES).optional(),
  cursor: ZCursorField.optional(),
  limit: z.number().int().min(1).max(100).default(25),
});
export type ListInvitationsInput = z.input<typeof ZListInvitationsInput>;

export const ZInvitationIdInput = z.object({ id: z.uuid() });
export const ZInvitationTokenInput = z.object({ token: z.string().trim().min(20).max(200) });
export const ZAcceptInvitationInput = ZInvitationTokenInput.extend({
  name: ZPersonName.optional(),
  password: z.string().max(MAX_PASSWORD_LENGTH),
});
export type AcceptInvitationInput = z.infer<typeof ZAcceptInvitationInput>;

export interface InvitationDto {
  id: string;
  email: string;
  name: string;
  roles: string[];
  status: InvitationStatus;
  invitedBy: { id: string; name: string } | null;
  expiresAt: Date;
  sendCount: number;
  lastSentAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

type InvitationRow = Selectable<Database['invitations']> & { inviter_name: string | null };

function statusOf(
  row: Pick<InvitationRow, 'accepted_at' | 'revoked_at' | 'expires_at'>,
  now: Date,
): InvitationStatus {
  if (row.accepted_at) return 'accepted';
  if (row.revoked_at) return 'revoked';
  return row.expires_at.getTime() > now.getTime() ? 'pending' : 'expired';
}

function toDto(row: InvitationRow, now: Date): InvitationDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: [...row.roles].sort(),
    status: statusOf(row, now),
    invitedBy: row.invited_by ? { id: row.invited_by, name: row.inviter_name ?? 'Former member' } : null,
    expiresAt: row.expires_at,
    sendCount: row.send_count,
    lastSentAt: row.last_sent_at,
    acceptedAt: row.accepted_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}

function invitations(db: Kysely<Database>, orgId: string) {
  return db
    .selectFrom('invitations')
    .leftJoin('users as inviter', (join) =>
      join
        .onRef('inviter.id', '=', 'invitations.invited_by')
        .onRef('inviter.org_id', '=', 'invitations.org_id'),
    )
    .selectAll('invitations')
    .select('inviter.name as inviter_name')
    .where('invitations.org_id', '=', orgId);
}

async function loadDto(db: Kysely<Database>, orgId: string, id: string, now: Date): Promise<InvitationDto> {
  const row = await invitations(db, orgId).where('invitations.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Invitation');
  return toDto(row, now);
}

function acceptLink(webBaseUrl: string, token: string): string {
  const url = new URL('accept-invitation', webBaseUrl.endsWith('/') ? webBaseUrl : `${webBaseUrl}/`);
  url.searchParams.set('token', token);
  return url.toString();
}

/**
 * Makes a fresh link for the invitation and queues its email, within the org's quota. Whether the
 * address already has an account picks the template; both paths run the same queries, so neither the
 * answer nor its timing tells the admin.
 */
async function sendInvitationEmail(
  deps: Pick<IdentityDeps, 'clock' | 'config'>,
  trx: Transaction<Database>,
  input: { orgId: string; email: string; token: string; actor: Session },
): Promise<void> {
  const policy = await loadNotificationPolicy(trx, input.orgId);
  await reserveEmailQuota(trx, {
    orgId: input.orgId,
    policy,
    defaultPerHour: deps.config.emailQuotaPerHour,
  });
  const [inviter, existing] = await Promise.all([
    trx.selectFrom('users').select('name').where('id', '=', input.actor.userId).executeTakeFirst(),
    trx.selectFrom('users').select('id').where('email', '=', input.email).executeTakeFirst(),
  ]);
  await enqueueNotification(
    trx,
    {
      orgId: input.orgId,
      channel: 'email',
      to: { email: input.email },
      templateKey: existing ? 'invitation-existing-account' : 'invitation',
      variables: {
        inviterName: inviter?.name ?? 'An administrator',
        email: input.email,
        acceptUrl: acceptLink(deps.config.webBaseUrl, input.token),
        validDays: INVITATION_TTL_DAYS,
      },
      sensitive: true,
    },
    { actorId: input.actor.userId, clock: deps.clock },
  );
}

/** `users.invite {email, name, roles}` (admin): an invitation, emailed; roles only within the actor's own permissions. */
export async function inviteUser(
  deps: Pick<IdentityDeps, 'db' | 'clock' | 'config'>,
  actor: Session,
  rawInput: InviteUserInput,
): Promise<InvitationDto> {
  const input = validateInput(ZInviteUserInput, rawInput);
  const email = normaliseEmail(input.email);
  const roles = await resolveRoles(deps.db, actor.orgId, input.roles);
  assertCanGrant(actor, roles);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_DAYS * 24 * 3600 * 1000);
  try {
    const id = await deps.db.transaction().execute(async (trx) => {
      const member = await scoped(trx, actor.orgId)
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirst();
      if (member) {
        throw new ConflictError('This address is already a member of your organisation', {
          reason: 'ALREADY_MEMBER',
          userId: member.id,
        });
      }
      const open = await scoped(trx, actor.orgId)
        .selectFrom('invitations')
        .select(['id', 'expires_at'])
        .where('email', '=', email)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      if (open && open.expires_at.getTime() > now.getTime()) {
        throw new ConflictError(
          'This address already has an open invitation; resend it from the list instead',
        );
      }
      // An expired one is renewed in place: same row, new details, new link.
      const token = randomToken(32);
      const values = {
        token_hash: sha256Hex(token),
        name: input.name,
        roles: roles.map((role) => role.name),
        invited_by: actor.userId,
        expires_at: expiresAt,
        last_sent_at: now,
        updated_at: now,
      };
      const row = open
        ? await trx
            .updateTable('invitations')
            .set((eb) => ({ ...values, send_count: eb('send_count', '+', 1) }))
            .where('id', '=', open.id)
            .returning('id')
            .executeTakeFirstOrThrow()
        : await scoped(trx, actor.orgId)
            .insertInto('invitations', { ...values, email })
            .returning('id')
            .executeTakeFirstOrThrow();
      await sendInvitationEmail(deps, trx, { orgId: actor.orgId, email, token, actor });
      await appendAudit(trx, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'user.invited',
        resourceType: 'invitation',
        resourceId: row.id,
        payload: { email, roles: values.roles.slice().sort() },
      });
      return row.id;
    });
    return loadDto(deps.db, actor.orgId, id, now);
  } catch (error) {
    if (isUniqueViolation(error, 'invitations_open_idx')) {
      throw new ConflictError('This address already has an open invitation; resend it from the list instead');
    }
    throw error;
  }
}

/** `users.invitations.list {status?, cursor, limit}`: the org's invitations, newest first. */
export async function listInvitations(
  deps: Pick<IdentityDeps, 'db' | 'clock'>,
  actor: Session,
  rawInput: ListInvitationsInput = {},
): Promise<{ items: InvitationDto[]; nextCursor: string | null }> {
  const { status, cursor, limit } = validateInput(ZListInvitationsInput, rawInput);
  const now = deps.clock.now();
  let query = invitations(deps.db, actor.orgId)
    .select(sql<string>`invitations.created_at::text`.as('created_at_text'))
    .orderBy('invitations.created_at', 'desc')
    .orderBy('invitations.id', 'desc')
    .limit(limit + 1);
  if (status === 'accepted') query = query.where('invitations.accepted_at', 'is not', null);
  if (status === 'revoked') query = query.where('invitations.revoked_at', 'is not', null);
  if (status === 'pending' || status === 'expired') {
    query = query
      .where('invitations.accepted_at', 'is', null)
      .where('invitations.revoked_at', 'is', null)
      .where('invitations.expires_at', status === 'pending' ? '>' : '<=', now);
  }
  if (cursor) {
    const after = decodeTimeIdCursor(cursor);
    query = query.where(
      sql<boolean>`(invitations.created_at, invitations.id) < (${after.at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toDto(row, now)),
    nextCursor: rows.length > limit && last ? encodeTimeIdCursor(last.created_at_text, last.id) : null,
  };
}

async function lockOpenInvitation(trx: Transaction<Database>, orgId: string, id: string) {
  const row = await scoped(trx, orgId)
    .selectFrom('invitations')
    .select(['id', 'email', 'accepted_at', 'revoked_at'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Invitation');
  if (row.accepted_at) throw new ConflictError('This invitation was already accepted');
  if (row.revoked_at) throw new ConflictError('This invitation was revoked; invite the address again');
  return row;
}

/** `users.invitations.resend {id}`: a new link and 7 more days; the previous link stops working. */
export async function resendInvitation(
  deps: Pick<IdentityDeps, 'db' | 'clock' | 'config'>,
  actor: Session,
  input: { id: string },
): Promise<InvitationDto> {
  const { id } = validateInput(ZInvitationIdInput, input);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await lockOpenInvitation(trx, actor.orgId, id);
    const token = randomToken(32);
    await trx
      .updateTable('invitations')
      .set((eb) => ({
        token_hash: sha256Hex(token),
        expires_at: new Date(now.getTime() + INVITATION_TTL_DAYS * 24 * 3600 * 1000),
        last_sent_at: now,
        send_count: eb('send_count', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .execute();
    await sendInvitationEmail(deps, trx, { orgId: actor.orgId, email: row.email, token, actor });
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'user.invitation_resent',
      resourceType: 'invitation',
      resourceId: id,
      payload: { email: row.email },
    });
  });
  return loadDto(deps.db, actor.orgId, id, now);
}

/** `users.invitations.revoke {id}`: the link stops working at once. */
export async function revokeInvitation(
  deps: Pick<IdentityDeps, 'db' | 'clock'>,
  actor: Session,
  input: { id: string },
): Promise<InvitationDto> {
  const { id } = validateInput(ZInvitationIdInput, input);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await lockOpenInvitation(trx, actor.orgId, id);
    await trx
      .updateTable('invitations')
      .set({ revoked_at: now, updated_at: now })
      .where('id', '=', id)
      .execute();
    await appendAudit(trx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'user.invitation_revoked',
      resourceType: 'invitation',
      resourceId: id,
      payload: { email: row.email },
    });
  });
  return loadDto(deps.db, actor.orgId, id, now);
}

/** What the invitee sees before accepting. */
export interface InvitationPreview {
  orgName: string;
  email: string;
  name: string;
  expiresAt: Date;
  /** The address already has an account (its owner is the one asking): it cannot be accepted. */
  addressHasAccount: boolean;
}

async function findByToken(db: Kysely<Database>, token: string, now: Date) {
  const digest = sha256Hex(token);
  const row = await db
    .selectFrom('invitations')
    .innerJoin('orgs', 'orgs.id', 'invitations.org_id')
    .select([
      'invitations.id',
      'invitations.org_id',
      'invitations.email',
      'invitations.name',
      'invitations.roles',
      'invitations.token_hash',
      'invitations.expires_at',
      'invitations.accepted_at',
      'invitations.revoked_at',
      'orgs.name as org_name',
    ])
    .where('invitations.token_hash', '=', digest)
    .executeTakeFirst();
  if (!row || !digestsEqual(row.token_hash, digest) || statusOf(row, now) !== 'pending') {
    throw new ValidationError(INVALID_LINK, { token: [INVALID_LINK] });
  }
  return row;
}

/** `auth.invitation {token}` (public, the link's owner): what accepting will do. */
export async function previewInvitation(
  deps: Pick<IdentityDeps, 'db' | 'clock'>,
  input: { token: string },
): Promise<InvitationPreview> {
  const { token } = validateInput(ZInvitationTokenInput, input);
  const row = await findByToken(deps.db, token, deps.clock.now());
  const account = await deps.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', row.email)
    .executeTakeFirst();
  return {
    orgName: row.org_name,
    email: row.email,
    name: row.name,
    expiresAt: row.expires_at,
    addressHasAccount: account !== undefined,
  };
}

/**
 * `auth.acceptInvitation {token, password, name?}` (public): creates the member with a verified
 * address and their own password, grants the invited roles that still exist (viewer if none does),
 * and signs them in. The address already has an account → 409 (to the address's owner only).
 */
export async function acceptInvitation(
  deps: IdentityDeps,
  input: AcceptInvitationInput & { origin: RequestOrigin },
): Promise<IssuedSession> {
  const { token, password, name } = validateInput(ZAcceptInvitationInput, input);
  const now = deps.clock.now();
  const found = await findByToken(deps.db, token, now);
  assertStrongPassword(password, { email: found.email });
  const passwordHash = await hashPassword(password);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('invitations')
        .select(['id', 'org_id', 'email', 'name', 'roles', 'expires_at', 'accepted_at', 'revoked_at'])
        .where('id', '=', found.id)
        .where('token_hash', '=', found.token_hash)
        .forUpdate()
        .executeTakeFirst();
      if (!row || statusOf(row, now) !== 'pending')
        throw new ValidationError(INVALID_LINK, { token: [INVALID_LINK] });
      const taken = await trx
        .selectFrom('users')
        .select('id')
        .where('email', '=', row.email)
        .executeTakeFirst();
      if (taken) throw new ConflictError(ADDRESS_HAS_ACCOUNT);
      const user = await scoped(trx, row.org_id)
        .insertInto('users', {
          email: row.email,
          name: name ?? row.name,
          password_hash: passwordHash,
          email_verified_at: now,
          must_change_password: false,
        })
        .returning(['id', 'email', 'name'])
        .executeTakeFirstOrThrow();
      const roles = await grantableRoles(trx, row.org_id, row.roles);
      await replaceUserRoles(
        trx,
        row.org_id,
        user.id,
        roles.map((role) => role.id),
      );
      await trx
        .updateTable('invitations')
        .set({ accepted_at: now, accepted_user_id: user.id, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      await enqueueNotification(
        trx,
        {
          orgId: row.org_id,
          channel: 'email',
          to: { userId: user.id },
          templateKey: 'welcome',
          variables: {
            email: user.email,
            signInUrl: new URL('sign-in', withSlash(deps.config.webBaseUrl)).toString(),
            resetUrl: new URL('forgot-password', withSlash(deps.config.webBaseUrl)).toString(),
          },
        },
        { clock: deps.clock },
      );
      await appendAudit(trx, {
        orgId: row.org_id,
        actorId: user.id,
        action: 'user.invitation_accepted',
        resourceType: 'user',
        resourceId: user.id,
        payload: {
          invitationId: row.id,
          email: user.email,
          roles: roles.map((role) => role.name).sort(),
          ip: input.origin.ip,
        },
      });
      const { refreshTokenId: _, ...session } = await issueSession(deps, trx, {
        userId: user.id,
        origin: input.origin,
        now,
      });
      return session;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_key')) throw new ConflictError(ADDRESS_HAS_ACCOUNT);
    throw error;
  }
}

const ADDRESS_HAS_ACCOUNT =
  'This address already has an Atrium account, and an address belongs to one organisation. Ask for an invitation to another address';

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}

/** The invited roles the org still has; `viewer` when none is left. */
async function grantableRoles(trx: Transaction<Database>, orgId: string, names: string[]) {
  const found =
    names.length === 0
      ? []
      : await scoped(trx, orgId)
          .selectFrom('roles')
          .select(['id', 'name'])
          .where('name', 'in', names)
          .execute();
  if (found.length > 0) return found;
  return scoped(trx, orgId)
    .selectFrom('roles')
    .select(['id', 'name'])
    .where('name', '=', DEFAULT_SIGNUP_ROLE)
    .execute();
}
