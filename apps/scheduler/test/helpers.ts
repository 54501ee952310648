import { Writable } from 'node:stream';
import type { Database } from '@atrium/db';
import type { Clock } from '@atrium/domain/platform/clock';
import {
  type CreateScheduleInput,
  createSchedule,
  createScheduleHandlerRegistry,
  type ScheduleDto,
} from '@atrium/domain/scheduling/index';
import { createLogger, type Logger } from '@atrium/observability';
import type { Kysely } from 'kysely';
import { parseSchedulerEnv, type SchedulerEnv } from '../src/env.ts';

/** A scheduler env for in-process replicas: fast ticks, ops server on a free port, quiet logs. */
export function testSchedulerEnv(
  databaseUrl: string,
  overrides: Record<string, string | undefined> = {},
): SchedulerEnv {
  return parseSchedulerEnv({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '3',
    LOG_LEVEL: 'silent',
    SCHEDULER_OPS_PORT: '0',
    SCHEDULER_TICK_MS: '50',
    SCHEDULER_SHUTDOWN_GRACE_MS: '2000',
    ...overrides,
  });
}

/** Creates a schedule the way the API does (validated), with any handler name the test uses. */
export async function createTestSchedule(
  db: Kysely<Database>,
  clock: Clock,
  input: Partial<CreateScheduleInput> & { name: string; handler: string },
): Promise<ScheduleDto> {
  const handlers = createScheduleHandlerRegistry([{ name: input.handler, run: async () => undefined }]);
  return createSchedule({ db, clock, handlers }, {
    actor: null,
    kind: 'interval',
    intervalSeconds: 1,
    ...input,
  } as CreateScheduleInput & { actor: null });
}

export function runsOf(db: Kysely<Database>, scheduleId: string) {
  return db
    .selectFrom('schedule_runs')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .orderBy('id')
    .execute();
}

export function scheduleRow(db: Kysely<Database>, id: string) {
  return db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** A logger whose JSON lines the test can read. */
export function capturingLogger(name: string): {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return {
    logger: createLogger({ name, level: 'info', destination }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
