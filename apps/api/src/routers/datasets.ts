import type { DatasetDeps } from '@atrium/domain/datasets/deps';
import {
  createDataset,
  publishDataset,
  requestUploads,
  ZCreateDatasetInput,
  ZPublishInput,
  ZRequestUploadsInput,
} from '@atrium/domain/datasets/ingest';
import {
  getDataset,
  getItem,
  itemTypeCounts,
  listDatasets,
  listItems,
  signedAssetUrl,
  ZDatasetIdInput,
  ZItemIdInput,
  ZItemTypeCountsInput,
  ZListDatasetsInput,
  ZListItemsInput,
  ZSignedUrlInput,
} from '@atrium/domain/datasets/read';
import type { Context } from '../context.ts';
import { requireStorage } from '../storage.ts';
import { permissionProcedure, router } from '../trpc.ts';

const ingest = permissionProcedure('datasets.ingest');
const read = permissionProcedure('datasets.read');

function deps(ctx: Context): DatasetDeps {
  return {
    db: ctx.services.db,
    storage: requireStorage(ctx.services),
    realtime: ctx.services.realtime.publisher,
  };
}

/** SPEC §5 ingestion (`datasets.ingest`): draft → signed uploads → publish a manifest. */
export const ingestRouter = router({
  createDataset: ingest
    .input(ZCreateDatasetInput)
    .mutation(({ ctx, input }) => createDataset({ db: ctx.services.db }, ctx.session, input)),
  requestUploads: ingest
    .input(ZRequestUploadsInput)
    .mutation(({ ctx, input }) => requestUploads(deps(ctx), ctx.session, input)),
  publish: ingest
    .input(ZPublishInput)
    .mutation(({ ctx, input }) => publishDataset(deps(ctx), ctx.session, input)),
});

/** SPEC §5 viewing (`datasets.read`). */
export const datasetsRouter = router({
  list: read
    .input(ZListDatasetsInput.optional())
    .query(({ ctx, input }) => listDatasets({ db: ctx.services.db }, ctx.session, input ?? {})),
  get: read
    .input(ZDatasetIdInput)
    .query(({ ctx, input }) => getDataset({ db: ctx.services.db }, ctx.session, input)),
  itemTypeCounts: read
    .input(ZItemTypeCountsInput)
    .query(({ ctx, input }) => itemTypeCounts({ db: ctx.services.db }, ctx.session, input)),
  items: read
    .input(ZListItemsInput)
    .query(({ ctx, input }) => listItems({ db: ctx.services.db }, ctx.session, input)),
  item: read
    .input(ZItemIdInput)
    .query(({ ctx, input }) => getItem({ db: ctx.services.db }, ctx.session, input)),
});

/** `assets.signedUrl`: short-lived links to a dataset's media, every one logged. */
export const assetsRouter = router({
  signedUrl: read
    .input(ZSignedUrlInput)
    .mutation(({ ctx, input }) => signedAssetUrl(deps(ctx), ctx.session, input, { ip: ctx.ip })),
});
