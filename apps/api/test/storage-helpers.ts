import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '@atrium/domain/access/session';
import {
  createLocalObjectStorage,
  type LocalObjectStorage,
} from '@atrium/domain/platform/local-object-storage';
import type { Scanner } from '@atrium/domain/platform/scanner';
import type { TestDatabase } from '@atrium/testkit';
import { TRPCError } from '@trpc/server';
import { createInnerContext } from '../src/context.ts';
import { createApp } from '../src/http.ts';
import { appRouter } from '../src/router.ts';
import { createServices, type Services } from '../src/services.ts';
import { createCallerFactory } from '../src/trpc.ts';
import { testApiEnv } from './helpers.ts';

const createCaller = createCallerFactory(appRouter);

export interface StorageApi {
  services: Services;
  storage: LocalObjectStorage;
  /** The API (with `/objects`) on a real loopback port. */
  url: string;
  caller(session: Session, ip?: string): ReturnType<typeof createCaller>;
  close(): Promise<void>;
}

/**
 * The API's services with a local object storage served by the API itself on a real HTTP server, so
 * signed URLs are fetched as a browser would fetch them. `scanner` replaces the configured one.
 */
export async function startStorageApi(
  t: Pick<TestDatabase, 'url'>,
  options: { scanner?: Scanner; env?: Record<string, string> } = {},
): Promise<StorageApi> {
  const root = await mkdtemp(join(tmpdir(), 'atrium-api-storage-'));
  const base = await createServices(testApiEnv(t.url, options.env));
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const storage = createLocalObjectStorage({
    root,
    signingKey: 'api-storage-test-signing-key-0123456789',
    baseUrl: `${url}/objects`,
  });
  const services: Services = {
    ...base,
    objectStorage: storage,
    ...(options.scanner ? { scanner: options.scanner } : {}),
  };
  server.on('request', createApp(services));
  return {
    services,
    storage,
    url,
    caller: (session, ip = '198.51.100.20') => createCaller(createInnerContext({ services, session, ip })),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await base.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** PUTs `body` to a signed upload as a browser would. */
export async function uploadTo(
  upload: { url: string; method: 'PUT'; headers: Record<string, string> },
  body: Uint8Array,
): Promise<number> {
  const response = await fetch(upload.url, { method: upload.method, headers: upload.headers, body });
  await response.arrayBuffer();
  return response.status;
}

/** The domain error code a call failed with (`OK` when it did not), and its details. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) {
      const cause = error.cause as { code?: string; details?: Record<string, unknown> } | undefined;
      return { code: cause?.code ?? error.code, ...(cause?.details ? { details: cause.details } : {}) };
    }
    throw error;
  }
  return { code: 'OK' };
}
