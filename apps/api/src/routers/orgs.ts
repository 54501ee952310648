import { setNotificationPolicy, ZSetNotificationPolicyInput } from '@atrium/domain/notifications/policy';
import { listOrgs, ZListOrgsInput } from '@atrium/domain/tenancy/orgs';
import { operatorProcedure, router } from '../trpc.ts';

/**
 * Organisations as the platform sees them (operators only): the list, and what each may make the
 * platform send (external recipients, its hourly email quota — SPEC §6).
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
});
