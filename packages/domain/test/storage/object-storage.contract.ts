import { createHash } from 'node:crypto';
import { sleep } from '@atrium/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import { createObjectKey, type ObjectStorage, type SignedUpload } from '../../src/platform/object-storage.ts';

/**
 * The ObjectStorage port's contract, run against every adapter: the local filesystem adapter behind
 * its real HTTP handler, and the S3 adapter against s3rver. Uploads and downloads go through the
 * signed URLs with `fetch`, as a browser would send them.
 */
export interface ObjectStorageContractTarget {
  /** Made in `beforeAll` (servers are running by then); closed in `afterAll`. */
  create(): Promise<ObjectStorage>;
  /**
   * Whether the store refuses, at upload, a body whose SHA-256 is not the signed one. S3 does
   * (x-amz-checksum-sha256 → 400 BadDigest); s3rver ignores checksums, so there the mismatch must
   * show in `sha256()` instead.
   */
  verifiesChecksumAtUpload: boolean;
  /** Whether downloads carry `X-Content-Type-Options: nosniff` (S3 cannot be asked to send it). */
  sendsNosniff: boolean;
  /** Whether `Range: bytes=-N` (the last N bytes) is served; S3 does, s3rver 3.7 reads it as `0-N`. */
  servesSuffixRanges: boolean;
}

const ORG = '7d5c2a36-9f1e-4c59-8a3e-2b8f6d0e1a47';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (size: number, seed = 1) => {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) % 251;
  return bytes;
};

function uploadTo(signed: SignedUpload, body: Uint8Array, headers: Record<string, string> = signed.headers) {
  return fetch(signed.url, { method: signed.method, headers, body });
}

