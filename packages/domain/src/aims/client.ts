import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { systemClock } from '../platform/clock.ts';
import { AimsError, type AimsFailureKind } from './errors.ts';
import {
  AIMS_CLUSTERS,
  AIMS_MAX_BATCH,
  type AimsArticlePage,
  type AimsCallOutcome,
  type AimsClient,
  type AimsClientOptions,
  type AimsEndpoint,
  type AimsListedArticle,
  type AimsRetryPolicy,
  DEFAULT_AIMS_REQUEST_TIMEOUT_MS,
  DEFAULT_AIMS_RETRY_POLICY,
} from './types.ts';

/** An AIMS answer larger than this is refused rather than buffered (a page of 500 rich articles is ~1 MB). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Paging stops with an error beyond this many articles: a server ignoring `page` must not loop forever. */
const MAX_ARTICLES_PAGED = 1_000_000;
/** A token is renewed this long before it expires (at most a tenth of its life), so no call carries a dying one. */
const TOKEN_RENEWAL_MARGIN_MS = 60_000;
const MAX_MESSAGE_LENGTH = 300;

interface TokenState {
  accessToken: string;
  refreshToken: string | null;
  /** Clock time (ms) from which the token counts as expiring and is renewed. */
  renewAt: number;
}

interface AimsRequest {
  endpoint: AimsEndpoint;
  method: 'GET' | 'POST' | 'DELETE';
  /** Below `/api/v2`, e.g. `/common/articles`. */
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** Carries the bearer token (every call but the token endpoints). */
  authenticated: boolean;
}

/** A 2xx answer: its status, parsed JSON (undefined for 204 or an empty body), and the attempts it took. */
interface Answer {
  status: number;
  json: unknown;
  attempts: number;
}

type ExchangeBody = { parsed: true; json: unknown } | { parsed: false; reason: string };

type Exchange =
  | { kind: 'answer'; status: number; body: ExchangeBody; retryAfter: string | null }
  | { kind: 'timeout' }
  | { kind: 'network'; cause: unknown };

/** A transient failure of one attempt, kept to describe the call if the retries run out. */
interface TransientFailure {
  kind: Extract<AimsFailureKind, 'rate-limited' | 'server-error' | 'unreachable' | 'timeout'>;
  status?: number;
  detail: string;
  retryAfterMs?: number;
  cause?: unknown;
}

type Verdict =
  | { kind: 'ok'; outcome: 'ok'; status: number; json: unknown }
  | { kind: 'token-refused'; outcome: 'unauthorized'; status: number }
  | { kind: 'refused'; outcome: AimsCallOutcome; status: number; failure: AimsFailureKind; message: string }
  | { kind: 'transient'; outcome: AimsCallOutcome; status?: number; failure: TransientFailure };

const ZEnvelope = z.object({ responseCode: z.union([z.string(), z.number()]), responseMessage: z.unknown() });

const ZTokenAnswer = z.object({
  responseMessage: z.object({
    access_token: z.string().min(1),
    expires_in: z.number().positive(),
    refresh_token: z.string().min(1).optional(),
  }),
});

const ZArticleListAnswer = z.object({
  totalArticleCnt: z.number().int().nonnegative().optional(),
  articleList: z
    .array(
      z.object({
        articleId: z.string(),
        articleName: z.string().nullish(),
        nfcUrl: z.string().nullish(),
        EANs: z.array(z.string()).nullish(),
        data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullish(),
        labelCount: z.number().nullish(),
        generateDate: z.string().nullish(),
        lastUpdated: z.string().nullish(),
      }),
    )
    .max(AIMS_MAX_BATCH * 2),
});

/**
 * The AIMS adapter: one client per connection (base URL, cluster, company, store, credentials).
 * It keeps one access token, renews it before it expires (refresh token first, else the password),
 * and lets concurrent calls share one token request. A 401 drops the token and repeats the call once;
 * transient failures are retried within the call's budget (see AimsRetryPolicy). Failures surface as
 * AimsError, classified for the caller's own retry or dead-letter decision.
 */
