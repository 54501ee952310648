import { resolve } from 'node:path';
import { AppError } from '@atrium/domain/errors';
import { recordPlatformEvent } from '@atrium/domain/logging/platform';
import { isLocalObjectStorage } from '@atrium/domain/platform/local-object-storage';
import { type HealthReport, runHealthChecks } from '@atrium/observability';
import type { AnyRouter } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { createContextFromRequest } from './context.ts';
import { ERROR_WIRE, isPostgresDataException } from './errors.ts';
import { objectsRouter } from './objects.ts';
import { publicFilesRouter } from './public-files.ts';
import { type AppRouter, appRouter } from './router.ts';
import type { Services } from './services.ts';
import {
  bodyLimitFor,
  hasOpsAccess,
  limitEventStreams,
  objectOrigins,
  rejectOversizeBodies,
  requireJsonPosts,
  securityHeaders,
  webAppCsp,
} from './transport.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The Express app: request ids and logs, health, metrics, then tRPC under /trpc. */
export function createApp(services: Services, trpcRouter: AnyRouter = appRouter): Express {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For only from the proxies named in TRUST_PROXY (none by default).
  app.set('trust proxy', services.env.TRUST_PROXY.length > 0 ? services.env.TRUST_PROXY : false);
  app.use(securityHeaders(services.env));

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
      if (res.statusCode >= 500 && res.statusCode !== 503) recordServerError(services, req, res, seconds);
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
  app.get('/health/ready', async (req, res) => {
    const report = await runHealthChecks(services.healthChecks);
    res
      .status(report.status === 'ok' ? 200 : 503)
      .json(hasOpsAccess(req, services.env) ? report : withoutDetail(report));
  });
  app.get('/metrics', async (req, res) => {
    // Without access the endpoint does not exist: its series name every procedure and queue.
    if (!hasOpsAccess(req, services.env)) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    res.type(services.metrics.registry.contentType).send(await services.metrics.registry.metrics());
  });

  if (services.objectStorage && isLocalObjectStorage(services.objectStorage)) {
    app.use('/objects', objectsRouter(services.objectStorage, services.logger));
  }
  app.use('/files', publicFilesRouter(services));

  const bodyLimit = (req: Request) => bodyLimitFor(req.path, services.env.MAX_BODY_BYTES);
  app.use('/trpc', requireJsonPosts, rejectOversizeBodies(bodyLimit));
  app.use(
    '/trpc',
    limitEventStreams({
      slots: services.eventStreams,
      max: services.env.REALTIME_MAX_STREAMS_PER_USER,
      userOf: (token) =>
        services.identity.accessTokens.verify(token).then(
          (claims) => claims.userId,
          () => null,
        ),
    }),
  );
  const trpcHandlers = new Map<number, RequestHandler>();
  const trpcHandlerFor = (maxBodySize: number): RequestHandler => {
    let handler = trpcHandlers.get(maxBodySize);
    if (!handler) {
      handler = trpcMiddleware(services, trpcRouter, maxBodySize);
      trpcHandlers.set(maxBodySize, handler);
    }
    return handler;
  };
  app.use('/trpc', (req, res, next) => trpcHandlerFor(bodyLimit(req))(req, res, next));

  if (services.env.WEB_DIST_DIR)
    serveWebApp(app, services.env.WEB_DIST_DIR, webAppCsp(objectOrigins(services.env)));

  // Express's own 404 page would replace the security headers set above.
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  return app;
}

/**
 * The tRPC endpoint with its transport limits: at most TRPC_MAX_BATCH calls per batch (a batch's
 * calls run concurrently, so an unbounded one lets one request occupy the process) and a body cap.
 */
function trpcMiddleware(services: Services, trpcRouter: AnyRouter, maxBodySize: number): RequestHandler {
  return createExpressMiddleware({
    router: trpcRouter as AppRouter,
    maxBatchSize: services.env.TRPC_MAX_BATCH,
    maxBodySize,
    createContext: ({ req, res, info }) => createContextFromRequest(services, req, res, info),
    onError({ error, path, ctx }) {
      const cause = error.cause instanceof AppError ? error.cause : null;
      if (cause?.cause && isPostgresDataException(cause.cause)) {
        (ctx?.logger ?? services.logger).warn(
          { err: cause.cause, path },
          'input reached the database unchecked; tighten the input schema',
        );
      }
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
  });
}

/** Readiness for anyone: up or down per check, without error text or timings. */
function withoutDetail(report: HealthReport): {
  status: HealthReport['status'];
  checks: Record<string, { status: string }>;
} {
  return {
    status: report.status,
    checks: Object.fromEntries(
      Object.entries(report.checks).map(([name, check]) => [name, { status: check.status }]),
    ),
  };
}

/**
 * Production: the built single-page app from the API's own origin (cookies stay SameSite=Strict),
 * under its Content-Security-Policy. Source maps are never served: they would publish the source.
 */
function serveWebApp(app: Express, distDir: string, csp: string): void {
  const root = resolve(distDir);
  app.use((req, res, next) => {
    if (req.path.endsWith('.map')) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    res.setHeader('content-security-policy', csp);
    next();
  });
  app.use(express.static(root, { index: false, maxAge: '1h', immutable: false }));
  app.get(/^\/(?!trpc|health|metrics).*/, (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(resolve(root, 'index.html'));
  });
}

/**
 * The URL without secrets: subscriptions carry the access token in `connectionParams`
 * (docs/realtime.md), a signed object URL is usable by whoever holds its `sig` (docs/storage.md), and a
 * public file link by whoever holds its token (docs/files.md).
 */
function loggableUrl(originalUrl: string): string {
  return originalUrl
    .replace(/([?&](?:connectionParams|sig)=)[^&]*/g, '$1[redacted]')
    .replace(/^\/files\/public\/[^/?]+/, '/files/public/[redacted]');
}

/** A bounded label set: one series per known surface, never one per URL a client invents. */
function routeLabel(originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  if (path.startsWith('/trpc')) return '/trpc';
  if (path.startsWith('/objects/')) return '/objects';
  if (path.startsWith('/files/public/')) return '/files/public';
  if (path === '/health/live' || path === '/health/ready' || path === '/metrics') return path;
  return 'other';
}

/**
 * A 5xx answer is the platform's own failure (SPEC §7): logged as a `platform.api` event with the
 * request id, which the built-in rule turns into an incident for the operators. 503 is left out: it
 * means a dependency (the database) is down, which the event could not be stored in anyway. Best
 * effort, after the response: a failure to record is logged and nothing more.
 */
function recordServerError(services: Services, req: Request, res: Response, seconds: number): void {
  const requestId = res.locals.requestId as string;
  recordPlatformEvent(
    { db: services.db },
    {
      orgId: null,
      source: 'platform.api',
      message: `${req.method} ${routeLabel(req.originalUrl)} answered ${res.statusCode}`,
      attributes: {
        method: req.method,
        route: routeLabel(req.originalUrl),
        status: res.statusCode,
        ms: Math.round(seconds * 1000),
      },
      requestId,
    },
  ).catch((error: unknown) =>
    (res.locals.logger as Services['logger']).warn(
      { err: error },
      'could not record the server error as a log event',
    ),
  );
}
