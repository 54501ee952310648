import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultApplied } from './call-log.ts';
import type { Company } from './companies.ts';
import { AimsFailure, invalidParameter, invalidStoreCode, licenseError, unauthorized } from './failures.ts';
import { readJsonBody, sendEnvelope, sendJson } from './http.ts';
import type { SimulatorState } from './simulator.ts';
import type { StoreData } from './store.ts';
import type { AimsCluster } from './tokens.ts';

/** What an AIMS endpoint answers: a JSON body (the envelope included) or 204 No Content. */
type Answer = { status: 200; body: Record<string, unknown> } | { status: 204 };

interface TokenRoute {
  kind: 'token';
  /** Whose faults and call log the request belongs to, before it is authenticated. */
  companyOf(state: SimulatorState, cluster: AimsCluster, body: unknown): Company | undefined;
  run(state: SimulatorState, cluster: AimsCluster, body: unknown, query: URLSearchParams): Answer;
}

interface StoreRoute {
  kind: 'store';
  run(store: StoreData, body: unknown, query: URLSearchParams): Answer;
}

type Route = TokenRoute | StoreRoute;
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const SUCCESS: Answer = { status: 200, body: { responseCode: '200', responseMessage: 'SUCCESS' } };

const upsertArticles: StoreRoute = {
  kind: 'store',
  run(store, body) {
    store.upsertArticles(body);
    return SUCCESS;
  },
};

/** The AIMS paths the simulator speaks, as the OpenAPI document writes them (below the cluster prefix). */
const ROUTES: Record<string, Partial<Record<Method, Route>>> = {
  '/api/v2/token': {
    POST: {
      kind: 'token',
      companyOf: (state, cluster, body) => {
        const username = field(body, 'username');
        return typeof username === 'string' ? state.companies.byUser(username, cluster) : undefined;
      },
      run(state, cluster, body) {
        const username = field(body, 'username');
        const password = field(body, 'password');
        if (typeof username !== 'string' || typeof password !== 'string') {
          throw invalidParameter('username and password are required');
        }
        const company = state.companies.byUser(username, cluster);
        if (!company || company.users.get(username) !== password) throw unauthorized();
        return tokenAnswer(state, company, username, cluster);
      },
    },
  },
  '/api/v2/token/refresh': {
    POST: {
      kind: 'token',
      companyOf: (state, cluster, body) => {
        const refreshToken = field(body, 'refreshToken');
        const owner =
          typeof refreshToken === 'string' ? state.tokens.refreshTokenOwner(refreshToken, cluster) : null;
        return owner ? state.companies.get(owner.company) : undefined;
      },
      run(state, cluster, body, query) {
        const refreshToken = field(body, 'refreshToken');
        if (typeof refreshToken !== 'string' || refreshToken === '') {
          throw invalidParameter('refreshToken is required');
        }
        const owner = state.tokens.redeemRefreshToken(refreshToken, cluster, query.get('company'));
        const company = owner && state.companies.get(owner.company);
        if (!owner || !company?.users.has(owner.username)) throw unauthorized();
        return tokenAnswer(state, company, owner.username, cluster);
      },
    },
  },
  '/api/v2/common/articles': {
    GET: { kind: 'store', run: (store, _body, query) => listAnswer(store.listArticles(query)) },
    POST: upsertArticles,
    PUT: upsertArticles,
    DELETE: {
      kind: 'store',
      run(store, body) {
        store.deleteArticles(body);
        return SUCCESS;
      },
    },
  },
  '/api/v2/common/labels': {
    GET: { kind: 'store', run: (store, _body, query) => listAnswer(store.listLabels(query)) },
  },
  '/api/v2/common/labels/link': {
    POST: {
      kind: 'store',
      run(store, body) {
        store.linkLabels(body);
        return SUCCESS;
      },
    },
  },
  '/api/v2/common/labels/unlink': {
    POST: {
      kind: 'store',
      run(store, body) {
        store.unlinkLabels(body);
        return SUCCESS;
      },
    },
  },
  '/api/v2/common/labels/page': {
    POST: {
      kind: 'store',
      run(store, body) {
        store.changePages(body);
        return SUCCESS;
      },
    },
  },
};

