export * from './built-in-handlers.ts';
export * from './engine.ts';
export * from './events.ts';
export * from './handlers.ts';
export * from './lease.ts';
export * from './plan.ts';
export * from './schedules.ts';
export * from './timing.ts';
