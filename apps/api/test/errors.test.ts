import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConflictError,
  ERROR_CODES,
  type ErrorCode,
  ExternalServiceError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
  UnprocessableError,
  ValidationError,
} from '@atrium/domain/errors';
import { metricValue, useTestDatabase } from '@atrium/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_WIRE } from '../src/errors.ts';
import { createApp } from '../src/http.ts';
import { createServices, type Services } from '../src/services.ts';
import { publicProcedure, router } from '../src/trpc.ts';
import { callProcedure, testApiEnv } from './helpers.ts';

/** One procedure per error of the taxonomy, each throwing what a use case would throw. */
const THROWERS: Record<ErrorCode, () => never> = {
  VALIDATION_ERROR: () => {
    throw new ValidationError('Title is too long', { title: ['at most 255 characters'] });
  },
  UNAUTHENTICATED: () => {
    throw new UnauthenticatedError();
  },
  TOKEN_EXPIRED: () => {
    throw new UnauthenticatedError('Access token expired', 'TOKEN_EXPIRED');
  },
  TOKEN_STALE: () => {
    throw new UnauthenticatedError('Your permissions changed; refresh your session', 'TOKEN_STALE');
  },
  FORBIDDEN: () => {
    throw new ForbiddenError('Missing permission content.publish');
  },
  EMAIL_NOT_VERIFIED: () => {
    throw new ForbiddenError('Verify your email address first', 'EMAIL_NOT_VERIFIED');
  },
  NOT_FOUND: () => {
    throw new NotFoundError('Content');
  },
  CONFLICT: () => {
    throw new ConflictError('An open application already exists');
  },
  UNPROCESSABLE: () => {
    throw new UnprocessableError('Unsupported URL');
  },
  RATE_LIMITED: () => {
    throw new RateLimitedError(42);
  },
  BAD_GATEWAY: () => {
    throw new ExternalServiceError('BAD_GATEWAY', 'YouTube', 'YouTube answered with an error');
  },
  UNAVAILABLE: () => {
    throw new ExternalServiceError('UNAVAILABLE', 'AIMS', 'AIMS is unavailable');
  },
  INTERNAL: () => {
    throw new Error('relation "secret_table" does not exist at character 15');
  },
};

const EXPECTED_MESSAGE: Record<ErrorCode, string> = {
  VALIDATION_ERROR: 'Title is too long',
  UNAUTHENTICATED: 'Authentication required',
  TOKEN_EXPIRED: 'Access token expired',
  TOKEN_STALE: 'Your permissions changed; refresh your session',
  FORBIDDEN: 'Missing permission content.publish',
  EMAIL_NOT_VERIFIED: 'Verify your email address first',
  NOT_FOUND: 'Content not found',
  CONFLICT: 'An open application already exists',
  UNPROCESSABLE: 'Unsupported URL',
  RATE_LIMITED: 'Too many requests, try again later',
  BAD_GATEWAY: 'YouTube answered with an error',
  UNAVAILABLE: 'AIMS is unavailable',
  INTERNAL: 'Something went wrong on our side. The error has been logged',
};

const testRouter = router({
  ...Object.fromEntries(ERROR_CODES.map((code) => [code, publicProcedure.mutation(THROWERS[code])])),
  echo: publicProcedure
    .input(z.object({ title: z.string().min(1).max(5), count: z.number().int() }))
    .mutation(({ input }) => input),
});

describe('error taxonomy over HTTP (SPEC §10)', () => {
  const t = useTestDatabase();
  let services: Services;
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url));
    server = createApp(services, testRouter).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await services.close();
  });

  it.each(ERROR_CODES)('%s answers its status, stable code and message', async (code) => {
    const { status, body } = await callProcedure(baseUrl, code, { type: 'mutation' });
    expect(status).toBe(ERROR_WIRE[code].status);
    expect(body.error?.json.data.code).toBe(code);
    expect(body.error?.json.data.httpStatus).toBe(ERROR_WIRE[code].status);
    expect(body.error?.json.message).toBe(EXPECTED_MESSAGE[code]);
    expect(body.error?.json.data.requestId).toMatch(/.{8,}/);
  });

  it('carries field errors on a domain validation error', async () => {
    const { body } = await callProcedure(baseUrl, 'VALIDATION_ERROR', { type: 'mutation' });
    expect(body.error?.json.data.fieldErrors).toEqual({ title: ['at most 255 characters'] });
  });

  it('turns invalid input into 400 VALIDATION_ERROR with every field named', async () => {
    const { status, body } = await callProcedure(baseUrl, 'echo', {
      type: 'mutation',
      input: { title: 'too long title', count: 1.5 },
    });
    expect(status).toBe(400);
    expect(body.error?.json.data.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(body.error?.json.data.fieldErrors ?? {}).sort()).toEqual(['count', 'title']);
    expect(body.error?.json.message).toMatch(/^Invalid input at (title|count)/);
  });

  it('sets Retry-After on 429', async () => {
    const { status, headers, body } = await callProcedure(baseUrl, 'RATE_LIMITED', { type: 'mutation' });
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('42');
    expect(body.error?.json.data.retryAfterSeconds).toBe(42);
  });

  it('never leaks internals: no stack, no SQL text, and the request id to quote', async () => {
    const { body, headers } = await callProcedure(baseUrl, 'INTERNAL', {
      type: 'mutation',
      headers: { 'x-request-id': 'req-test-000001' },
    });
    const text = JSON.stringify(body);
    expect(text).not.toContain('secret_table');
    expect(body.error?.json.data.stack).toBeUndefined();
    expect(body.error?.json.data.requestId).toBe('req-test-000001');
    expect(headers.get('x-request-id')).toBe('req-test-000001');
  });

  it('answers an unknown procedure with 404 NOT_FOUND', async () => {
    const { status, body } = await callProcedure(baseUrl, 'nope.nothing');
    expect(status).toBe(404);
    expect(body.error?.json.data.code).toBe('NOT_FOUND');
  });

  it('counts errors by code in /metrics', async () => {
    await callProcedure(baseUrl, 'CONFLICT', { type: 'mutation' });
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(
      metricValue(text, 'atrium_trpc_errors_total', { procedure: 'CONFLICT', code: 'CONFLICT' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, 'atrium_trpc_procedure_duration_seconds_count', {
        procedure: 'echo',
        code: 'VALIDATION_ERROR',
      }),
    ).toBe(1);
  });
});
