import { z } from 'zod';
import { adminLevelPermissionsOf, DEFAULT_SIGNUP_ROLE } from '../access/roles.ts';
import { appendAudit } from '../audit/index.ts';
import { ConflictError, ForbiddenError, NotFoundError, RateLimitedError } from '../errors.ts';
import { writeOutboxEvent } from '../events/outbox.ts';
import { hashPassword } from '../platform/passwords.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { createOrg, findOrgBySlug } from '../tenancy/orgs.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { IdentityDeps, RequestOrigin } from './deps.ts';
import { EmailVerificationRequested, USER_AGGREGATE } from './events.ts';
import { assertStrongPassword, MAX_PASSWORD_LENGTH } from './password-policy.ts';
import { findUserByEmail, replaceUserRoles, resolveRoles } from './users.ts';

export const ZEmail = z.email({ message: 'Enter a valid email address' }).max(320);
export const ZPersonName = z.string().trim().min(1, { message: 'Enter your name' }).max(200);

export const ZRegisterInput = z
  .object({
    orgSlug: z.string().trim().min(2).max(63).optional(),
    orgName: z.string().trim().min(2).max(200).optional(),
    email: z.string().trim().pipe(ZEmail),
    password: z.string().max(MAX_PASSWORD_LENGTH),
    name: ZPersonName,
  })
  .refine((input) => (input.orgSlug === undefined) !== (input.orgName === undefined), {
    message: 'Give either the organisation to join or the name of a new one, not both',
    path: ['orgSlug'],
  });
export type RegisterInput = z.infer<typeof ZRegisterInput>;

export interface RegisterResult {
  userId: string;
  orgId: string;
  orgSlug: string;
  email: string;
  role: string;
  /** Always true: sign-in waits for the emailed code. */
  emailVerificationRequired: true;
}

const DUPLICATE_EMAIL = 'An account with this email address already exists';

/**
 * `auth.register` (SPEC §1), in one transaction: with `orgName` a new org (slug derived from the name,
 * made unique) whose first user is its `admin`; with `orgSlug` an existing org that allows sign-up,
 * joined with its `defaultRole` (viewer unless set). Unknown slug → 404; sign-up closed → 403;
 * email taken → 409; weak password → 400 with fieldErrors.password. The verification code is not
 * made here: the `EmailVerificationRequested` consumer makes, stores (hashed) and mails it.
 */
export async function registerUser(
  deps: IdentityDeps,
  input: RegisterInput & { origin: RequestOrigin },
): Promise<RegisterResult> {
  const { email, password, name, orgSlug, orgName } = validateInput(ZRegisterInput, input);
  assertStrongPassword(password, { email });

  const limit = await deps.rateLimiter.consume(
    `register:ip:${input.origin.ip ?? 'unknown'}`,
    deps.config.registerPerIp,
  );
  if (!limit.allowed)
    throw new RateLimitedError(limit.retryAfterSeconds, 'Too many sign-ups from here. Try again later');

  // Cheap checks before the ~75 ms hash; the transaction checks again.
  if (await findUserByEmail(deps.db, email)) throw new ConflictError(DUPLICATE_EMAIL);
  const joining = orgSlug === undefined ? null : await findOrgBySlug(deps.db, orgSlug);
  if (orgSlug !== undefined) {
    if (!joining) throw new NotFoundError('Organisation');
    if (!joining.settings.allowSignup) throw new ForbiddenError('This organisation does not accept sign-ups');
  }
  const passwordHash = await hashPassword(password);

  try {
    return await deps.db.transaction().execute(async (trx) => {
      const org = joining ?? (await createOrg(trx, { name: orgName ?? name }));
      const roleName = joining ? joining.settings.defaultRole || DEFAULT_SIGNUP_ROLE : 'admin';
      // An org whose defaultRole names a role it no longer has: fall back to viewer rather than
      // refusing every sign-up.
      const [role] = await resolveRoles(trx, org.id, [roleName])
        .then((roles) => {
          // A custom default role edited since to carry admin-level permissions: the settings page
          // refuses such a default, and sign-up never hands it to a stranger either.
          if (joining && roles.some((found) => adminLevelPermissionsOf(found.permissions).length > 0)) {
            throw new Error('admin-level default role');
          }
          return roles;
        })
        .catch(async () => {
          deps.log.warn(
            { orgId: org.id, defaultRole: roleName },
            'org defaultRole does not exist or grants admin-level permissions; using viewer',
          );
          return resolveRoles(trx, org.id, [DEFAULT_SIGNUP_ROLE]);
        });
      if (!role) throw new Error('no role to assign');

      const user = await scoped(trx, org.id)
        .insertInto('users', { email, name, password_hash: passwordHash })
        .returning(['id', 'email'])
        .executeTakeFirstOrThrow();
      await replaceUserRoles(trx, org.id, user.id, [role.id]);
      await writeOutboxEvent(trx, {
        orgId: org.id,
        type: EmailVerificationRequested,
        aggregateType: USER_AGGREGATE,
        aggregateId: user.id,
        payload: { userId: user.id },
      });
      if (!joining) {
        await appendAudit(trx, {
          orgId: org.id,
          actorId: user.id,
          action: 'org.created',
          resourceType: 'org',
          resourceId: org.id,
          payload: { slug: org.slug, name: org.name },
        });
      }
      await appendAudit(trx, {
        orgId: org.id,
        actorId: user.id,
        action: 'user.registered',
        resourceType: 'user',
        resourceId: user.id,
        payload: { email: user.email, role: role.name, ip: input.origin.ip },
      });
      return {
        userId: user.id,
        orgId: org.id,
        orgSlug: org.slug,
        email: user.email,
        role: role.name,
        emailVerificationRequired: true as const,
      };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_key')) throw new ConflictError(DUPLICATE_EMAIL);
    throw error;
  }
}