export function createAimsClient(options: AimsClientOptions): AimsClient {
  const apiRoot = checkOptions(options);
  const httpFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const retry: AimsRetryPolicy = { ...DEFAULT_AIMS_RETRY_POLICY, ...options.retry };
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_AIMS_REQUEST_TIMEOUT_MS;
  const scope = { company: options.company, store: options.store };
  const host = new URL(options.baseUrl).host;

  let token: TokenState | null = null;
  let tokenInFlight: Promise<TokenState> | null = null;

  const report = (
    endpoint: AimsEndpoint,
    outcome: AimsCallOutcome,
    started: number,
    attempt: number,
    status?: number,
  ) => {
    try {
      options.onCall?.({
        endpoint,
        outcome,
        ms: Math.round(performance.now() - started),
        attempt,
        ...(status === undefined ? {} : { status }),
      });
    } catch {
      // A metrics hook must never fail an AIMS call.
    }
  };

  /** One HTTP exchange, bounded by the request timeout and the call's deadline. */
  async function exchange(
    request: AimsRequest,
    accessToken: string | undefined,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<Exchange> {
    const url = new URL(`${apiRoot}${request.path}`);
    for (const [key, value] of Object.entries(request.query)) url.searchParams.set(key, value);
    // AbortSignal.timeout takes whole milliseconds.
    const timeout = AbortSignal.timeout(
      Math.max(1, Math.ceil(Math.min(requestTimeoutMs, deadline - performance.now()))),
    );
    try {
      const response = await httpFetch(url, {
        method: request.method,
        headers: {
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        // A redirect is not part of AIMS's protocol; following one could carry the token elsewhere.
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return {
        kind: 'answer',
        status: response.status,
        body: parseBody(await readBounded(response)),
        retryAfter: response.headers.get('retry-after'),
      };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { kind: 'timeout' };
      return { kind: 'network', cause: error };
    }
  }

  /**
   * One AIMS call: attempts until a 2xx, a refusal, or the retry budget runs out. The deadline is
   * shared with the token request the call may have to wait for.
   */
  async function call(
    request: AimsRequest,
    signal?: AbortSignal,
    deadline = performance.now() + retry.maxElapsedMs,
  ): Promise<Answer> {
    const { endpoint } = request;
    let attempt = 0;
    let retriedUnauthorized = false;
    for (;;) {
      signal?.throwIfAborted();
      attempt++;
      const accessToken = request.authenticated ? await currentAccessToken(deadline, signal) : undefined;
      const started = performance.now();
      const verdict = judge(request, await exchange(request, accessToken, deadline, signal));
      report(endpoint, verdict.outcome, started, attempt, verdict.status);

      switch (verdict.kind) {
        case 'ok':
          return { status: verdict.status, json: verdict.json, attempts: attempt };
        case 'token-refused':
          // The token expired early or was revoked: take a new one and repeat the call, once.
          if (accessToken !== undefined) expireToken(accessToken);
          if (!retriedUnauthorized) {
            retriedUnauthorized = true;
            attempt--;
            continue;
          }
          throw new AimsError('unauthorized', 'AIMS refused a freshly issued access token', {
            endpoint,
            attempts: attempt,
            status: verdict.status,
          });
        case 'refused':
          throw new AimsError(verdict.failure, verdict.message, {
            endpoint,
            attempts: attempt,
            status: verdict.status,
          });
        case 'transient': {
          const { failure } = verdict;
          const delayMs =
            failure.retryAfterMs !== undefined
              ? Math.min(failure.retryAfterMs, retry.maxRetryAfterMs)
              : Math.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
          if (attempt >= retry.maxAttempts || performance.now() + delayMs >= deadline) {
            throw exhausted(endpoint, failure, attempt);
          }
          options.log?.warn(
            {
              aims: host,
              endpoint,
              attempt,
              failure: failure.kind,
              status: failure.status,
              delayMs: Math.round(delayMs),
            },
            'AIMS call failed, retrying',
          );
          try {
            await sleep(delayMs, undefined, signal ? { signal } : {});
          } catch (error) {
            if (signal?.aborted) throw signal.reason;
            throw error;
          }
        }
      }
    }
  }

  function exhausted(endpoint: AimsEndpoint, failure: TransientFailure, attempts: number): AimsError {
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    const message = {
      'rate-limited': `AIMS kept answering "too many requests" (${tries})`,
      'server-error': `AIMS kept failing (${failure.detail}; ${tries})`,
      unreachable: `AIMS at ${host} could not be reached (${failure.detail}; ${tries})`,
      timeout: `AIMS at ${host} did not answer in time (${tries})`,
    }[failure.kind];
    return new AimsError(failure.kind, message, {
      endpoint,
      attempts,
      status: failure.status,
      retryAfterMs: failure.retryAfterMs,
      cause: failure.cause,
    });
  }

  // --- tokens -------------------------------------------------------------------------------------

  async function requestTokens(
    endpoint: 'token.issue' | 'token.refresh',
    body: unknown,
    deadline: number,
  ): Promise<TokenState> {
    const answer = await call(
      {
        endpoint,
        method: 'POST',
        path: endpoint === 'token.issue' ? '/token' : '/token/refresh',
        query: endpoint === 'token.refresh' ? { company: options.company } : {},
        body,
        authenticated: false,
      },
      undefined,
      deadline,
    );
    const parsed = ZTokenAnswer.safeParse(answer.json);
    if (!parsed.success) {
      throw new AimsError(
        'bad-response',
        'AIMS answered the token request without an access token and its lifetime',
        { endpoint, attempts: answer.attempts, status: answer.status },
      );
    }
    const { access_token, expires_in, refresh_token } = parsed.data.responseMessage;
    const lifetimeMs = expires_in * 1000;
    token = {
      accessToken: access_token,
      refreshToken: refresh_token ?? null,
      renewAt: clock.now().getTime() + lifetimeMs - Math.min(TOKEN_RENEWAL_MARGIN_MS, lifetimeMs / 10),
    };
    return token;
  }

  async function renewToken(previous: TokenState | null, deadline: number): Promise<TokenState> {
    if (previous?.refreshToken) {
      try {
        return await requestTokens('token.refresh', { refreshToken: previous.refreshToken }, deadline);
      } catch (error) {
        // A refused refresh token (expired, rotated away) is no reason to fail: the password still works.
        if (!(error instanceof AimsError && error.permanent)) throw error;
      }
    }
    return requestTokens('token.issue', { username: options.username, password: options.password }, deadline);
  }

  /** A live access token; concurrent callers share one renewal (single flight). */
  async function currentAccessToken(deadline: number, signal?: AbortSignal): Promise<string> {
    const current = token;
    if (current && clock.now().getTime() < current.renewAt) return current.accessToken;
    if (!tokenInFlight) {
      tokenInFlight = renewToken(current, deadline).finally(() => {
        tokenInFlight = null;
      });
    }
    return (await untilAborted(tokenInFlight, signal)).accessToken;
  }

  /** After a 401: the token is dead, but its refresh token may still get a new one. */
  function expireToken(accessToken: string): void {
    if (token?.accessToken === accessToken) token = { ...token, renewAt: Number.NEGATIVE_INFINITY };
  }

  // --- the calls ----------------------------------------------------------------------------------

  async function listArticles(
    request: { page: number; size: number },
    signal?: AbortSignal,
  ): Promise<AimsArticlePage> {
    const { page, size } = request;
    if (!Number.isInteger(page) || page < 0)
      throw new ValidationError('page must be a whole number from 0', { page: ['from 0'] });
    if (!Number.isInteger(size) || size < 1 || size > AIMS_MAX_BATCH) {
      throw new ValidationError(`size must be from 1 to ${AIMS_MAX_BATCH}`, {
        size: [`from 1 to ${AIMS_MAX_BATCH}`],
      });
    }
    const answer = await call(
      {
        endpoint: 'articles.list',
        method: 'GET',
        path: '/common/articles',
        query: { ...scope, page: String(page), size: String(size), sort: 'articleId,asc' },
        authenticated: true,
      },
      signal,
    );
    if (answer.status === 204 || answer.json === undefined) return { page, size, total: 0, articles: [] };
    const parsed = ZArticleListAnswer.safeParse(answer.json);
    if (!parsed.success) {
      throw new AimsError('bad-response', 'AIMS answered the article list without a valid articleList', {
        endpoint: 'articles.list',
        attempts: answer.attempts,
        status: answer.status,
      });
    }
    const articles = parsed.data.articleList.map(
      (article): AimsListedArticle => ({
        articleId: article.articleId,
        articleName: article.articleName ?? '',
        nfcUrl: article.nfcUrl ?? '',
        eans: article.EANs ?? [],
        data: article.data ?? {},
        labelCount: article.labelCount ?? 0,
        generateDate: article.generateDate ?? null,
        lastUpdated: article.lastUpdated ?? null,
      }),
    );
    return { page, size, total: parsed.data.totalArticleCnt ?? articles.length, articles };
  }

  async function inBatches<T>(
    items: readonly T[],
    sendBatch: (batch: T[]) => Promise<unknown>,
  ): Promise<{ batches: number }> {
    let batches = 0;
    for (let start = 0; start < items.length; start += AIMS_MAX_BATCH) {
      await sendBatch(items.slice(start, start + AIMS_MAX_BATCH));
      batches++;
    }
    return { batches };
  }

  const labelCall = (
    endpoint: 'labels.link' | 'labels.unlink' | 'labels.page',
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ) => call({ endpoint, method: 'POST', path, query: scope, body, authenticated: true }, signal);

  return {
    async upsertArticles(articles, callOptions) {
      requireTexts(
        articles.map((article) => article.articleId),
        'articles[].articleId',
      );
      return inBatches(articles, (batch) =>
        call(
          {
            endpoint: 'articles.upsert',
            method: 'POST',
            path: '/common/articles',
            query: scope,
            body: batch,
            authenticated: true,
          },
          callOptions?.signal,
        ),
      );
    },

    async deleteArticles(articleIds, callOptions) {
      requireTexts(articleIds, 'articleIds');
      return inBatches(articleIds, (batch) =>
        call(
          {
            endpoint: 'articles.delete',
            method: 'DELETE',
            path: '/common/articles',
            query: scope,
            body: { articleDeleteList: batch },
            authenticated: true,
          },
          callOptions?.signal,
        ),
      );
    },

    listArticles: async (request, callOptions) => listArticles(request, callOptions?.signal),

    async *articlePages(pageOptions) {
      const size = pageOptions?.size ?? AIMS_MAX_BATCH;
      let previousFirstId: string | undefined;
      for (let page = 0; page * size < MAX_ARTICLES_PAGED; page++) {
        const result = await listArticles({ page, size }, pageOptions?.signal);
        const firstId = result.articles[0]?.articleId;
        if (firstId === undefined) return;
        if (firstId === previousFirstId) {
          throw new AimsError(
            'bad-response',
            `AIMS answered page ${page} with the articles of page ${page - 1}`,
            {
              endpoint: 'articles.list',
              attempts: 1,
            },
          );
        }
        previousFirstId = firstId;
        yield result;
        if (result.articles.length < size) return;
      }
      throw new AimsError('bad-response', `AIMS listed more than ${MAX_ARTICLES_PAGED} articles`, {
        endpoint: 'articles.list',
        attempts: 1,
      });
    },

    async flipPage(labelCode, page, callOptions) {
      requireText(labelCode, 'labelCode');
      if (!Number.isInteger(page) || page < 1 || page > 7) {
        throw new ValidationError('A label page is a whole number from 1 to 7', { page: ['from 1 to 7'] });
      }
      await labelCall(
        'labels.page',
        '/common/labels/page',
        { pageChangeList: [{ labelCode, page }] },
        callOptions?.signal,
      );
    },

    async linkLabel(labelCode, articleIds, linkOptions) {
      requireText(labelCode, 'labelCode');
      const articleIdList = typeof articleIds === 'string' ? [articleIds] : [...articleIds];
      if (articleIdList.length === 0)
        throw new ValidationError('A label needs an article to show', { articleIds: ['required'] });
      requireTexts(articleIdList, 'articleIds');
      const assignment = {
        labelCode,
        articleIdList,
        ...(linkOptions?.templateName === undefined ? {} : { templateName: linkOptions.templateName }),
      };
      await labelCall(
        'labels.link',
        '/common/labels/link',
        { assignList: [assignment] },
        linkOptions?.signal,
      );
    },

    async unlinkLabel(labelCode, callOptions) {
      requireText(labelCode, 'labelCode');
      await labelCall(
        'labels.unlink',
        '/common/labels/unlink',
        { unAssignList: [labelCode] },
        callOptions?.signal,
      );
    },

    async testConnection(callOptions) {
      const started = performance.now();
      await untilAborted(renewToken(null, performance.now() + retry.maxElapsedMs), callOptions?.signal);
      const page = await listArticles({ page: 0, size: 1 }, callOptions?.signal);
      return { ms: Math.round(performance.now() - started), articleCount: page.total };
    },
  };
}

/**
 * What one exchange means for the call: done, a token to replace, a refusal no retry inside the call
 * can fix, or a transient failure to retry.
 */
function judge(request: AimsRequest, result: Exchange): Verdict {
  if (result.kind === 'timeout') {
    return {
      kind: 'transient',
      outcome: 'timeout',
      failure: { kind: 'timeout', detail: 'no answer in time' },
    };
  }
  if (result.kind === 'network') {
    return {
      kind: 'transient',
      outcome: 'network_error',
      failure: { kind: 'unreachable', detail: networkReason(result.cause), cause: result.cause },
    };
  }
  const { status, body } = result;
  const aimsMessage = body.parsed ? messageOf(body.json) : undefined;
  const refused = (outcome: AimsCallOutcome, failure: AimsFailureKind, message: string): Verdict => ({
    kind: 'refused',
    outcome,
    status,
    failure,
    message,
  });

  if (status === 401) {
    if (request.authenticated) return { kind: 'token-refused', outcome: 'unauthorized', status };
    return request.endpoint === 'token.issue'
      ? refused('unauthorized', 'credentials', 'AIMS refused the username or password of this connection')
      : refused(
          'unauthorized',
          'rejected',
          `AIMS refused the refresh token (401 ${aimsMessage ?? 'Unauthorized'})`,
        );
  }
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = status === 429 ? parseRetryAfter(result.retryAfter) : undefined;
    return {
      kind: 'transient',
      outcome: status === 429 ? 'rate_limited' : 'server_error',
      status,
      failure: {
        kind: status === 429 ? 'rate-limited' : 'server-error',
        status,
        detail: `${status}${aimsMessage ? ` ${aimsMessage}` : ''}`,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
    };
  }
  if (status < 200 || status >= 300) {
    return refused(
      'rejected',
      'rejected',
      `AIMS refused the request (${status}${aimsMessage ? ` ${aimsMessage}` : ''})`,
    );
  }
  if (!body.parsed)
    return refused('bad_response', 'bad-response', `AIMS answered ${status}, but ${body.reason}`);
  if (body.json === undefined) return { kind: 'ok', outcome: 'ok', status, json: undefined };
  const envelope = ZEnvelope.safeParse(body.json);
  if (!envelope.success) {
    return refused(
      'bad_response',
      'bad-response',
      `AIMS answered ${status} without its {responseCode, responseMessage} envelope`,
    );
  }
  // AIMS can report a refusal inside a 2xx envelope; its responseCode then decides.
  const responseCode = String(envelope.data.responseCode);
  if (!responseCode.startsWith('2')) {
    return refused(
      'rejected',
      'rejected',
      `AIMS refused the request (${responseCode}${aimsMessage ? ` ${aimsMessage}` : ''})`,
    );
  }
  return { kind: 'ok', outcome: 'ok', status, json: body.json };
}

function parseBody(text: string | null): ExchangeBody {
  if (text === null) return { parsed: false, reason: 'the answer is too large' };
  if (text === '') return { parsed: true, json: undefined };
  try {
    return { parsed: true, json: JSON.parse(text) as unknown };
  } catch {
    return { parsed: false, reason: 'the answer is not JSON' };
  }
}

/** Validates the connection settings and returns the API root: base URL + cluster prefix + `/api/v2`. */
function checkOptions(options: AimsClientOptions): string {
  const fieldErrors: Record<string, string[]> = {};
  let base: URL | undefined;
  try {
    base = new URL(options.baseUrl);
  } catch {
    fieldErrors.baseUrl = ['must be a URL such as https://eu.common.solumesl.com'];
  }
  if (base) {
    const path = base.pathname.replace(/\/+$/, '');
    if (base.protocol !== 'https:' && base.protocol !== 'http:')
      fieldErrors.baseUrl = ['must start with https://'];
    else if (base.username || base.password || base.search || base.hash) {
      fieldErrors.baseUrl = ['must not carry credentials, a query or a fragment'];
    } else if (/\/(c1\/)?common$/.test(path)) {
      fieldErrors.baseUrl = [
        'must not end with the cluster path (/common or /c1/common): choose the cluster instead',
      ];
    }
  }
  if (!(AIMS_CLUSTERS as readonly string[]).includes(options.cluster))
    fieldErrors.cluster = ['must be common or c1'];
  for (const name of ['company', 'store', 'username', 'password'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') fieldErrors[name] = ['required'];
  }
  if (Object.keys(fieldErrors).length > 0 || !base) {
    throw new ValidationError('The AIMS connection settings are incomplete or invalid', fieldErrors);
  }
  const prefix = options.cluster === 'c1' ? '/c1/common' : '/common';
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${prefix}/api/v2`;
}

function requireTexts(values: readonly unknown[], name: string): void {
  const index = values.findIndex((value) => typeof value !== 'string' || value === '');
  if (index >= 0)
    throw new ValidationError(`${name} must not be empty (item ${index})`, { [name]: ['required'] });
}

function requireText(value: unknown, name: string): void {
  if (typeof value !== 'string' || value === '')
    throw new ValidationError(`${name} is required`, { [name]: ['required'] });
}

/** AIMS's `responseMessage` when it is text, shortened for an error message. */
function messageOf(json: unknown): string | undefined {
  const message = (json as { responseMessage?: unknown } | null | undefined)?.responseMessage;
  if (typeof message !== 'string' || message === '') return undefined;
  const clean = message.replace(/\p{Cc}+/gu, ' ').trim();
  return clean.length > MAX_MESSAGE_LENGTH ? `${clean.slice(0, MAX_MESSAGE_LENGTH)}…` : clean;
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** undici reports "fetch failed" and puts the reason (ECONNREFUSED, a reset socket) in `cause`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : 'network error';
}

/** The body as text, or null when it passes MAX_RESPONSE_BYTES (the rest is not read). */
async function readBounded(response: Response): Promise<string | null> {
  if (Number(response.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    return null;
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await response.body.cancel();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Waits for a shared promise, but lets this caller's signal end its own wait. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
