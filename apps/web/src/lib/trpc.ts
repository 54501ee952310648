import type { AppRouter } from '@atrium/api/router';
import type { DataTag } from '@tanstack/react-query';
import {
  createTRPCClient,
  getUntypedClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  type TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import superjson from 'superjson';
import { ApiUnreachableError } from './errors.ts';

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Same origin in every setup: Vite's dev/preview proxy, the e2e static server and `pnpm start`. */
const TRPC_URL = '/trpc';

type AuthTokenGetter = () => string | null | Promise<string | null>;
let getAuthToken: AuthTokenGetter = () => null;

/**
 * The session (src/auth) plugs its access-token source in here. Every HTTP call then carries
 * `Authorization: Bearer …`, which the API reads.
 */
export function setAuthTokenGetter(getter: AuthTokenGetter): void {
  getAuthToken = getter;
}

/** How the session recovers from, and learns about, failed calls (installed by src/auth). */
export interface AuthRecovery {
  /**
   * Called when a call was refused with TOKEN_EXPIRED or TOKEN_STALE. `rejectedToken` is the token
   * the call went out with: when the session already holds a newer one, no refresh is needed.
   * Resolves true when the call should be retried (once) with the new token.
   */
  refresh(rejectedToken: string | null): Promise<boolean>;
  /** Every call that finally failed, so the session can react (ended session, pending password change). */
  observe(error: TRPCClientError<AppRouter>, path: string): void;
}

let authRecovery: AuthRecovery | null = null;

export function setAuthRecovery(recovery: AuthRecovery): void {
  authRecovery = recovery;
}

/**
 * Set in a call's tRPC context (`{ context: { [SKIP_AUTH_RECOVERY]: true } }`) to fail instead of
 * refreshing: for calls made while a refresh is being completed, which would otherwise wait on it.
 */
export const SKIP_AUTH_RECOVERY = 'skipAuthRecovery';

/** Codes that mean "get a new access token and try again" (SPEC §10). */
const REFRESHABLE_CODES: ReadonlySet<string> = new Set(['TOKEN_EXPIRED', 'TOKEN_STALE']);

/**
 * Retries a call once after a silent refresh when its access token expired or went stale (a role
 * change bumped the permission version). `auth.*` calls are never retried: a refused refresh is the
 * end of the session, not a reason for another refresh.
 */
const authRecoveryLink: TRPCLink<AppRouter> =
  () =>
  ({ op, next }) =>
    observable((observer) => {
      let current: Unsubscribable | null = null;
      let closed = false;
      const attempt = async (retried: boolean) => {
        const token = await getAuthToken();
        if (closed) return;
        current = next(op).subscribe({
          next: (value) => observer.next(value),
          complete: () => observer.complete(),
          error: (error) => {
            const code = error.data?.code;
            const recovery = authRecovery;
            if (
              !retried &&
              recovery &&
              !op.path.startsWith('auth.') &&
              op.context[SKIP_AUTH_RECOVERY] !== true &&
              typeof code === 'string' &&
              REFRESHABLE_CODES.has(code)
            ) {
              recovery.refresh(token).then(
                (refreshed) => {
                  if (closed) return;
                  if (refreshed) {
                    void attempt(true);
                    return;
                  }
                  recovery.observe(error, op.path);
                  observer.error(error);
                },
                () => {
                  if (!closed) observer.error(error);
                },
              );
              return;
            }
            recovery?.observe(error, op.path);
            observer.error(error);
          },
        });
      };
      void attempt(false);
      return () => {
        closed = true;
        current?.unsubscribe();
      };
    });

/**
 * fetch for the tRPC links that names the failure when no API answered (connection refused, or a
 * proxy's error page instead of JSON); tRPC alone would report a JSON parse error.
 */
async function fetchFromApi(input: RequestInfo | URL | string, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(input, init);
  } catch (error) {
    if (init?.signal?.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiUnreachableError(`Could not connect to the API at ${TRPC_URL}: ${reason}`);
  }
  if (!response.headers.get('content-type')?.includes('application/json')) {
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new ApiUnreachableError(`${TRPC_URL} answered ${status} instead of an API response`);
  }
  return response;
}

/**
 * The vanilla tRPC client; components use it through `api` (TanStack Query helpers) below.
 *
 * Queries and mutations go through `httpBatchLink`, not `httpBatchStreamLink`: streaming works with
 * superjson, but a streamed response commits its status and headers before any procedure finishes,
 * so `Set-Cookie` (sign-in, refresh), `Retry-After` and real 4xx/5xx statuses could not be sent.
 * Subscriptions (SSE) have their own terminating link; EventSource cannot send headers, so they carry
 * the access token as a connection parameter.
 */
export const trpc: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({
        url: TRPC_URL,
        transformer: superjson,
        // EventSource cannot send headers: the API reads a subscription's access token from its
        // connection parameters instead (apps/api/src/context.ts, docs/realtime.md).
        connectionParams: async () => {
          const token = await getAuthToken();
          return token ? { token } : {};
        },
      }),
      false: [
        authRecoveryLink,
        httpBatchLink({
          url: TRPC_URL,
          transformer: superjson,
          fetch: (input, init) => fetchFromApi(input, init as RequestInit | undefined),
          async headers() {
            const token = await getAuthToken();
            return token ? { authorization: `Bearer ${token}` } : {};
          },
        }),
      ],
    }),
  ],
});

