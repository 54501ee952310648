import { setNotificationPolicy, ZSetNotificationPolicyInput } from '@atrium/domain/notifications/policy';
import {
  getOrgSettings,
  updateOrgSettings,
  ZUpdateOrgSettingsInput,
} from '@atrium/domain/tenancy/org-settings';
import { listOrgs, ZListOrgsInput } from '@atrium/domain/tenancy/orgs';
import { operatorProcedure, permissionProcedure, router } from '../trpc.ts';

const manageOwnOrg = permissionProcedure('org.manage');

/**
 * Organisations as the platform sees them (operators only): the list, and what each may make the
 * platform send (external recipients, its hourly email quota — SPEC §6); and, for the org's own
 * admins, its sign-up settings.
 */
export const orgsRouter = router({
  list: operatorProcedure.input(ZListOrgsInput.optional()).query(({ ctx, input }) =>
    listOrgs(ctx.services.db, input ?? {}, {
      defaultEmailQuotaPerHour: ctx.services.identity.config.emailQuotaPerHour,
    }),
  ),
  setNotificationPolicy: operatorProcedure
    .input(ZSetNotificationPolicyInput)
    .mutation(({ ctx, input }) => setNotificationPolicy(ctx.services.db, ctx.session, input)),

  /** The caller's own organisation (org.manage): open sign-up and the role people who sign up get. */
  settings: router({
    get: manageOwnOrg.query(({ ctx }) => getOrgSettings(ctx.services, ctx.session)),
    update: manageOwnOrg
      .input(ZUpdateOrgSettingsInput)
      .mutation(({ ctx, input }) =>
        updateOrgSettings({ db: ctx.services.db, clock: ctx.services.identity.clock }, ctx.session, input),
      ),
  }),
});
