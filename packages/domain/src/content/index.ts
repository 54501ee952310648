export * from './cache.ts';
export * from './categories.ts';
export * from './content.ts';
export * from './events.ts';
export * from './media.ts';
export * from './queues.ts';
export * from './store.ts';
