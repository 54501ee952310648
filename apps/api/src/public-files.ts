import { openPublicLink } from '@atrium/domain/files/files';
import { Router } from 'express';
import type { Services } from './services.ts';

const MESSAGES = {
  'not-found': [404, 'NOT_FOUND', 'This link does not exist'],
  revoked: [410, 'NOT_FOUND', 'This link has been revoked'],
  expired: [410, 'NOT_FOUND', 'This link has expired'],
  infected: [404, 'NOT_FOUND', 'This file is not available'],
  unavailable: [404, 'NOT_FOUND', 'This file is not available'],
} as const;

/**
 * `GET /files/public/{token}`: a revocable public link (SPEC §5, docs/files.md). The domain logs the
 * access and, for a clean file, answers with a 60-second signed URL that this redirects to (so with
 * S3 the bytes never pass through the API). The token never reaches the request log (http.ts).
 */
export function publicFilesRouter(services: Services): Router {
  const router = Router();
  router.get('/public/:token', async (req, res, next) => {
    try {
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
      if (!services.objectStorage) {
        res.status(503).json({ error: { code: 'UNAVAILABLE', message: 'File storage is not configured' } });
        return;
      }
      const result = await openPublicLink(
        { db: services.db, storage: services.objectStorage },
        String(req.params.token),
        { ip: req.ip ?? null },
      );
      if (result.outcome === 'served') {
        res.redirect(302, result.url);
        return;
      }
      const [status, code, message] = MESSAGES[result.outcome];
      res.status(status).json({ error: { code, message } });
    } catch (error) {
      next(error);
    }
  });
  return router;
}
