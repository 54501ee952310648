export { type CreateDbOptions, createDb, createPool, type DbHandle } from './client.ts';
export { createInterruptibleDb, type InterruptibleDb, WorkInterruptedError } from './interruptible.ts';
export { migrateToLatest } from './migrate.ts';
export { preparedStatement, preparedStatementName } from './prepared.ts';
export * from './schema.ts';
