export * from './audience.ts';
export type { RealtimeAudience, RealtimeEvent, RealtimePublisher } from './port.ts';
export * from './publishers.ts';
export * from './wire.ts';
