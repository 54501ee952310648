import { ConfirmButton } from '../../components/confirm-dialog.tsx';
import { api } from '../../lib/trpc.ts';
import type { Feedback } from './components/feedback.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { type OpsQueue, useRefreshOps } from './ops-queries.ts';

const pauseQueue = api.ops.pauseQueue.mutationOptions().mutationFn;
const resumeQueue = api.ops.resumeQueue.mutationOptions().mutationFn;

/** Pause or resume a worked queue (operators): every worker stops or restarts fetching it. */
export function PauseResumeButton({ queue, feedback }: { queue: OpsQueue; feedback: Feedback }) {
  const refresh = useRefreshOps();
  if (queue.kind === 'dead_letter') return null;
  if (queue.paused) {
    return (
      <ConfirmButton
        label="Resume"
        ariaLabel={`Resume ${queue.name}`}
        title={`Resume ${queue.name}?`}
        confirmLabel="Resume queue"
        quiet
        run={() => resumeQueue({ queue: queue.name })}
        onSuccess={(result) => {
          feedback.show(
            result.changed
              ? `${result.queue} resumed: workers fetch its ${queue.waiting} waiting jobs again.`
              : `${result.queue} was not paused; nothing changed.`,
          );
          void refresh();
        }}
      >
        <p>
          Workers start fetching <code>{queue.name}</code> again within a few seconds and drain the{' '}
          {queue.waiting} jobs waiting there.
        </p>
      </ConfirmButton>
    );
  }
  return (
    <ConfirmButton
      label="Pause"
      ariaLabel={`Pause ${queue.name}`}
      title={`Pause ${queue.name}?`}
      confirmLabel="Pause queue"
      quiet
      run={() => pauseQueue({ queue: queue.name })}
      onSuccess={(result) => {
        feedback.show(
          result.changed
            ? `${result.queue} paused: workers stop fetching it; new jobs wait until it is resumed.`
            : `${result.queue} was already paused; nothing changed.`,
        );
        void refresh();
      }}
    >
      <p>
        Every worker stops fetching <code>{queue.name}</code>. Jobs already running finish; new jobs keep
        arriving and wait. Nothing is lost: resume lets the workers drain them.
      </p>
    </ConfirmButton>
  );
}

/** "Paused since …" or "Running". */
export function PausedState({ queue }: { queue: OpsQueue }) {
  if (queue.kind === 'dead_letter') return <span className="muted">not worked</span>;
  return queue.paused ? (
    <span className="ops-paused" data-testid={`paused-${queue.name}`}>
      <span className="pill pill--warn">
        <span className="pill__dot" aria-hidden="true" />
        paused
      </span>{' '}
      <span className="muted">
        since <Timestamp value={queue.pausedAt} />
      </span>
    </span>
  ) : (
    <span className="pill pill--ok">
      <span className="pill__dot" aria-hidden="true" />
      running
    </span>
  );
}

const retryAllFailed = api.ops.retryAllFailed.mutationOptions().mutationFn;

/**
 * Retry every failed job of a worked queue (in the caller's scope): each gets one more attempt and
 * its dead-letter copy is removed. Shown while the queue holds failed jobs.
 */
export function RetryAllFailedButton({ queue, feedback }: { queue: OpsQueue; feedback: Feedback }) {
  const refresh = useRefreshOps();
  const failed = queue.counts.failed;
  if (queue.kind === 'dead_letter' || failed === 0) return null;
  const jobs = (count: number) => `${count} failed ${count === 1 ? 'job' : 'jobs'}`;
  return (
    <ConfirmButton
      label={`Retry all failed (${failed})`}
      title={`Retry ${jobs(failed)} of ${queue.name}?`}
      confirmLabel={`Retry ${jobs(failed)}`}
      run={() => retryAllFailed({ queue: queue.name })}
      onSuccess={(result) => {
        feedback.show(
          result.retried === 0
            ? `No failed jobs were left in ${result.queue}.`
            : `${jobs(result.retried)} of ${result.queue} retried: they wait for a worker${
                result.removedDeadLetters > 0
                  ? `; ${result.removedDeadLetters} dead-letter ${result.removedDeadLetters === 1 ? 'copy' : 'copies'} removed`
                  : ''
              }.${result.more ? ' More remain: retry again for the next 1,000.' : ''}`,
        );
        void refresh();
      }}
    >
      <p>
        Each gets one more attempt, oldest first (at most 1,000 at a time), and its copy waiting in the
        dead-letter queue is removed, so every failure is handled once. Fix what made them fail first.
      </p>
    </ConfirmButton>
  );
}
