import {
  createAlertRule,
  deleteAlertRule,
  listAlertRules,
  previewAlertRule,
  updateAlertRule,
  ZAlertRuleIdInput,
  ZCreateAlertRuleInput,
  ZPreviewAlertRuleInput,
  ZUpdateAlertRuleInput,
} from '@atrium/domain/logging/rules';
import { permissionProcedure, router } from '../trpc.ts';

const manage = permissionProcedure('incidents.manage');

/** Alert rules of the caller's org (SPEC §7), the built-in platform rules listed read-only. */
export const alertRulesRouter = router({
  list: manage.query(({ ctx }) => listAlertRules({ db: ctx.services.db }, ctx.session)),
  create: manage
    .input(ZCreateAlertRuleInput)
    .mutation(({ ctx, input }) => createAlertRule({ db: ctx.services.db }, ctx.session, input)),
  update: manage
    .input(ZUpdateAlertRuleInput)
    .mutation(({ ctx, input }) => updateAlertRule({ db: ctx.services.db }, ctx.session, input)),
  delete: manage
    .input(ZAlertRuleIdInput)
    .mutation(({ ctx, input }) => deleteAlertRule({ db: ctx.services.db }, ctx.session, input)),
  /** How many of the last hour's events these criteria would have matched. */
  preview: manage
    .input(ZPreviewAlertRuleInput)
    .query(({ ctx, input }) => previewAlertRule({ db: ctx.services.db }, ctx.session, input)),
});
