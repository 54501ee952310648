import {
  Counter,
  createMetricsRegistry,
  Histogram,
  LATENCY_BUCKETS,
  type Registry,
} from '@atrium/observability';

export interface ApiMetrics {
  registry: Registry;
  procedureDuration: Histogram<'procedure' | 'type' | 'code'>;
  procedureErrors: Counter<'procedure' | 'code'>;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
}

export function createApiMetrics(): ApiMetrics {
  const registry = createMetricsRegistry('api');
  return {
    registry,
    procedureDuration: new Histogram({
      name: 'atrium_trpc_procedure_duration_seconds',
      help: 'tRPC procedure latency by procedure, type and outcome code',
      labelNames: ['procedure', 'type', 'code'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    procedureErrors: new Counter({
      name: 'atrium_trpc_errors_total',
      help: 'tRPC procedure errors by procedure and error code (SPEC §10)',
      labelNames: ['procedure', 'code'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'atrium_http_request_duration_seconds',
      help: 'HTTP request latency by route (tRPC requests count once per HTTP request)',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
