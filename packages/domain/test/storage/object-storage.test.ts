import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useS3Server } from '@atrium/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createLocalObjectHandler } from '../../src/platform/local-object-http.ts';
import { createLocalObjectStorage } from '../../src/platform/local-object-storage.ts';
import { createS3ObjectStorage } from '../../src/platform/s3-object-storage.ts';
import { objectStorageContract } from './object-storage.contract.ts';

// Local adapter: files in a temp directory, URLs answered by its handler on a real HTTP server.
let root: string;
let server: Server;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'atrium-objects-'));
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

objectStorageContract('local filesystem + /objects handler', {
  async create() {
    const { port } = server.address() as AddressInfo;
    const storage = createLocalObjectStorage({
      root,
      signingKey: 'test-signing-key-test-signing-key-0123456789',
      baseUrl: `http://127.0.0.1:${port}/objects`,
    });
    const handler = createLocalObjectHandler(storage);
    server.on('request', (req, res) => {
      if (!req.url?.startsWith('/objects/')) {
        res.statusCode = 404;
        res.end();
        return;
      }
      req.url = req.url.slice('/objects'.length);
      handler(req, res);
    });
    return storage;
  },
  verifiesChecksumAtUpload: true,
  sendsNosniff: true,
  servesSuffixRanges: true,
});

const s3 = useS3Server();

objectStorageContract('S3 adapter → s3rver', {
  async create() {
    return createS3ObjectStorage({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
  },
  verifiesChecksumAtUpload: false,
  sendsNosniff: false,
  servesSuffixRanges: false,
});
