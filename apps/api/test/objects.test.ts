import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  createLocalObjectStorage,
  type LocalObjectStorage,
} from '@atrium/domain/platform/local-object-storage';
import { createObjectKey } from '@atrium/domain/platform/object-storage';
import { createLogger } from '@atrium/observability';
import { metricValue, useTestDatabase, waitFor } from '@atrium/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http.ts';
import { createServices, type Services } from '../src/services.ts';
import { testApiEnv } from './helpers.ts';

const ORG = '9c8b7a6f-5e4d-4c3b-a2a1-0f9e8d7c6b5a';

describe('/objects: the local object storage served by the API', () => {
  const t = useTestDatabase();
  let services: Services;
  let server: Server;
  let storage: LocalObjectStorage;
  let root: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atrium-api-objects-'));
    const logger = createLogger({
      name: 'api',
      level: 'debug',
      destination: new Writable({
        write(chunk, _encoding, done) {
          logLines.push(chunk.toString());
          done();
        },
      }),
    });
    services = await createServices(testApiEnv(t.url), { logger });
    // Listening first: the storage signs URLs for this server's port.
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    storage = createLocalObjectStorage({
      root,
      signingKey: 'api-objects-test-signing-key-0123456789',
      baseUrl: `http://127.0.0.1:${port}/objects`,
    });
    server.on('request', createApp({ ...services, objectStorage: storage }));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.close();
    await rm(root, { recursive: true, force: true });
  });

  it('takes an upload through a signed URL and serves it back, with the API request id and headers', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'Zürich café.jpg' });
    const body = Buffer.alloc(50_000, 0xab);
    const upload = await storage.createUploadUrl({
      key,
      contentType: 'image/jpeg',
      byteSize: body.byteLength,
      expiresInSeconds: 60,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body });
    expect(put.status).toBe(200);
    expect(put.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const { url } = await storage.createDownloadUrl({
      key,
      expiresInSeconds: 60,
      fileName: 'Zürich café.jpg',
      contentType: 'image/jpeg',
      disposition: 'inline',
    });
    const get = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(get.status).toBe(206);
    expect(get.headers.get('content-range')).toBe('bytes 0-99/50000');
    expect(get.headers.get('content-type')).toBe('image/jpeg');
    expect(get.headers.get('cache-control')).toBe('private, no-store');
    expect(get.headers.get('x-content-type-options')).toBe('nosniff');
    expect(get.headers.get('content-disposition')).toBe(
      `inline; filename="Zurich cafe.jpg"; filename*=UTF-8''Z%C3%BCrich%20caf%C3%A9.jpg`,
    );
    expect((await get.arrayBuffer()).byteLength).toBe(100);
  });

  it('refuses a tampered link with 403 and a clear JSON body', async () => {
    const key = createObjectKey({ orgId: ORG });
    await storage.put(key, Buffer.from('x'), { contentType: 'text/plain' });
    const { url } = await storage.createDownloadUrl({ key, expiresInSeconds: 60, disposition: 'attachment' });
    const response = await fetch(url.replace('disposition=attachment', 'disposition=inline'));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: 'FORBIDDEN', message: 'The signature of this link is invalid' },
    });
  });

  it('keeps signatures out of the request log and counts requests under one route label', async () => {
    const key = createObjectKey({ orgId: ORG });
    await storage.put(key, Buffer.from('y'), { contentType: 'text/plain' });
    const { url } = await storage.createDownloadUrl({ key, expiresInSeconds: 60, disposition: 'attachment' });
    const signature = new URL(url).searchParams.get('sig') ?? '';
    await (await fetch(url)).arrayBuffer();

    const logged = logLines.filter((line) => line.includes('/objects/')).join('\n');
    expect(logged).toContain('sig=[redacted]');
    expect(logged).not.toContain(signature);
    // Recorded on the response's `finish`, which may come a moment after the client has the body.
    await waitFor(
      async () =>
        metricValue(await services.metrics.registry.metrics(), 'atrium_http_request_duration_seconds_count', {
          route: '/objects',
          method: 'GET',
          status: '200',
        }),
      { timeoutMs: 2_000, what: 'the /objects GET 200 sample' },
    );
  });

  it('is not mounted without a local storage', async () => {
    const bare = createApp({ ...services, objectStorage: undefined }).listen(0, '127.0.0.1');
    await new Promise((resolve) => bare.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/objects/a/b`);
      expect(response.status).toBe(404);
      // The app's own 404, not the storage handler's refusal of an unsigned request (403).
      expect(await response.json()).toEqual({ error: 'not found' });
    } finally {
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });
});
