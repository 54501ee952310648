import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { useRealtimeEvents } from '../../lib/realtime.ts';
import { trpc } from '../../lib/trpc.ts';

interface Progress {
  indexed: number;
  total: number;
  done: boolean;
}

function progressOf(payload: unknown, jobId: string | null): { indexed: number; total: number } | null {
  if (!payload || typeof payload !== 'object') return null;
  const p = payload as { jobId?: unknown; indexed?: unknown; total?: unknown };
  if (p.jobId !== jobId || typeof p.indexed !== 'number' || typeof p.total !== 'number') return null;
  return { indexed: p.indexed, total: p.total };
}

/**
 * Ops → Search index (platform operators): rebuilds the whole search index in the background
 * (`discovery.reindex`). Searches keep answering from the current index until the new one is swapped
 * in; progress arrives live, batch by batch.
 */
export function SearchIndexPage() {
  const [progress, setProgress] = useState<Progress | null>(null);
  const start = useMutation({
    mutationFn: () => trpc.discovery.reindex.mutate(),
    onSuccess: () => setProgress({ indexed: 0, total: 0, done: false }),
  });
  const jobId = start.data?.jobId ?? null;
  const live = useRealtimeEvents((event) => {
    if (event.type !== 'search.reindex.progress' && event.type !== 'search.reindex.completed') return;
    const next = progressOf(event.payload, jobId);
    if (next) setProgress({ ...next, done: event.type === 'search.reindex.completed' });
  });
  const running = progress !== null && !progress.done;

  return (
    <section aria-labelledby="search-index-title" className="stack">
      <h2 id="search-index-title">Search index</h2>
      <p className="muted">
        Rebuilds the index every library searches, from the published content of every organisation. Searches
        keep answering from the current index until the new one is complete.
      </p>
      <div>
        <button
          type="button"
          className="button"
          disabled={start.isPending || running}
          onClick={() => start.mutate()}
        >
          {running ? 'Rebuilding…' : 'Rebuild the search index'}
        </button>
      </div>
      {start.isError && <ErrorMessage error={start.error} title="Could not start the rebuild" />}
      {progress && (
        <div className="panel" data-testid="reindex-progress">
          <p role="status">
            {progress.done
              ? `Done: ${progress.indexed.toLocaleString()} published items indexed.`
              : progress.total > 0
                ? `Indexed ${progress.indexed.toLocaleString()} of ${progress.total.toLocaleString()}…`
                : 'Started; waiting for the first batch…'}
          </p>
          <progress className="progress" max={Math.max(progress.total, 1)} value={progress.indexed} />
          {live !== 'live' && (
            <p className="muted">Live progress is not connected; the job page shows the outcome.</p>
          )}
          {jobId && (
            <p>
              <Link to={`/ops/queues/search.reindex/jobs/${jobId}`}>The rebuild job</Link>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
