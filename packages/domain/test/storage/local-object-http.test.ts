import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@atrium/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalObjectHandler, parseRange } from '../../src/platform/local-object-http.ts';
import {
  createLocalObjectStorage,
  type LocalObjectStorage,
} from '../../src/platform/local-object-storage.ts';
import { createObjectKey } from '../../src/platform/object-storage.ts';

const ORG = '0b7e4c1a-52d3-4f8e-9a61-3c2d1e0f9b84';
const KEY = 'local-http-test-signing-key-0123456789abcdef';

describe('local object storage over HTTP', () => {
  let root: string;
  let server: Server;
  let port: number;
  let storage: LocalObjectStorage;
  let now = Date.now();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atrium-objects-http-'));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    storage = createLocalObjectStorage({
      root,
      signingKey: KEY,
      baseUrl: `http://127.0.0.1:${port}/objects`,
      now: () => now,
    });
    const handler = createLocalObjectHandler(storage);
    server.on('request', (req, res) => {
      req.url = (req.url ?? '').replace(/^\/objects/, '');
      handler(req, res);
    });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  const uploadsInProgress = async () => readdir(join(root, '.tmp')).catch(() => []);

  /** A request with the path sent exactly as given (fetch would normalise `..`). */
  function raw(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string | number>;
      chunks?: Buffer[];
      abortAfterChunks?: boolean;
    } = {},
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers }, (res) => {
        // Like a browser: once the server has answered, stop sending the rest of the body.
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      const chunks = options.chunks ?? [];
      let i = 0;
      const writeNext = () => {
        if (req.destroyed || answered) return;
        if (i === chunks.length) {
          if (options.abortAfterChunks) {
            req.destroy();
            resolve({ status: 0, headers: {}, body: '' });
          } else req.end();
          return;
        }
        req.write(chunks[i++], () => setImmediate(writeNext));
      };
      writeNext();
    });
  }

  it('stops a chunked upload with 413 as soon as it passes the signed size, keeping nothing', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'big.bin' });
    const { url } = await storage.createUploadUrl({
      key,
      contentType: 'application/octet-stream',
      byteSize: 100_000,
      expiresInSeconds: 60,
    });
    const { pathname, search } = new URL(url);
    const response = await raw('PUT', pathname + search, {
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      chunks: Array.from({ length: 40 }, () => Buffer.alloc(16 * 1024, 1)),
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'VALIDATION_ERROR', message: 'The body is larger than the signed 100000 bytes' },
    });
    expect(await storage.head(key)).toBeNull();
    await waitFor(async () => (await uploadsInProgress()).length === 0, { timeoutMs: 2_000 });
  });

  it('keeps nothing of an upload the client abandons halfway', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'half.bin' });
    const { url } = await storage.createUploadUrl({
      key,
      contentType: 'application/octet-stream',
      byteSize: 1_000_000,
      expiresInSeconds: 60,
    });
    const { pathname, search } = new URL(url);
    await raw('PUT', pathname + search, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': 1_000_000 },
      chunks: [Buffer.alloc(200_000, 2)],
      abortAfterChunks: true,
    });
    await waitFor(async () => (await uploadsInProgress()).length === 0, { timeoutMs: 2_000 });
    expect(await storage.head(key)).toBeNull();
  });

  it('takes an empty object, and serves it with no satisfiable range', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'empty.txt' });
    const upload = await storage.createUploadUrl({
      key,
      contentType: 'text/plain',
      byteSize: 0,
      expiresInSeconds: 60,
    });
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(0) });
    expect(put.status).toBe(200);
    expect(await storage.head(key)).toEqual({
      byteSize: 0,
      contentType: 'text/plain',
      sha256: createHash('sha256').digest('hex'),
    });
    const { url } = await storage.createDownloadUrl({ key, expiresInSeconds: 60, disposition: 'attachment' });
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe('0');
    expect(whole.headers.get('content-disposition')).toBe('attachment');
    const ranged = await fetch(url, { headers: { range: 'bytes=0-0' } });
    expect(ranged.status).toBe(416);
    expect(ranged.headers.get('content-range')).toBe('bytes */0');
  });

  it('refuses path traversal, encoded or not, before any signature or file is looked at', async () => {
    for (const path of [
      '/objects/../../etc/passwd?sig=x',
      '/objects/..%2F..%2Fetc%2Fpasswd?sig=x',
      `/objects/${ORG}/%2e%2e/%2e%2e/etc/passwd?sig=x`,
      '/objects/%00?sig=x',
      '/objects/%E0%A4%A?sig=x',
      '/objects/?sig=x',
    ]) {
      const response = await raw('GET', path);
      expect(response.status, path).toBe(400);
      expect(JSON.parse(response.body), path).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
    }
  });

  it('refuses a repeated parameter, a PUT signature used for GET, and other methods', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'a.png' });
    await storage.put(key, new Uint8Array([1, 2, 3]), { contentType: 'image/png' });
    const upload = await storage.createUploadUrl({
      key,
      contentType: 'image/png',
      byteSize: 3,
      expiresInSeconds: 60,
    });
    const asGet = await fetch(upload.url);
    expect(asGet.status).toBe(403);
    expect(await asGet.json()).toEqual({
      error: { code: 'FORBIDDEN', message: 'The signature of this link is invalid' },
    });

    const { url } = await storage.createDownloadUrl({ key, expiresInSeconds: 60, disposition: 'attachment' });
    const repeated = await fetch(`${url}&disposition=inline`);
    expect(repeated.status).toBe(403);
    expect(((await repeated.json()) as { error: { message: string } }).error.message).toBe(
      'The link repeats the parameter "disposition"',
    );

    const post = await fetch(url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, PUT');
    expect(post.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('tells an authentic expired link that it expired, and a forged one that it is forged', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'a.png' });
    await storage.put(key, new Uint8Array([1]), { contentType: 'image/png' });
    const { url } = await storage.createDownloadUrl({ key, expiresInSeconds: 60, disposition: 'attachment' });
    now += 61_000;
    try {
      const expired = await fetch(url);
      expect(expired.status).toBe(403);
      expect((await expired.json()) as object).toEqual({
        error: { code: 'FORBIDDEN', message: 'This link has expired' },
      });
      const parsed = new URL(url);
      parsed.searchParams.set('expires', String(Math.floor(now / 1000) + 3600));
      const extended = await fetch(parsed);
      expect(((await extended.json()) as { error: { message: string } }).error.message).toBe(
        'The signature of this link is invalid',
      );
    } finally {
      now -= 61_000;
    }
  });

  it('serves the whole object for ranges it does not support: several, malformed, reversed', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'a.bin' });
    await storage.put(key, new Uint8Array(100).fill(5), { contentType: 'application/octet-stream' });
    const { url } = await storage.createDownloadUrl({ key, expiresInSeconds: 60, disposition: 'inline' });
    for (const range of ['bytes=0-1,5-6', 'bytes=abc', 'items=0-1', 'bytes=9-3']) {
      const response = await fetch(url, { headers: { range } });
      expect(response.status, range).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBe(100);
    }
    const response = await fetch(url);
    // Unknown bytes are never offered to the browser to render: inline is for media only.
    expect(response.headers.get('content-disposition')).toBe('attachment');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    await response.arrayBuffer();
  });

  it('recomputes the SHA-256 of a file changed in place behind its back', async () => {
    const key = createObjectKey({ orgId: ORG, fileName: 'a.bin' });
    await storage.put(key, Buffer.from('original'), { contentType: 'application/octet-stream' });
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(await storage.head(key)).toMatchObject({ sha256: sha('original') });
    // Same size, same inode, new bytes (and so a new mtime).
    await new Promise((resolve) => setTimeout(resolve, 5));
    await writeFile(join(root, ...key.split('/')), 'tampered');
    expect((await storage.head(key))?.sha256).toBeUndefined();
    expect(await storage.sha256(key)).toBe(sha('tampered'));
  });

  it('refuses a signing key shorter than 32 characters', () => {
    expect(() =>
      createLocalObjectStorage({ root, signingKey: 'short', baseUrl: 'http://x/objects' }),
    ).toThrow(/at least 32 characters/);
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-500', 100, { start: 0, end: 99 }],
    ['bytes=50-500', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=5-1', 100, null],
    ['bytes=0-1,3-4', 100, null],
    ['bytes=-', 100, null],
    [undefined, 100, null],
  ])('%s of %i bytes → %o', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
