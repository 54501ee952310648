import type { Database } from '@atrium/db';
import type { Kysely } from 'kysely';
import type { Permission } from '../access/permissions.ts';
import type { Session } from '../access/session.ts';
import { scoped } from '../tenancy/scoped.ts';

/**
 * The Home page's numbers (docs/home.md): what the signed-in person should look at first, computed
 * from real rows of their own org. Each part is present only for callers holding the permission of
 * the page it points to (null otherwise), so the query count follows the roles; every query is a
 * count or a single row on an org-scoped index.
 */

/** The first things an organisation's admins set up, in the order Home lists them. */
export const SETUP_STEPS = [
  'invite-members',
  'workplace-connection',
  'notification-template',
  'alert-rule',
  'api-key',
] as const;
export type SetupStepId = (typeof SETUP_STEPS)[number];

/** Who may take a step: the permission of the page that does it. */
export const SETUP_STEP_PERMISSION: Readonly<Record<SetupStepId, Permission>> = {
  'invite-members': 'users.manage',
  'workplace-connection': 'workplace.sync',
  'notification-template': 'notifications.send',
  'alert-rule': 'incidents.manage',
  'api-key': 'users.manage',
};

export interface SetupStep {
  id: SetupStepId;
  done: boolean;
  /** How many of the thing exist (members besides you, templates, rules, keys; 1 for a connection). */
  count: number;
}

export interface HomeSummary {
  /** Set-up steps the caller may take; null when they may take none. */
  setup: {
    steps: SetupStep[];
    /** Whether anyone may join the org by signing up (else only by invitation); users.manage only. */
    signupOpen: boolean | null;
  } | null;
  /** The caller's own creator application: the latest one, whatever its state; null if none. */
  application: { status: 'pending' | 'approved' | 'rejected' | 'withdrawn'; submittedAt: Date } | null;
  /** The caller's own content by state (content.write only). */
  myContent: { draft: number; published: number; archived: number } | null;
  /** Work waiting for the caller as a reviewer (creators.review / content.review). */
  review: {
    pendingApplications: number | null;
    draftsWaiting: number | null;
  } | null;
}

export interface HomeDeps {
  db: Kysely<Database>;
}

const count = (rows: { n: string | number | bigint } | undefined) => Number(rows?.n ?? 0);

export async function getHomeSummary(deps: HomeDeps, session: Session): Promise<HomeSummary> {
  const org = scoped(deps.db, session.orgId);
  const can = (permission: Permission) => session.permissions.has(permission);
  const may = (step: SetupStepId) => can(SETUP_STEP_PERMISSION[step]);

  const [setup, application, myContent, review] = await Promise.all([
    setupOf(deps, session, may),
    org
      .selectFrom('creator_applications')
      .select(['status', 'submitted_at'])
      .where('user_id', '=', session.userId)
      .orderBy('submitted_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
    can('content.write')
      ? org
          .selectFrom('contents')
          .select((eb) => ['status', eb.fn.countAll<string>().as('n')])
          .where('author_id', '=', session.userId)
          .groupBy('status')
          .execute()
      : null,
    reviewOf(deps, session, can),
  ]);

  return {
    setup,
    application: application ? { status: application.status, submittedAt: application.submitted_at } : null,
    myContent: myContent
      ? {
          draft: count(myContent.find((row) => row.status === 'draft')),
          published: count(myContent.find((row) => row.status === 'published')),
          archived: count(myContent.find((row) => row.status === 'archived')),
        }
      : null,
    review,
  };
}

async function setupOf(
  deps: HomeDeps,
  session: Session,
  may: (step: SetupStepId) => boolean,
): Promise<HomeSummary['setup']> {
  const allowed = SETUP_STEPS.filter(may);
  if (allowed.length === 0) return null;
  const org = scoped(deps.db, session.orgId);
  const counts: Record<SetupStepId, () => Promise<number>> = {
    // Someone besides you: another active member, or an invitation still open or accepted.
    'invite-members': async () => {
      const [members, invitations] = await Promise.all([
        org
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('id', '!=', session.userId)
          .where('status', '=', 'active')
          .executeTakeFirst(),
        org
          .selectFrom('invitations')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('revoked_at', 'is', null)
          .where('accepted_at', 'is', null)
          .executeTakeFirst(),
      ]);
      return count(members) + count(invitations);
    },
    'workplace-connection': async () =>
      count(
        await org
          .selectFrom('aims_connections')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    'notification-template': async () =>
      count(
        await org
          .selectFrom('notification_templates')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    'alert-rule': async () =>
      count(
        await org
          .selectFrom('alert_rules')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst(),
      ),
    'api-key': async () =>
      count(
        await org
          .selectFrom('api_keys')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('revoked_at', 'is', null)
          .executeTakeFirst(),
      ),
  };
  const [steps, signupOpen] = await Promise.all([
    Promise.all(
      allowed.map(async (id) => {
        const n = await counts[id]();
        return { id, done: n > 0, count: n };
      }),
    ),
    session.permissions.has('users.manage')
      ? deps.db
          .selectFrom('orgs')
          .select('settings')
          .where('id', '=', session.orgId)
          .executeTakeFirst()
          .then((row) => row?.settings.allowSignup === true)
      : null,
  ]);
  return { steps, signupOpen };
}

async function reviewOf(
  deps: HomeDeps,
  session: Session,
  can: (permission: Permission) => boolean,
): Promise<HomeSummary['review']> {
  const reviewsApplications = can('creators.review');
  const reviewsContent = can('content.review');
  if (!reviewsApplications && !reviewsContent) return null;
  const org = scoped(deps.db, session.orgId);
  const [applications, drafts] = await Promise.all([
    reviewsApplications
      ? org
          .selectFrom('creator_applications')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('status', '=', 'pending')
          .executeTakeFirst()
      : undefined,
    reviewsContent
      ? org
          .selectFrom('contents')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('status', '=', 'draft')
          .executeTakeFirst()
      : undefined,
  ]);
  return {
    pendingApplications: reviewsApplications ? count(applications) : null,
    draftsWaiting: reviewsContent ? count(drafts) : null,
  };
}
