import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * The creator programme's outbox events (SPEC §3). Payloads carry ids and facts, never free text a
 * consumer would have to trust (the consumer reads the application row when it needs more).
 */

export const CREATOR_APPLICATION_AGGREGATE = 'creator_application';
/** UserRolesChanged is about the user: one user's grants are applied in order. */
export const USER_AGGREGATE = 'user';
/** The role an approved application grants. */
export const CREATOR_ROLE = 'creator';

/** A user applied; staff who review applications get an in-app notice. */
export const CreatorApplicationSubmitted = defineEvent(
  'CreatorApplicationSubmitted',
  z.object({ applicationId: z.uuid(), userId: z.uuid() }),
);

/** A reviewer approved the application (the role itself is granted by UserRolesChanged's consumer). */
export const CreatorApplicationApproved = defineEvent(
  'CreatorApplicationApproved',
  z.object({
    applicationId: z.uuid(),
    userId: z.uuid(),
    reviewerId: z.uuid(),
    approvedAt: z.iso.datetime({ offset: true }),
    roleName: z.string(),
  }),
);

/** A reviewer rejected the application; the applicant is told why. */
export const CreatorApplicationRejected = defineEvent(
  'CreatorApplicationRejected',
  z.object({
    applicationId: z.uuid(),
    userId: z.uuid(),
    reviewerId: z.uuid(),
    rejectedAt: z.iso.datetime({ offset: true }),
  }),
);

/**
 * The user's roles change by these grants (SPEC §3: written with the approval, applied by the roles
 * consumer). Add-only by construction: the payload cannot express a removal.
 */
export const UserRolesChanged = defineEvent(
  'UserRolesChanged',
  z.object({
    userId: z.uuid(),
    add: z.array(z.string().min(1)).min(1),
    cause: z.object({ type: z.literal('creator_application'), id: z.uuid() }),
  }),
);
