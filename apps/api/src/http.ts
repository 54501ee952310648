import { resolve } from 'node:path';
import { AppError } from '@atrium/domain/errors';
import { isLocalObjectStorage } from '@atrium/domain/platform/local-object-storage';
import { runHealthChecks } from '@atrium/observability';
import type { AnyRouter } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createContextFromRequest } from './context.ts';
import { ERROR_WIRE } from './errors.ts';
import { objectsRouter } from './objects.ts';
import { type AppRouter, appRouter } from './router.ts';
import type { Services } from './services.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The Express app: request ids and logs, health, metrics, then tRPC under /trpc. */
export function createApp(services: Services, trpcRouter: AnyRouter = appRouter): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = requestId;
    res.locals.logger = services.logger.child({ requestId });
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    res.on('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      services.metrics.httpDuration.observe(
        { route: routeLabel(req.originalUrl), method: req.method, status: String(res.statusCode) },
        seconds,
      );
      const level = res.statusCode >= 500 ? 'error' : 'debug';
      res.locals.logger[level](
        {
          method: req.method,
          url: loggableUrl(req.originalUrl),
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
        },
        'request',
      );
    });
    next();
  });

  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  app.get('/health/ready', async (_req, res) => {
    const report = await runHealthChecks(services.healthChecks);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });

  if (services.objectStorage && isLocalObjectStorage(services.objectStorage)) {
    app.use('/objects', objectsRouter(services.objectStorage, services.logger));
  }

  app.use(
    '/trpc',
    createExpressMiddleware({
      router: trpcRouter as AppRouter,
      createContext: ({ req, res, info }) => createContextFromRequest(services, req, res, info),
      onError({ error, path, ctx }) {
        const cause = error.cause instanceof AppError ? error.cause : null;
        if (cause?.code === 'INTERNAL' || (!cause && error.code === 'INTERNAL_SERVER_ERROR')) {
          (ctx?.logger ?? services.logger).error(
            { err: cause?.cause ?? cause ?? error, path },
            'procedure failed',
          );
        }
      },
      responseMeta({ errors }) {
        for (const error of errors) {
          const cause = error.cause;
          if (cause instanceof AppError && cause.code === 'RATE_LIMITED') {
            const seconds = Number(cause.details?.retryAfterSeconds ?? 1);
            return {
              status: ERROR_WIRE.RATE_LIMITED.status,
              headers: new Headers({ 'retry-after': String(Math.max(1, Math.ceil(seconds))) }),
            };
          }
        }
        return {};
      },
    }),
  );

  if (services.env.WEB_DIST_DIR) serveWebApp(app, services.env.WEB_DIST_DIR);

  return app;
}

/** Production: the built single-page app from the API's own origin (cookies stay SameSite=Strict). */
function serveWebApp(app: Express, distDir: string): void {
  const root = resolve(distDir);
  app.use(express.static(root, { index: false, maxAge: '1h', immutable: false }));
  app.get(/^\/(?!trpc|health|metrics).*/, (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(resolve(root, 'index.html'));
  });
}

/**
 * The URL without secrets: subscriptions carry the access token in `connectionParams`
 * (docs/realtime.md), and a signed object URL is usable by whoever holds its `sig` (docs/storage.md).
 */
function loggableUrl(originalUrl: string): string {
  return originalUrl.replace(/([?&](?:connectionParams|sig)=)[^&]*/g, '$1[redacted]');
}

/** A bounded label set: one series per known surface, never one per URL a client invents. */
function routeLabel(originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  if (path.startsWith('/trpc')) return '/trpc';
  if (path.startsWith('/objects/')) return '/objects';
  if (path === '/health/live' || path === '/health/ready' || path === '/metrics') return path;
  return 'other';
}
