import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api, trpc } from '../../lib/trpc.ts';
import { useWorkplaceLive } from './workplace-common.tsx';

interface Progress {
  runId: string;
  phase: string;
  downloaded: number;
  uploaded: number;
}

const STATUS_PILL = { up: 'ok', down: 'down', unknown: 'neutral' } as const;

/** Workplace → Sync: AIMS status live, full sync with progress, run history, failed items to retry. */
export function SyncPage() {
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<Progress | null>(null);
  useWorkplaceLive((type, payload) => {
    if (type === 'sync.progress') setProgress(payload as unknown as Progress);
    if (type === 'sync.completed') setProgress(null);
  });
  const status = useQuery(api.workplace.sync.status.queryOptions());
  const pages = useCursorPages('');
  const runs = useQuery(api.workplace.sync.runs.queryOptions({ cursor: pages.cursor, limit: 10 }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.workplace.pathKey() });
  const trigger = useMutation({
    mutationFn: () => trpc.workplace.sync.trigger.mutate({}),
    onSuccess: () => void refresh(),
  });
  const retry = useMutation({
    mutationFn: (item?: { kind: 'space' | 'room'; id: string }) =>
      trpc.workplace.sync.retry.mutate(item ? { item } : {}),
    onSuccess: () => void refresh(),
  });

  if (status.isError)
    return (
      <ErrorMessage
        error={status.error}
        title="Could not load the sync status"
        onRetry={() => void status.refetch()}
      />
    );
  if (status.isPending) return <p className="muted">Loading…</p>;
  const { connection, spaces, rooms, failed, running } = status.data;
  const total =
    spaces.pending +
    spaces.syncing +
    spaces.synced +
    spaces.failed +
    rooms.pending +
    rooms.syncing +
    rooms.synced +
    rooms.failed;
  const current = running && progress?.runId === running.id ? progress : null;

  return (
    <>
      <div className="panel">
        <h2>AIMS</h2>
        {connection ? (
          <p>
            <span
              className={`pill pill--${STATUS_PILL[connection.status]}`}
              data-testid="aims-status"
              data-status={connection.status}
            >
              <span className="pill__dot" aria-hidden="true" />
              {connection.status === 'up'
                ? 'Reachable'
                : connection.status === 'down'
                  ? 'Down — syncing is paused'
                  : 'Not checked yet'}
            </span>{' '}
            <span className="muted">
              {connection.company} / {connection.store}
              {connection.lastOkAt ? ` · last reached ${connection.lastOkAt.toLocaleString()}` : ''}
            </span>
          </p>
        ) : (
          <p>No AIMS connection yet: set one up under “AIMS connection”.</p>
        )}
        <p className="muted">
          Spaces: {spaces.synced} on their labels, {spaces.pending + spaces.syncing} waiting, {spaces.failed}{' '}
          failed. Rooms: {rooms.synced} on their labels, {rooms.pending + rooms.syncing} waiting,{' '}
          {rooms.failed} failed.
        </p>
        <div className="form__actions">
          <button
            type="button"
            className="button"
            disabled={!connection || trigger.isPending || running !== null}
            onClick={() => trigger.mutate()}
          >
            {running ? 'Full sync running…' : 'Run a full sync'}
          </button>
        </div>
        {trigger.isError && <ErrorMessage error={trigger.error} title="Could not start the sync" />}
        {running && (
          <div data-testid="sync-progress">
            <progress
              max={Math.max(total, current?.downloaded ?? 0, 1)}
              value={
                current ? current.uploaded + (current.phase === 'download' ? 0 : total - current.uploaded) : 0
              }
            />
            <p className="muted" role="status">
              {current
                ? `${current.phase === 'download' ? 'Reading AIMS' : 'Writing to AIMS'}: ${current.downloaded} read, ${current.uploaded} written`
                : 'Starting…'}
            </p>
          </div>
        )}
      </div>

      <div className="panel">
        <h2>Failed items</h2>
        {failed.length === 0 ? (
          <p className="muted">Nothing failed.</p>
        ) : (
          <>
            {retry.isError && <ErrorMessage error={retry.error} title="Could not retry" />}
            <DataTable
              label="Failed items"
              head={
                <>
                  <th scope="col">Item</th>
                  <th scope="col">Why</th>
                  <th scope="col">Actions</th>
                </>
              }
            >
              {failed.map((item) => (
                <tr key={item.id} data-testid="failed-item">
                  <th scope="row">
                    {item.kind === 'space' ? 'Space' : 'Room'} {item.externalId}
                  </th>
                  <td>{item.error}</td>
                  <td>
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() => retry.mutate({ kind: item.kind, id: item.id })}
                    >
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </DataTable>
            <button type="button" className="button button--quiet" onClick={() => retry.mutate(undefined)}>
              Retry all
            </button>
          </>
        )}
      </div>

      <h2>Full syncs</h2>
      <ListPanel
        query={runs}
        errorTitle="Could not load the runs"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>No full sync yet.</p>}
        pager={{ label: 'runs', pages }}
      >
        {(data) => (
          <DataTable
            label="Full syncs"
            head={
              <>
                <th scope="col">Started</th>
                <th scope="col">By</th>
                <th scope="col">Result</th>
                <th scope="col">Read</th>
                <th scope="col">Written</th>
                <th scope="col">Deleted</th>
                <th scope="col">Conflicts</th>
                <th scope="col">Errors</th>
              </>
            }
          >
            {data.items.map((run) => (
              <tr key={run.id} data-testid="sync-run" data-status={run.status}>
                <td>{run.startedAt.toLocaleString()}</td>
                <td>{run.trigger === 'manual' ? 'a person' : 'the schedule'}</td>
                <td>
                  {run.status === 'running' ? 'Running' : run.status === 'succeeded' ? 'Done' : 'Failed'}
                  {run.error && <span className="muted table__subline">{run.error}</span>}
                </td>
                <td>{run.downloaded}</td>
                <td>{run.uploaded}</td>
                <td>{run.deleted}</td>
                <td>{run.conflicts}</td>
                <td>{run.errors}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </>
  );
}
