import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** What an S3 adapter under test is configured with (path-style, s3rver's fixed credentials). */
export interface S3Server {
  /** `http://127.0.0.1:<port>`: S3_ENDPOINT. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface RunningS3Server extends S3Server {
  stop(): Promise<void>;
}

// s3rver's built-in account: the only credentials it accepts.
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';
const REGION = 'us-east-1';

/**
 * s3rver 3.7 (an S3-compatible server in Node) on an ephemeral loopback port, storing under a fresh
 * temp directory with one empty bucket, removed again by `stop()`.
 *
 * s3rver checks the expiry of presigned URLs but not their SigV4 signatures ("V4 signatures have
 * incomplete support"), so a tampered URL, or an upload of another size than the signed
 * Content-Length, would pass. A real S3 refuses both, and the adapter relies on it. So presigned
 * requests (those with `X-Amz-Signature` in the query) are checked here first, by the SigV4 query
 * algorithm, and answered 403 `SignatureDoesNotMatch` like S3 does. Requests the SDK signs in the
 * Authorization header go to s3rver as they are.
 */
export async function startS3Server(options: { bucket?: string } = {}): Promise<RunningS3Server> {
  const bucket = options.bucket ?? 'atrium-test';
  // Loaded here, not with the testkit: s3rver brings Koa, winston and more, which test files that
  // never start it should not pay for.
  const { default: S3rver } = await import('s3rver');
  const directory = await mkdtemp(join(tmpdir(), 'atrium-s3-'));
  const s3rver = new S3rver({
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();

  const server: Server = createServer((req, res) => {
    const mismatch = presignedSignatureMismatch(req, SECRET_ACCESS_KEY);
    if (mismatch) return refuse(res, mismatch);
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: REGION,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** An s3rver for this test file: started before its tests, stopped after them. */
export function useS3Server(options: { bucket?: string } = {}): S3Server {
  let running: RunningS3Server | undefined;
  beforeAll(async () => {
    running = await startS3Server(options);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): RunningS3Server => {
    if (!running) throw new Error('useS3Server(): use the server inside a test or hook');
    return running;
  };
  return {
    get endpoint() {
      return current().endpoint;
    },
    get bucket() {
      return current().bucket;
    },
    region: REGION,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
  };
}

/**
 * Why a presigned (query-signed) SigV4 request does not verify, or null when it does or is not one.
 * AWS Signature Version 4, "Authenticating requests: using query parameters": the canonical request
 * is method, URI, sorted query without the signature, the signed headers' values, their names, and
 * the payload hash (`UNSIGNED-PAYLOAD` for presigned URLs).
 */
function presignedSignatureMismatch(req: IncomingMessage, secretAccessKey: string): string | null {
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  if (queryStart === -1) return null;
  const rawPath = rawUrl.slice(0, queryStart);
  let pairs: [string, string][];
  try {
    pairs = rawUrl
      .slice(queryStart + 1)
      .split('&')
      .filter(Boolean)
      .map((pair) => {
        const equals = pair.indexOf('=');
        const name = equals === -1 ? pair : pair.slice(0, equals);
        const value = equals === -1 ? '' : pair.slice(equals + 1);
        return [decodeURIComponent(name), decodeURIComponent(value)];
      });
  } catch {
    return 'The query string is not valid percent-encoding';
  }
  const params = new Map(pairs);
  const signature = params.get('X-Amz-Signature');
  if (signature === undefined) return null;

  const credential = params.get('X-Amz-Credential')?.split('/') ?? [];
  const [accessKeyId, date, region, service, terminator] = credential;
  const amzDate = params.get('X-Amz-Date') ?? '';
  const signedHeaders = (params.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (accessKeyId === undefined || terminator !== 'aws4_request' || !date || !region || !service) {
    return 'X-Amz-Credential is malformed';
  }

  const canonicalUri = rawPath
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  const canonicalQuery = pairs
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headerValue(req, name)}\n`).join('');
  const canonicalRequest = [
    req.method ?? 'GET',
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    params.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'The request signature we calculated does not match the signature you provided.';
  }
  return null;
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case), as SigV4 requires. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function refuse(res: ServerResponse, message: string): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>SignatureDoesNotMatch</Code><Message>${message}</Message></Error>`;
  res.writeHead(403, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
