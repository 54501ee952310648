import { QueryClient } from '@tanstack/react-query';
import { describeError } from './errors.ts';

/** Answers that a retry cannot change (4xx: bad input, no permission, not found…). */
function isClientError(error: unknown): boolean {
  const { httpStatus } = describeError(error);
  return httpStatus !== null && httpStatus >= 400 && httpStatus < 500;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (failureCount, error) => !isClientError(error) && failureCount < 2,
      },
      mutations: { retry: false },
    },
  });
}
