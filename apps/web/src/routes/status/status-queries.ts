import { queryOptions } from '@tanstack/react-query';
import { fetchReadiness } from '../../lib/health.ts';
import { api } from '../../lib/trpc.ts';

/** The status page polls; a failed poll is shown at once (no retry) and the next poll retries. */
export const STATUS_REFRESH_MS = 5_000;

const polling = {
  refetchInterval: STATUS_REFRESH_MS,
  retry: false,
  staleTime: 0,
} as const;

export const systemInfoQuery = () => ({ ...api.system.info.queryOptions(), ...polling });

export const readinessQuery = () =>
  queryOptions({
    queryKey: ['http', 'health', 'ready'] as const,
    queryFn: ({ signal }) => fetchReadiness(signal),
    ...polling,
  });
