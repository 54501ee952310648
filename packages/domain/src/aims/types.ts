import type { Clock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';

/** The two AIMS SaaS clusters. The cluster is a path prefix on the host: `/common` or `/c1/common`. */
export const AIMS_CLUSTERS = ['common', 'c1'] as const;
export type AimsCluster = (typeof AIMS_CLUSTERS)[number];

/** AIMS takes at most this many articles (or labels) in one call. */
export const AIMS_MAX_BATCH = 500;

export type AimsDataValue = string | number | boolean | null;

/** An article as AIMS stores it: what an ESL template renders. */
export interface AimsArticle {
  articleId: string;
  articleName?: string;
  nfcUrl?: string;
  eans?: string[];
  /** The template's fields (`field_mapping` of the connection decides which). */
  data?: Record<string, AimsDataValue>;
}

/** An article as `GET /articles` lists it. */
export interface AimsListedArticle {
  articleId: string;
  articleName: string;
  nfcUrl: string;
  eans: string[];
  data: Record<string, AimsDataValue>;
  /** How many labels show it. */
  labelCount: number;
  /** AIMS's own timestamps (`2021-05-12 08:58:56.069575`, UTC), null when it sent none. */
  generateDate: string | null;
  lastUpdated: string | null;
}

export interface AimsArticlePage {
  page: number;
  size: number;
  /** `totalArticleCnt`: the articles of the store; 0 for an empty store. */
  total: number;
  articles: AimsListedArticle[];
}

/** One label of the metrics: low-cardinality names of the calls the client makes. */
export const AIMS_ENDPOINTS = [
  'token.issue',
  'token.refresh',
  'articles.upsert',
  'articles.delete',
  'articles.list',
  'labels.link',
  'labels.unlink',
  'labels.page',
] as const;
export type AimsEndpoint = (typeof AIMS_ENDPOINTS)[number];

/** How one HTTP exchange with AIMS ended (one per attempt, retries included). */
export const AIMS_CALL_OUTCOMES = [
  'ok',
  'unauthorized',
  'rate_limited',
  'server_error',
  'rejected',
  'bad_response',
  'timeout',
  'network_error',
] as const;
export type AimsCallOutcome = (typeof AIMS_CALL_OUTCOMES)[number];

export interface AimsCallEvent {
  endpoint: AimsEndpoint;
  outcome: AimsCallOutcome;
  /** Wall time of this attempt, in ms. */
  ms: number;
  /** The HTTP status, when AIMS answered. */
  status?: number;
  /** 1 for the first attempt of a call. */
  attempt: number;
}

/**
 * Retries inside one call, for transient failures (5xx, 429, 408, network errors, timeouts): full
 * jitter, `random(0, min(maxDelayMs, baseDelayMs · 2^(attempt-1)))`, or the server's Retry-After
 * (at most `maxRetryAfterMs`). The call gives up after `maxAttempts`, or sooner when the next wait
 * would pass `maxElapsedMs` since the call began; every attempt's timeout is clipped to that budget.
 */
export interface AimsRetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxElapsedMs: number;
  maxRetryAfterMs: number;
}

export const DEFAULT_AIMS_RETRY_POLICY: Readonly<AimsRetryPolicy> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxElapsedMs: 30_000,
  maxRetryAfterMs: 10_000,
});

/** One HTTP request's limit, connecting and reading the whole answer included. */
export const DEFAULT_AIMS_REQUEST_TIMEOUT_MS = 15_000;

export interface AimsClientOptions {
  /** Scheme and host of the AIMS deployment (an optional path prefix allowed), without the cluster path. */
  baseUrl: string;
  cluster: AimsCluster;
  company: string;
  store: string;
  username: string;
  password: string;
  /** Defaults to the global fetch (undici). */
  fetch?: typeof fetch;
  /** When tokens expire; defaults to the system clock. */
  clock?: Clock;
  retry?: Partial<AimsRetryPolicy>;
  requestTimeoutMs?: number;
  /** Called after every HTTP exchange (metrics). A throwing hook is ignored. */
  onCall?: (event: AimsCallEvent) => void;
  /** Retries and failures are logged here: endpoint, status, outcome, attempt; never credentials or tokens. */
  log?: LogSink;
}

export interface AimsCallOptions {
  /** Abandons the call (and its retries) when aborted; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The AIMS calls of one connection (one company and store). Every method rejects with AimsError only (or the caller's abort reason). */
export interface AimsClient {
  /** Adds or replaces articles, in calls of at most 500, one after another. Idempotent. */
  upsertArticles(articles: readonly AimsArticle[], options?: AimsCallOptions): Promise<{ batches: number }>;
  /** Deletes articles by id, in calls of at most 500; ids AIMS does not hold are ignored. */
  deleteArticles(articleIds: readonly string[], options?: AimsCallOptions): Promise<{ batches: number }>;
  /** One page of the store's articles in articleId order; an empty page past the end. */
  listArticles(request: { page: number; size: number }, options?: AimsCallOptions): Promise<AimsArticlePage>;
  /** Every page of the store's articles, from page 0 until a short or empty page. */
  articlePages(
    options?: AimsCallOptions & { size?: number },
  ): AsyncGenerator<AimsArticlePage, void, undefined>;
  /** Makes the label display page 1..7 of its template. */
  flipPage(labelCode: string, page: number, options?: AimsCallOptions): Promise<void>;
  /** Makes the label show these articles (one, or several for multi-article templates), from page 1. */
  linkLabel(
    labelCode: string,
    articleIds: string | readonly string[],
    options?: AimsCallOptions & { templateName?: string },
  ): Promise<void>;
  /** Makes the label show nothing. */
  unlinkLabel(labelCode: string, options?: AimsCallOptions): Promise<void>;
  /**
   * Checks the connection as configured: requests a new token with the username and password (never a
   * cached one), then reads one article of the store, which checks company and store too.
   */
  testConnection(options?: AimsCallOptions): Promise<{ ms: number; articleCount: number }>;
}
