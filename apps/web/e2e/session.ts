import type { APIRequestContext, Page } from 'playwright-core';

/**
 * Calls a tRPC procedure over plain HTTP the way the web app does (superjson envelope), from the
 * page's browser context — so cookies the answer sets (the `atrium_rt` refresh cookie) land in that
 * context. Returns the procedure's output (its superjson `json` part: Dates stay ISO strings).
 */
export async function callProcedure<T = unknown>(
  request: APIRequestContext,
  path: string,
  input: unknown,
  options: { type?: 'query' | 'mutation'; accessToken?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = options.accessToken
    ? { authorization: `Bearer ${options.accessToken}` }
    : {};
  const response =
    options.type === 'query'
      ? await request.get(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, {
          headers,
        })
      : await request.post(`/trpc/${path}`, { data: { json: input }, headers });
  const body = (await response.json().catch(() => null)) as {
    result?: { data?: { json?: T } };
    error?: { json?: { message?: string; data?: { code?: string } } };
  } | null;
  if (!response.ok() || !body?.result) {
    const error = body?.error?.json;
    throw new Error(
      `${path} answered HTTP ${response.status()}: ${error?.data?.code ?? 'no code'} ${error?.message ?? ''}`.trim(),
    );
  }
  return body.result.data?.json as T;
}

export interface SignedInAccount {
  accessToken: string;
  user: {
    id: string;
    orgId: string;
    email: string;
    name: string;
    roles: string[];
    mustChangePassword: boolean;
  };
}

/**
 * Signs the page's browser context in without the UI: `auth.login` through the page's own request
 * context sets the HttpOnly refresh cookie, and the app restores the session from it on its next
 * load (`page.goto(…)`) — the same way a returning user lands signed in. For tests of other areas.
 */
export async function signInWithApi(
  page: Page,
  credentials: { email: string; password: string },
): Promise<SignedInAccount> {
  return callProcedure<SignedInAccount>(page.context().request, 'auth.login', credentials);
}

/** Where a person lands after signing in: Home, at `/` (for `page.waitForURL(atHome)`). */
export function atHome(url: URL): boolean {
  return url.pathname === '/';
}
