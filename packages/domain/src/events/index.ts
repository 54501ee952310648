export * from './catalogue.ts';
export * from './envelope.ts';
export * from './inbox.ts';
export * from './outbox.ts';
export * from './pipeline-probe.ts';
export * from './registry.ts';
export * from './retention.ts';