// ---------------------------------------------------------------------------------------------------
// TanStack Query helpers: `useQuery(api.system.info.queryOptions())`,
// `useMutation(api.content.create.mutationOptions())`,
// `queryClient.invalidateQueries({ queryKey: api.content.pathKey() })`.
// The same shape as @trpc/tanstack-react-query (whose peer ranges don't match our versions), so
// moving to it later is a search-and-replace.

/** `[path, { input, type }]`: a router's `pathKey()` is a prefix of all its procedures' keys. */
export type ProcedureKey = readonly [path: readonly string[], meta?: { input?: unknown; type: 'query' }];

type InputArgs<TInput> = undefined extends TInput ? [input?: TInput] : [input: TInput];

export interface QueryProcedureHelpers<TInput, TOutput> {
  queryKey(...args: InputArgs<TInput>): DataTag<ProcedureKey, TOutput>;
  queryOptions(...args: InputArgs<TInput>): {
    queryKey: DataTag<ProcedureKey, TOutput>;
    queryFn: (context: { signal: AbortSignal }) => Promise<TOutput>;
  };
}

export interface MutationProcedureHelpers<TInput, TOutput> {
  mutationKey(): readonly [path: readonly string[]];
  mutationOptions(): {
    mutationKey: readonly [path: readonly string[]];
    mutationFn: (input: TInput) => Promise<TOutput>;
  };
}

interface RouterHelpers {
  pathKey(): ProcedureKey;
}

type QueryLike = { query: (...args: never[]) => unknown };
type MutationLike = { mutate: (...args: never[]) => unknown };
type SubscriptionLike = { subscribe: (...args: never[]) => unknown };

type FirstArg<F> = F extends (...args: infer A) => unknown ? A[0] : never;

export type ApiHelpers<TClient> = RouterHelpers & {
  [K in keyof TClient as TClient[K] extends SubscriptionLike ? never : K]: TClient[K] extends QueryLike
    ? QueryProcedureHelpers<FirstArg<TClient[K]['query']>, Awaited<ReturnType<TClient[K]['query']>>>
    : TClient[K] extends MutationLike
      ? MutationProcedureHelpers<FirstArg<TClient[K]['mutate']>, Awaited<ReturnType<TClient[K]['mutate']>>>
      : ApiHelpers<TClient[K]>;
};

function createApiHelpers(path: readonly string[]): unknown {
  const untyped = getUntypedClient(trpc);
  const dotted = path.join('.');
  const queryKey = (input?: unknown): ProcedureKey => [path, { input, type: 'query' }];
  const helpers: Record<string, unknown> = {
    pathKey: (): ProcedureKey => [path],
    queryKey,
    queryOptions: (input?: unknown) => ({
      queryKey: queryKey(input),
      queryFn: ({ signal }: { signal: AbortSignal }) => untyped.query(dotted, input, { signal }),
    }),
    mutationKey: () => [path],
    mutationOptions: () => ({
      mutationKey: [path],
      mutationFn: (input: unknown) => untyped.mutation(dotted, input),
    }),
  };
  // Helper names win over path segments: no router or procedure may be called `pathKey`,
  // `queryKey`, `queryOptions`, `mutationKey` or `mutationOptions`.
  return new Proxy(helpers, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      return Object.hasOwn(target, key) ? target[key] : createApiHelpers([...path, key]);
    },
  });
}

/** Typed TanStack Query options for every procedure of the API, mirroring the router's shape. */
export const api = createApiHelpers([]) as ApiHelpers<TRPCClient<AppRouter>>;
