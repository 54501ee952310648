import type { RunningAimsSimulator } from '../src/index.ts';

/** A bare AIMS answer as the wire carried it: status, headers and the parsed JSON body (null for none). */
export interface WireAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | null;
}

export interface WireRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  cluster?: 'common' | 'c1';
  token?: string;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Raw HTTP against the simulator, so the protocol tests see exactly what goes over the socket (the
 * AIMS client in @atrium/domain is tested separately, against this same simulator).
 */
export async function aimsCall(
  sim: RunningAimsSimulator,
  path: string,
  request: WireRequest = {},
): Promise<WireAnswer> {
  const prefix = request.cluster === 'c1' ? '/c1/common' : '/common';
  const url = new URL(`${sim.url}${prefix}${path}`);
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
  const response = await fetch(url, {
    method: request.method ?? 'GET',
    headers: {
      ...(request.token ? { authorization: `Bearer ${request.token}` } : {}),
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
  };
}

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
}

export async function issueToken(
  sim: RunningAimsSimulator,
  username: string,
  password: string,
  cluster: 'common' | 'c1' = 'common',
): Promise<IssuedTokens> {
  const answer = await aimsCall(sim, '/api/v2/token', {
    method: 'POST',
    cluster,
    body: { username, password },
  });
  if (answer.status !== 200) throw new Error(`token request answered ${answer.status}`);
  return answer.body?.responseMessage as IssuedTokens;
}

export function articles(count: number, prefix = 'A', from = 0) {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}${String(from + i).padStart(6, '0')}`;
    return { articleId: id, articleName: `Article ${id}`, nfcUrl: '', eans: [], data: { INDEX: from + i } };
  });
}
