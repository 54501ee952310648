export * from './applications.ts';
export * from './consumers.ts';
export * from './content.ts';
export * from './events.ts';
export * from './queues.ts';
