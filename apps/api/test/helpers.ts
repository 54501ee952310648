import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRedisUrl } from '@atrium/testkit';
import { type ApiEnv, parseApiEnv } from '../src/env.ts';

/** A validated API env for tests: real database and (when the run has one) real Redis. */
export function testApiEnv(databaseUrl: string, overrides: Record<string, string | undefined> = {}): ApiEnv {
  return parseApiEnv({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: testRedisUrl() ?? undefined,
    LOG_LEVEL: 'silent',
    API_PORT: '0',
    DATABASE_POOL_SIZE: '4',
    // Tests speak for many clients from one socket by setting X-Forwarded-For.
    TRUST_PROXY: 'loopback',
    // Objects of test runs live in the system's temp directory, never in the package.
    OBJECT_STORAGE_DIR: join(tmpdir(), 'atrium-api-test-objects'),
    ...overrides,
  });
}

/** Calls a tRPC procedure over HTTP the way any client would, returning status, headers and body. */
export async function callProcedure(
  baseUrl: string,
  path: string,
  options: { type?: 'query' | 'mutation'; input?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: TrpcResponseBody }> {
  const type = options.type ?? 'query';
  const encoded = options.input === undefined ? undefined : { json: options.input };
  const url =
    type === 'query'
      ? `${baseUrl}/trpc/${path}${encoded ? `?input=${encodeURIComponent(JSON.stringify(encoded))}` : ''}`
      : `${baseUrl}/trpc/${path}`;
  const response = await fetch(url, {
    method: type === 'query' ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: type === 'mutation' ? JSON.stringify(encoded ?? {}) : undefined,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as TrpcResponseBody,
  };
}

export interface TrpcResponseBody {
  result?: { data: { json: unknown } };
  error?: {
    json: {
      message: string;
      code: number;
      data: {
        code: string;
        httpStatus: number;
        requestId?: string;
        fieldErrors?: Record<string, string[]>;
        retryAfterSeconds?: number;
        path?: string;
        stack?: string;
      };
    };
  };
}
