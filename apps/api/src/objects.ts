import { createLocalObjectHandler } from '@atrium/domain/platform/local-object-http';
import type { LocalObjectStorage } from '@atrium/domain/platform/local-object-storage';
import type { Logger } from '@atrium/observability';
import { Router } from 'express';

/**
 * `/objects`: the signed upload and download URLs of the local object storage (SPEC §0, the embedded
 * default; docs/storage.md). The domain's handler does the work; this only mounts it. With S3
 * configured nothing is mounted: clients talk to S3 directly.
 *
 * No body parser runs before it: uploads are streamed to disk as they arrive.
 */
export function objectsRouter(storage: LocalObjectStorage, logger: Logger): Router {
  const handler = createLocalObjectHandler(storage, { log: logger.child({ module: 'objects' }) });
  const router = Router();
  router.use((req, res) => handler(req, res));
  return router;
}
