import {
  confirmUpload,
  createFileLink,
  createPublicLink,
  deleteFile,
  type FileDeps,
  getFile,
  listFiles,
  listPublicLinks,
  revokePublicLink,
  uploadFile,
  ZCreateLinkInput,
  ZCreatePublicLinkInput,
  ZFileIdInput,
  ZLinkIdInput,
  ZListFilesInput,
  ZListLinksInput,
  ZUploadFileInput,
} from '@atrium/domain/files/files';
import type { Context } from '../context.ts';
import { requireStorage } from '../storage.ts';
import { authedProcedure, router } from '../trpc.ts';

function deps(ctx: Context): FileDeps {
  return {
    db: ctx.services.db,
    storage: requireStorage(ctx.services),
    scanner: ctx.services.scanner,
    maxBytes: ctx.services.env.FILES_MAX_BYTES,
    log: ctx.logger,
  };
}

/** A member's own files (SPEC §5, docs/files.md): every signed-in member has them; nobody sees another's. */
export const filesRouter = router({
  upload: authedProcedure
    .input(ZUploadFileInput)
    .mutation(({ ctx, input }) => uploadFile(deps(ctx), ctx.session, input)),
  confirmUpload: authedProcedure
    .input(ZFileIdInput)
    .mutation(({ ctx, input }) => confirmUpload(deps(ctx), ctx.session, input)),
  list: authedProcedure
    .input(ZListFilesInput.optional())
    .query(({ ctx, input }) => listFiles({ db: ctx.services.db }, ctx.session, input ?? {})),
  get: authedProcedure
    .input(ZFileIdInput)
    .query(({ ctx, input }) => getFile({ db: ctx.services.db }, ctx.session, input)),
  delete: authedProcedure
    .input(ZFileIdInput)
    .mutation(({ ctx, input }) => deleteFile(deps(ctx), ctx.session, input)),
  createLink: authedProcedure
    .input(ZCreateLinkInput)
    .mutation(({ ctx, input }) => createFileLink(deps(ctx), ctx.session, input, { ip: ctx.ip })),
  createPublicLink: authedProcedure
    .input(ZCreatePublicLinkInput)
    .mutation(({ ctx, input }) => createPublicLink(deps(ctx), ctx.session, input)),
  links: authedProcedure
    .input(ZListLinksInput)
    .query(({ ctx, input }) => listPublicLinks({ db: ctx.services.db }, ctx.session, input)),
  revokeLink: authedProcedure
    .input(ZLinkIdInput)
    .mutation(({ ctx, input }) => revokePublicLink({ db: ctx.services.db }, ctx.session, input)),
});
