import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

/** Paths the API answers; everything else is the single-page app. Same list as vite.config.ts. */
const API_PATH = /^\/(trpc|health|metrics|files|objects|dev)(\/|\?|$)/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** The built app, usually `apps/web/dist`. */
  distDir: string;
  /**
   * Where `/trpc`, `/health`, `/metrics`, `/files`, `/objects` and `/dev` go, e.g. the in-process API's
   * URL. A function is asked on every request: the app's own URL can then be known before the API
   * starts (the API puts it in the links of its emails).
   */
  apiUrl: string | (() => string);
  port?: number;
}

/**
 * Serves the built web app the way production will (one origin for the SPA and the API), so
 * browser tests exercise the real bundle against the real API: static files, SPA fallback to
 * index.html, and a streaming reverse proxy (SSE-safe) for the API's paths.
 */
export async function startStaticServer({
  distDir,
  apiUrl,
  port = 0,
}: StaticServerOptions): Promise<StaticServer> {
  const root = resolve(distDir);
  const apiUrlOf = typeof apiUrl === 'function' ? apiUrl : () => apiUrl;

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (API_PATH.test(path)) {
      let target: URL;
      try {
        target = new URL(apiUrlOf());
      } catch (error) {
        // No API yet (or any more): what a reverse proxy answers for a missing upstream.
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Bad gateway: ${error instanceof Error ? error.message : 'no upstream'}`);
        return;
      }
      proxyToApi(req, res, target);
      return;
    }
    serveStatic(root, path, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error instanceof Error ? error.message : 'error');
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function proxyToApi(req: IncomingMessage, res: ServerResponse, api: URL): void {
  const upstream = request(
    {
      protocol: api.protocol,
      hostname: api.hostname,
      port: api.port,
      method: req.method,
      path: req.url,
      headers: {
        ...req.headers,
        host: api.host,
        'x-forwarded-host': req.headers.host ?? '',
        'x-forwarded-proto': 'http',
      },
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    // Like a real reverse proxy: the browser sees a 502, the app shows "API unreachable".
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Bad gateway: ${error.message}`);
  });
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

async function serveStatic(
  root: string,
  urlPath: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const candidate = join(root, normalize(decoded));
  const insideRoot = candidate === root || candidate.startsWith(root + sep);
  const file = insideRoot ? await regularFile(candidate) : null;
  if (file) {
    send(res, req, file, extname(file));
    return;
  }
  // A missing asset (a file type the app ships) is a 404; any other path is a client-side route served
  // by index.html, as the API serves it in production — dots included (/ops/queues/ops.pipeline-probe).
  const extension = extname(decoded);
  if (extension !== '' && extension !== '.html' && Object.hasOwn(CONTENT_TYPES, extension)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    return;
  }
  send(res, req, join(root, 'index.html'), '.html');
}

async function regularFile(path: string): Promise<string | null> {
  const stats = await stat(path).catch(() => null);
  if (stats?.isFile()) return path;
  if (stats?.isDirectory()) {
    const index = join(path, 'index.html');
    return (await stat(index).catch(() => null))?.isFile() ? index : null;
  }
  return null;
}

function send(res: ServerResponse, req: IncomingMessage, file: string, extension: string): void {
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
    // Hashed assets may be cached forever; index.html must always be revalidated.
    'cache-control': extension === '.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
