import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.ts';

/**
 * A Kysely handle for one unit of work that someone else may have to stop — a scheduled run past its
 * `max_runtime_seconds`, say. Its queries check out connections of `pool` (never the caller's own
 * pool); it knows which ones it holds, so it can
 *
 * - `interrupt()`: cancel the statement in flight on each of them (`pg_cancel_backend`, sent through
 *   `control`, a pool the work cannot exhaust) and refuse new statements — a DELETE waiting on a lock
 *   fails at once and its connection goes back;
 * - `terminate()`: end the sessions it still holds (`pg_terminate_backend`) and hand their pool slots
 *   back — for work that ignored the interruption (idle in a transaction, awaiting something else).
 *
 * And the server enforces a limit of its own even if this process can no longer reach it: every
 * checkout sets `statement_timeout` to what remains until `statementDeadline` (epoch ms).
 */
export interface InterruptibleDb {
  db: Kysely<Database>;
  /** Connections checked out through this handle right now. */
  held(): number;
  interrupt(): Promise<void>;
  terminate(): Promise<void>;
}

/** The error statements get once their work was interrupted. */
export class WorkInterruptedError extends Error {
  constructor() {
    super('the work was interrupted; no new statements');
    this.name = 'WorkInterruptedError';
  }
}

// A session ended under a checked-out client reports an 'error' event; with no listener Node would
// crash the process. The statement in flight (if any) fails with the same error, which is what matters.
const guarded = new WeakSet<pg.PoolClient>();
const ignore = () => {};

export function createInterruptibleDb(options: {
  pool: pg.Pool;
  control: Kysely<Database>;
  statementDeadline: number;
}): InterruptibleDb {
  const held = new Map<pg.PoolClient, (error?: Error) => void>();
  let interrupted: WorkInterruptedError | null = null;

  const checkout = async (): Promise<pg.PoolClient> => {
    if (interrupted) throw interrupted;
    const client = await options.pool.connect();
    if (!guarded.has(client)) {
      client.on('error', ignore);
      guarded.add(client);
    }
    const poolRelease = client.release.bind(client);
    let released = false;
    const release = (error?: Error | boolean) => {
      if (released) return;
      released = true;
      held.delete(client);
      // A connection whose work was interrupted may still receive the cancel meant for it: never
      // hand it to anyone else.
      poolRelease(error || (interrupted ?? undefined));
    };
    client.release = release;
    held.set(client, release);
    try {
      if (interrupted) throw interrupted;
      const remainingMs = Math.max(1, Math.ceil(options.statementDeadline - Date.now()));
      await client.query(`SELECT set_config('statement_timeout', $1, false)`, [String(remainingMs)]);
    } catch (error) {
      release(error as Error);
      throw error;
    }
    return client;
  };

  const signalBackends = async (fn: 'pg_cancel_backend' | 'pg_terminate_backend') => {
    const pids = [...held.keys()].map(processId).filter((pid): pid is number => pid !== null);
    if (pids.length === 0) return;
    await sql`SELECT ${sql.raw(fn)}(pid) FROM unnest(${pids}::int[]) AS pid`.execute(options.control);
  };

  return {
    // The pool belongs to the caller: ending this handle leaves it open.
    db: new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: { connect: checkout, end: async () => {}, options: options.pool.options },
      }),
    }),
    held: () => held.size,
    async interrupt() {
      interrupted ??= new WorkInterruptedError();
      await signalBackends('pg_cancel_backend');
    },
    async terminate() {
      interrupted ??= new WorkInterruptedError();
      const clients = [...held.values()];
      await signalBackends('pg_terminate_backend');
      for (const release of clients) release(new Error('session terminated: its work was interrupted'));
    },
  };
}

/** pg's Client learns its backend's process id at connect (BackendKeyData); not in its typings. */
function processId(client: pg.PoolClient): number | null {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : null;
}