const STATUS_MESSAGES: Record<number, string> = {
  429: 'Too Many Requests',
  500: 'Failed to process request operation',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface AimsRequest {
  cluster: AimsCluster;
  /** The path below the cluster prefix, e.g. `/api/v2/common/articles`. */
  path: string;
  query: URLSearchParams;
  maxBodyBytes: number;
}

/**
 * One AIMS call: routing, the body, the company's faults, then the protocol (token, company and store
 * checks, the operation). Every answer is an envelope; every call of a known company is logged.
 */
export async function handleAimsRequest(
  state: SimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  call: AimsRequest,
): Promise<void> {
  const started = performance.now();
  const methods = ROUTES[call.path];
  if (!methods) return sendEnvelope(response, 404, 'Not Found');
  const route = methods[request.method as Method];
  if (!route)
    return sendEnvelope(response, 405, 'Method Not Allowed', { allow: Object.keys(methods).join(', ') });

  const endpoint = `${request.method} ${call.path}`;
  let company: Company | undefined;
  const log = (status: number | 'timeout' | 'down', fault: FaultApplied | null) => {
    if (!company) return;
    state.calls.record(company.code, {
      at: new Date(state.now()).toISOString(),
      cluster: call.cluster,
      endpoint,
      status,
      fault,
      ms: Math.round(performance.now() - started),
    });
  };
  const fail = (failure: AimsFailure, fault: FaultApplied | null = null) => {
    sendEnvelope(
      response,
      failure.status,
      failure.message,
      failure.status === 413 ? { connection: 'close' } : {},
    );
    log(failure.status, fault);
  };

  if (route.kind === 'store') company = state.companies.get(call.query.get('company') ?? '');
  let body: unknown;
  try {
    body = await readJsonBody(request, call.maxBodyBytes);
  } catch (error) {
    if (error instanceof AimsFailure) return fail(error);
    throw error;
  }
  if (route.kind === 'token') company = route.companyOf(state, call.cluster, body);

  if (company) {
    const faults = state.faultsOf(company.code);
    if (faults.down) {
      log('down', 'down');
      request.socket.destroy();
      return;
    }
    const delay = faults.latencyMs + state.random() * faults.latencyJitterMs;
    if (delay > 0) await sleep(delay);
    if (state.random() < faults.timeoutRate) {
      // Left unanswered: the client's timeout ends it, or the simulator closing does.
      log('timeout', 'timeout');
      return;
    }
    if (state.random() < faults.rateLimitRate) {
      sendEnvelope(response, 429, STATUS_MESSAGES[429]!, { 'retry-after': String(faults.retryAfterSeconds) });
      return log(429, 'rate-limited');
    }
    if (state.random() < faults.serverErrorRate) {
      return fail(
        new AimsFailure(faults.serverErrorStatus, STATUS_MESSAGES[faults.serverErrorStatus]!),
        'server-error',
      );
    }
  }

  let answer: Answer;
  try {
    if (route.kind === 'token') {
      answer = route.run(state, call.cluster, body, call.query);
    } else {
      const authorised = authorise(state, request, call);
      if (authorised.revoked) return fail(unauthorized(), 'token-revoked');
      answer = route.run(authorised.store, body, call.query);
    }
  } catch (error) {
    if (error instanceof AimsFailure) return fail(error);
    throw error;
  }
  if (answer.status === 204) {
    response.writeHead(204).end();
  } else {
    sendJson(response, 200, answer.body);
  }
  log(answer.status, null);
}

/**
 * The checks of every store call, in the order a gateway makes them: a live bearer token of this
 * cluster (401), `company` present (405) and the token's own (403 License Error), `store` present
 * (405) and the company's (405 Invalid Store Code).
 */
function authorise(
  state: SimulatorState,
  request: IncomingMessage,
  call: AimsRequest,
): { revoked: true } | { revoked: false; store: StoreData } {
  const bearer = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const owner = bearer ? state.tokens.verify(bearer, call.cluster) : null;
  if (!bearer || !owner) throw unauthorized();
  const faults = state.faultsOf(owner.company);
  if (faults.revokeNextTokens > 0) {
    faults.revokeNextTokens--;
    state.tokens.revoke(bearer);
    return { revoked: true };
  }
  const companyCode = call.query.get('company');
  if (!companyCode) throw invalidParameter('company is required');
  if (companyCode !== owner.company) throw licenseError();
  const storeCode = call.query.get('store');
  if (!storeCode) throw invalidParameter('store is required');
  const store = state.companies.get(companyCode)?.stores.get(storeCode);
  if (!store) throw invalidStoreCode();
  return { revoked: false, store };
}

function tokenAnswer(
  state: SimulatorState,
  company: Company,
  username: string,
  cluster: AimsCluster,
): Answer {
  const tokens = state.tokens.issue(
    { company: company.code, username, cluster },
    { accessSeconds: company.tokenLifetimeSeconds, refreshSeconds: company.refreshTokenLifetimeSeconds },
  );
  return { status: 200, body: { responseCode: '200', responseMessage: tokens } };
}

function listAnswer(page: Record<string, unknown> | null): Answer {
  return page
    ? { status: 200, body: { ...page, responseCode: '200', responseMessage: 'SUCCESS' } }
    : { status: 204 };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}
