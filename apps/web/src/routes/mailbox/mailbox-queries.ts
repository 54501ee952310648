import { useQuery } from '@tanstack/react-query';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/trpc.ts';

/**
 * Whether the API offers the dev mailbox. It answers NOT_FOUND in production and when no mail
 * catcher is configured; any other answer (even "catcher not answering") means the page is useful.
 * Asked of the API rather than decided at build time, so a production build against a dev API (the
 * e2e tests) shows it too.
 */
export function useMailboxAvailable(): boolean {
  const probe = useQuery({
    ...api.dev.mailbox.list.queryOptions({ limit: 1 }),
    staleTime: 5 * 60_000,
    retry: false,
    refetchOnWindowFocus: false,
  });
  if (probe.isSuccess) return true;
  return (
    probe.isError &&
    describeError(probe.error).code !== 'NOT_FOUND' &&
    !describeError(probe.error).unreachable
  );
}