export function objectStorageContract(name: string, target: ObjectStorageContractTarget): void {
  describe(`ObjectStorage contract: ${name}`, () => {
    let storage: ObjectStorage;
    beforeAll(async () => {
      storage = await target.create();
    });
    afterAll(() => storage.close());

    const newKey = (fileName = 'photo.png') => createObjectKey({ orgId: ORG, fileName });

    it('uploads through the signed PUT URL; head, sha256 and the bytes read back agree', async () => {
      const key = newKey();
      const body = bytesOf(200_000);
      const signed = await storage.createUploadUrl({
        key,
        contentType: 'image/png',
        byteSize: body.byteLength,
        expiresInSeconds: 60,
        sha256: sha256(body),
      });
      expect(signed.method).toBe('PUT');
      expect(signed.headers['content-type']).toBe('image/png');
      expect(signed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 55_000);

      const response = await uploadTo(signed, body);
      expect(response.status, await response.clone().text()).toBe(200);

      const head = await storage.head(key);
      expect(head).toMatchObject({ byteSize: body.byteLength, contentType: 'image/png' });
      if (head?.sha256 !== undefined) expect(head.sha256).toBe(sha256(body));
      expect(await storage.sha256(key)).toBe(sha256(body));

      const first = await storage.readRange(key, { offset: 0, length: 4096 });
      expect(Buffer.from(first ?? [])).toEqual(Buffer.from(body.subarray(0, 4096)));
      const tail = await storage.readRange(key, { offset: body.byteLength - 10, length: 4096 });
      expect(Buffer.from(tail ?? [])).toEqual(Buffer.from(body.subarray(body.byteLength - 10)));
      expect((await storage.readRange(key, { offset: body.byteLength + 5, length: 10 }))?.byteLength).toBe(0);
    });

    it('downloads through the signed GET URL with a safe disposition, never cached', async () => {
      const key = newKey('report.html');
      const body = new TextEncoder().encode('<script>alert(1)</script>');
      await storage.put(key, body, { contentType: 'text/html' });

      const signed = await storage.createDownloadUrl({
        key,
        expiresInSeconds: 60,
        fileName: 'Rapport "final"\r\nX-Injected: 1 — été.html',
        contentType: 'text/html',
        disposition: 'inline',
      });
      const response = await fetch(signed.url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(body));
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect(response.headers.get('x-injected')).toBeNull();
      // HTML asked for inline is still an attachment: it must never render as a page of our origin.
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="Rapport _final_X-Injected: 1 _ ete.html"; filename*=UTF-8''Rapport%20%22final%22X-Injected%3A%201%20%E2%80%94%20%C3%A9t%C3%A9.html`,
      );
      if (target.sendsNosniff) expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('serves images inline when asked, with the stored type', async () => {
      const key = newKey();
      const body = bytesOf(1000);
      await storage.put(key, body, { contentType: 'image/png' });
      const signed = await storage.createDownloadUrl({
        key,
        expiresInSeconds: 60,
        contentType: 'image/png',
        disposition: 'inline',
        fileName: 'photo.png',
      });
      const response = await fetch(signed.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(response.headers.get('content-disposition')).toBe(
        `inline; filename="photo.png"; filename*=UTF-8''photo.png`,
      );
      await response.arrayBuffer();
    });

    it('answers a single byte range with 206 and Content-Range, and 416 past the end', async () => {
      const key = newKey('clip.mp4');
      const body = bytesOf(10_000, 7);
      await storage.put(key, body, { contentType: 'video/mp4' });
      const { url } = await storage.createDownloadUrl({
        key,
        expiresInSeconds: 60,
        contentType: 'video/mp4',
        disposition: 'inline',
      });

      const middle = await fetch(url, { headers: { range: 'bytes=100-199' } });
      expect(middle.status).toBe(206);
      expect(middle.headers.get('content-range')).toBe('bytes 100-199/10000');
      expect(Buffer.from(await middle.arrayBuffer())).toEqual(Buffer.from(body.subarray(100, 200)));

      if (target.servesSuffixRanges) {
        const suffix = await fetch(url, { headers: { range: 'bytes=-16' } });
        expect(suffix.status).toBe(206);
        expect(suffix.headers.get('content-range')).toBe('bytes 9984-9999/10000');
        expect(Buffer.from(await suffix.arrayBuffer())).toEqual(Buffer.from(body.subarray(9984)));
      }

      const open = await fetch(url, { headers: { range: 'bytes=9990-' } });
      expect(open.status).toBe(206);
      expect((await open.arrayBuffer()).byteLength).toBe(10);

      const beyond = await fetch(url, { headers: { range: 'bytes=20000-20010' } });
      expect(beyond.status).toBe(416);
      await beyond.arrayBuffer();
    });

    it('refuses expired upload and download URLs', async () => {
      const key = newKey();
      const body = bytesOf(64);
      await storage.put(key, body, { contentType: 'image/png' });
      const upload = await storage.createUploadUrl({
        key: newKey(),
        contentType: 'image/png',
        byteSize: body.byteLength,
        expiresInSeconds: 1,
      });
      const download = await storage.createDownloadUrl({
        key,
        expiresInSeconds: 1,
        disposition: 'attachment',
      });
      // Expiry has one-second resolution on both adapters (and in SigV4's X-Amz-Date).
      await sleep(2_100);

      const put = await uploadTo(upload, body);
      expect(put.status).toBe(403);
      expect(await put.text()).toMatch(/expired/i);
      const get = await fetch(download.url);
      expect(get.status).toBe(403);
      expect(await get.text()).toMatch(/expired/i);
    });

    it('refuses tampered URLs: another key, a longer expiry, another size, a changed signature', async () => {
      const key = newKey();
      const other = newKey();
      const body = bytesOf(64);
      await storage.put(key, body, { contentType: 'image/png' });
      await storage.put(other, bytesOf(64, 9), { contentType: 'image/png' });

      const { url } = await storage.createDownloadUrl({
        key,
        expiresInSeconds: 60,
        disposition: 'attachment',
      });
      const otherKey = url.replace(encodeURI(key.split('/')[1] ?? ''), encodeURI(other.split('/')[1] ?? ''));
      expect(otherKey).not.toBe(url);
      const longer = withParam(url, ['expires', 'X-Amz-Expires'], (value) => String(Number(value) + 3600));
      const forged = withParam(url, ['sig', 'X-Amz-Signature'], flipLastCharacter);
      for (const tampered of [otherKey, longer, forged]) {
        const response = await fetch(tampered);
        expect(response.status, tampered).toBe(403);
        await response.arrayBuffer();
      }

      const target = newKey();
      const upload = await storage.createUploadUrl({
        key: target,
        contentType: 'image/png',
        byteSize: 64,
        expiresInSeconds: 60,
      });
      const forgedUpload = {
        ...upload,
        url: withParam(upload.url, ['sig', 'X-Amz-Signature'], flipLastCharacter),
      };
      const response = await uploadTo(forgedUpload, body);
      expect(response.status).toBe(403);
      await response.arrayBuffer();
      // Another Content-Type than the signed one is refused like a forged signature.
      const wrongType = await uploadTo(upload, body, { ...upload.headers, 'content-type': 'text/html' });
      expect(wrongType.status).toBe(403);
      await wrongType.arrayBuffer();
      expect(await storage.head(target)).toBeNull();
    });

    it('refuses a body larger or smaller than the signed size, keeping nothing', async () => {
      const key = newKey();
      const upload = await storage.createUploadUrl({
        key,
        contentType: 'image/png',
        byteSize: 1000,
        expiresInSeconds: 60,
      });
      for (const size of [1001, 999, 0]) {
        const response = await uploadTo(upload, bytesOf(size));
        expect(response.ok, `${size} bytes`).toBe(false);
        expect([400, 403, 413]).toContain(response.status);
        await response.arrayBuffer();
      }
      expect(await storage.head(key)).toBeNull();
    });

    it('never lets other bytes pass for the signed SHA-256', async () => {
      const key = newKey();
      const declared = bytesOf(500, 1);
      const sent = bytesOf(500, 2);
      const upload = await storage.createUploadUrl({
        key,
        contentType: 'image/png',
        byteSize: 500,
        expiresInSeconds: 60,
        sha256: sha256(declared),
      });
      const response = await uploadTo(upload, sent);
      await response.arrayBuffer();
      if (target.verifiesChecksumAtUpload) {
        expect(response.status).toBe(400);
        expect(await storage.head(key)).toBeNull();
      } else {
        // The store took it: the hash the ingestion check reads shows it is not the declared file.
        expect(await storage.sha256(key)).toBe(sha256(sent));
      }
    });

    it('deletes: the object is gone for every reader, and deleting again is no error', async () => {
      const key = newKey();
      await storage.put(key, bytesOf(100), { contentType: 'application/pdf' });
      expect(await storage.head(key)).toMatchObject({ byteSize: 100, contentType: 'application/pdf' });
      const { url } = await storage.createDownloadUrl({
        key,
        expiresInSeconds: 60,
        disposition: 'attachment',
      });

      await storage.delete(key);
      expect(await storage.head(key)).toBeNull();
      expect(await storage.sha256(key)).toBeNull();
      expect(await storage.readRange(key, { offset: 0, length: 10 })).toBeNull();
      expect(await storage.open(key)).toBeNull();
      const response = await fetch(url);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
      await expect(storage.delete(key)).resolves.toBeUndefined();
    });

    it('streams a whole object with open(), and put() replaces an object', async () => {
      const key = newKey();
      await storage.put(key, bytesOf(300_000, 3), { contentType: 'audio/mpeg' });
      await storage.put(key, bytesOf(150_000, 4), { contentType: 'audio/ogg' });
      const stream = await storage.open(key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream ?? []) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(bytesOf(150_000, 4)));
      expect(await storage.head(key)).toMatchObject({ byteSize: 150_000, contentType: 'audio/ogg' });
      expect(await storage.sha256(key)).toBe(sha256(bytesOf(150_000, 4)));
    });

    it('refuses keys that are not storage keys, and out-of-range inputs, before touching the store', async () => {
      for (const key of [
        '',
        '../etc/passwd',
        `${ORG}/../../x`,
        `${ORG}/.hidden`,
        '/abs',
        'a//b',
        'a\u0000b',
        'a b',
      ]) {
        await expect(storage.head(key), JSON.stringify(key)).rejects.toBeInstanceOf(ValidationError);
        await expect(storage.put(key, bytesOf(1), { contentType: 'image/png' })).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
      const key = newKey();
      const invalidUploads = [
        { contentType: 'image/png\r\nX-Evil: 1', byteSize: 1, expiresInSeconds: 60 },
        { contentType: 'image/png', byteSize: -1, expiresInSeconds: 60 },
        { contentType: 'image/png', byteSize: 6 * 1024 ** 3, expiresInSeconds: 60 },
        { contentType: 'image/png', byteSize: 1, expiresInSeconds: 0 },
        { contentType: 'image/png', byteSize: 1, expiresInSeconds: 8 * 24 * 3600 },
        { contentType: 'image/png', byteSize: 1, expiresInSeconds: 60, sha256: 'ABC' },
      ];
      for (const input of invalidUploads) {
        await expect(
          storage.createUploadUrl({ key, ...input }),
          JSON.stringify(input),
        ).rejects.toBeInstanceOf(ValidationError);
      }
      await expect(storage.readRange(key, { offset: 0, length: 2 * 1024 * 1024 })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });
  });
}

/** The URL with the first of `names` present in its query changed by `change`. */
function withParam(url: string, names: string[], change: (value: string) => string): string {
  const parsed = new URL(url);
  const name = names.find((n) => parsed.searchParams.has(n));
  if (!name) throw new Error(`none of ${names.join(', ')} in ${url}`);
  parsed.searchParams.set(name, change(parsed.searchParams.get(name) ?? ''));
  return parsed.toString();
}

function flipLastCharacter(value: string): string {
  const last = value.at(-1);
  return value.slice(0, -1) + (last === 'A' || last === '0' ? 'B' : last === 'a' ? 'b' : 'A');
}
