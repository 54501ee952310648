import {
  createApiKey,
  listApiKeys,
  revokeApiKey,
  ZApiKeyIdInput,
  ZCreateApiKeyInput,
  ZListApiKeysInput,
} from '@atrium/domain/logging/api-keys';
import { permissionProcedure, router } from '../trpc.ts';

const manage = permissionProcedure('users.manage');

/**
 * API keys of the caller's org (docs/logging.md): admins create (the key is in that answer only),
 * list and revoke them; both writes are audited.
 */
export const apiKeysRouter = router({
  create: manage
    .input(ZCreateApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey({ db: ctx.services.db }, ctx.session, input)),
  list: manage
    .input(ZListApiKeysInput.optional())
    .query(({ ctx, input }) => listApiKeys({ db: ctx.services.db }, ctx.session, input ?? {})),
  revoke: manage
    .input(ZApiKeyIdInput)
    .mutation(({ ctx, input }) => revokeApiKey({ db: ctx.services.db }, ctx.session, input)),
});
