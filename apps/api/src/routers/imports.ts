import {
  getImportBatch,
  importByUrl,
  requestBulkImport,
  ZBulkImportInput,
  ZImportByUrlInput,
  ZImportStatusInput,
} from '@atrium/domain/imports/import-content';
import { permissionProcedure, router } from '../trpc.ts';

const write = permissionProcedure('content.write');

/** `imports.*` (SPEC §4, docs/imports.md): media addresses → draft contents. */
export const importsRouter = router({
  byUrl: write
    .input(ZImportByUrlInput)
    .mutation(({ ctx, input }) =>
      importByUrl(
        { db: ctx.services.db, cache: ctx.services.content.cache, providers: ctx.services.content.providers },
        ctx.session,
        input,
      ),
    ),
  bulk: write
    .input(ZBulkImportInput)
    .mutation(({ ctx, input }) => requestBulkImport({ db: ctx.services.db }, ctx.session, input)),
  status: write
    .input(ZImportStatusInput)
    .query(({ ctx, input }) => getImportBatch({ db: ctx.services.db }, ctx.session, input)),
});
