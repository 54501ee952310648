import {
  createRole,
  deleteRole,
  listRoles,
  updateRole,
  ZCreateRoleInput,
  ZDeleteRoleInput,
  ZUpdateRoleInput,
} from '@atrium/domain/access/custom-roles';
import { ORG_PERMISSIONS } from '@atrium/domain/access/roles';
import { permissionProcedure, router } from '../trpc.ts';

const manage = permissionProcedure('roles.manage');

/** Built-in and custom roles of the caller's org (SPEC §1). */
export const rolesRouter = router({
  list: manage.query(({ ctx }) => listRoles(ctx.services.identity, ctx.session)),
  /** The permissions a custom role may grant, for the role editor. */
  permissions: manage.query(() => [...ORG_PERMISSIONS]),
  create: manage
    .input(ZCreateRoleInput)
    .mutation(({ ctx, input }) => createRole(ctx.services.identity, ctx.session, input)),
  update: manage
    .input(ZUpdateRoleInput)
    .mutation(({ ctx, input }) => updateRole(ctx.services.identity, ctx.session, input)),
  delete: manage
    .input(ZDeleteRoleInput)
    .mutation(({ ctx, input }) => deleteRole(ctx.services.identity, ctx.session, input)),
});
