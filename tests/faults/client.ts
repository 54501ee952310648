import type { Database } from '@atrium/db';
import { createTestOrg, createTestUser, TEST_PASSWORD } from '@atrium/testkit/factories';
import type { Kysely } from 'kysely';

/** What one HTTP call answered: a status, or `hang` when nothing came back within the client's patience. */
export type Outcome =
  | { status: number; code: string | null; data: unknown }
  | { status: 'hang' | 'refused'; code: null; data: null };

/** A tRPC client as any HTTP client would be: JSON, bearer token, a bounded wait for every answer. */
export function trpcClient(apiUrl: string, options: { timeoutMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let token: string | null = null;
  async function call(path: string, input: unknown, type: 'query' | 'mutation'): Promise<Outcome> {
    const encoded = input === undefined ? undefined : { json: input };
    const url =
      type === 'query'
        ? `${apiUrl}/trpc/${path}${encoded ? `?input=${encodeURIComponent(JSON.stringify(encoded))}` : ''}`
        : `${apiUrl}/trpc/${path}`;
    try {
      const response = await fetch(url, {
        method: type === 'query' ? 'GET' : 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: type === 'mutation' ? JSON.stringify(encoded ?? {}) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json().catch(() => null)) as {
        result?: { data: { json: unknown } };
        error?: { json: { data: { code: string } } };
      } | null;
      return {
        status: response.status,
        code: body?.error?.json.data.code ?? null,
        data: body?.result?.data.json ?? null,
      };
    } catch (error) {
      const name = (error as Error).name;
      return {
        status: name === 'TimeoutError' || name === 'AbortError' ? 'hang' : 'refused',
        code: null,
        data: null,
      };
    }
  }
  return {
    get token(): string {
      if (!token) throw new Error('sign in first');
      return token;
    },
    query: (path: string, input?: unknown) => call(path, input, 'query'),
    mutation: (path: string, input?: unknown) => call(path, input, 'mutation'),
    async signIn(email: string, password: string): Promise<void> {
      const outcome = await call('auth.login', { email, password, refreshTokenIn: 'body' }, 'mutation');
      if (outcome.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(outcome)}`);
      token = (outcome.data as { accessToken: string }).accessToken;
    },
  };
}

/** An org with a platform operator who may manage schedules and send notifications. */
export async function createOperator(db: Kysely<Database>) {
  const org = await createTestOrg(db, { name: 'Faults Ops' });
  const user = await createTestUser(db, {
    orgId: org.id,
    roles: ['admin'],
    platformRole: 'operator',
    name: 'Otto Operator',
  });
  return { orgId: org.id, userId: user.id, email: user.email, password: TEST_PASSWORD };
}

/** Tallies outcomes by status (`200`, `503`, `hang`, …). */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = `${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * An open `events.subscribe` stream, read as a browser's EventSource would: the access token in the
 * connection parameters, every `data:` frame parsed. `events` holds the types in arrival order.
 */
export async function openEventStream(apiUrl: string, token: string) {
  const controller = new AbortController();
  const events: Array<{ type: string; at: number }> = [];
  let open = true;
  const url = `${apiUrl}/trpc/events.subscribe?connectionParams=${encodeURIComponent(JSON.stringify({ token }))}`;
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`events.subscribe answered ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('');
          if (data) {
            try {
              const parsed = JSON.parse(data) as { json?: { type?: string } };
              if (parsed.json?.type) events.push({ type: parsed.json.type, at: performance.now() });
            } catch {
              // pings and control frames carry no event
            }
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted, or the server ended the stream
    } finally {
      open = false;
    }
  })();
  return {
    events,
    get open() {
      return open;
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}
