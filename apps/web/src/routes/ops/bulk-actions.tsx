import { useMutation } from '@tanstack/react-query';
import { ConfirmButton } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api, type RouterInputs, type RouterOutputs } from '../../lib/trpc.ts';
import type { Feedback } from './components/feedback.tsx';
import type { DeadLetterQueueActionProps } from './dead-letter-actions.tsx';
import { type OpsQueue, useRefreshOps } from './ops-queries.ts';
import type { UrlSelection } from './url-state.ts';

const bulk = api.ops.bulk.mutationOptions().mutationFn;
const discardAll = api.ops.discardAllDeadLetters.mutationOptions().mutationFn;

type BulkAction = RouterInputs['ops']['bulk']['action'];
type BulkResult = RouterOutputs['ops']['bulk'];

/** What each action says it did, in words. */
const DONE_WORDS: Record<BulkAction, string> = {
  retry: 'retried',
  cancel: 'cancelled',
  delete: 'deleted',
  run_now: 'set to run now',
  redrive: 'redriven to their source queue',
  discard: 'discarded',
};

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** "2 jobs retried. 1 left as it was: only failed jobs can be retried." */
export function bulkResultMessage(result: BulkResult, noun: readonly [string, string]): string {
  const done = `${plural(result.done.length, noun[0], noun[1])} ${DONE_WORDS[result.action]}.`;
  if (result.skipped.length === 0) return done;
  const reasons = [...new Set(result.skipped.map((s) => s.reason))].join('; ');
  return `${done} ${result.skipped.length} left as ${result.skipped.length === 1 ? 'it was' : 'they were'}: ${reasons}.`;
}

/**
 * The bar above a queue's jobs when rows are ticked: what can be done to the selection. Undoable
 * actions run at once; cancelling, deleting and discarding ask first, naming the count. The
 * selection is cleared after an action (what it did is in the notice).
 */
export function BulkActionsBar({
  queue,
  selection,
  feedback,
}: {
  queue: OpsQueue;
  selection: UrlSelection;
  feedback: Feedback;
}) {
  const refresh = useRefreshOps();
  const ids = [...selection.ids];
  const count = ids.length;
  const deadLetters = queue.kind === 'dead_letter';
  const noun = deadLetters ? (['dead letter', 'dead letters'] as const) : (['job', 'jobs'] as const);
  const selected = plural(count, noun[0], noun[1]);
  const run = useMutation({ mutationFn: (action: BulkAction) => bulk({ queue: queue.name, action, ids }) });
  const after = (result: BulkResult) => {
    const message = bulkResultMessage(result, noun);
    feedback.show(message);
    selection.clear(message);
    void refresh();
  };
  if (count === 0) return null;

  const direct = (action: BulkAction, label: string) => (
    <button
      type="button"
      className="button"
      disabled={run.isPending}
      onClick={() => run.mutate(action, { onSuccess: after })}
    >
      {label}
    </button>
  );
  const confirmed = (action: BulkAction, verb: string, explanation: string) => (
    <ConfirmButton
      label={`${verb} selected`}
      title={`${verb} ${selected}?`}
      confirmLabel={`${verb} ${selected}`}
      cancelLabel="Keep"
      destructive
      disabled={run.isPending}
      run={() => bulk({ queue: queue.name, action, ids })}
      onSuccess={after}
    >
      <p>{explanation}</p>
    </ConfirmButton>
  );

  return (
    <section className="ops-bulk-bar" aria-label="Actions on the selected jobs" data-testid="bulk-bar">
      <strong data-testid="bulk-count">{selected} selected</strong>
      {deadLetters ? (
        <>
          {direct('redrive', 'Redrive selected')}
          {confirmed(
            'discard',
            'Discard',
            'Each goes for good: it will not run again. Dead letters that are not waiting any more are left as they are.',
          )}
        </>
      ) : (
        <>
          {direct('retry', 'Retry selected')}
          {direct('run_now', 'Run selected now')}
          {confirmed(
            'cancel',
            'Cancel',
            'Jobs that have not finished will not run (a running handler is not interrupted; its result is discarded). Finished jobs are left as they are.',
          )}
          {confirmed(
            'delete',
            'Delete',
            'The jobs and their payloads are removed for good. Running jobs are left as they are: cancel them first.',
          )}
        </>
      )}
      <button type="button" className="button button--quiet" onClick={() => selection.clear()}>
        Clear selection
      </button>
      {run.isError && <ErrorMessage error={run.error} title="The action failed" />}
    </section>
  );
}

/** Deletes every dead letter waiting in a dead-letter queue (the caller's share), after asking. */
export function DiscardAllButton({ deadLetterQueue, waiting, feedback }: DeadLetterQueueActionProps) {
  const refresh = useRefreshOps();
  const letters = plural(waiting, 'dead letter', 'dead letters');
  return (
    <ConfirmButton
      label={`Discard all (${waiting})`}
      ariaLabel={`Discard all dead letters of ${deadLetterQueue}`}
      title={`Discard ${letters} of ${deadLetterQueue}?`}
      confirmLabel={`Discard ${letters}`}
      cancelLabel="Keep"
      destructive
      disabled={waiting === 0}
      run={() => discardAll({ deadLetterQueue })}
      onSuccess={(result) => {
        feedback.show(
          result.discarded === 0
            ? `No dead letters were waiting in ${result.deadLetterQueue}; nothing was discarded.`
            : `${plural(result.discarded, 'dead letter', 'dead letters')} discarded from ${result.deadLetterQueue}${
                result.more ? '; more are waiting — discard again for the rest' : ''
              }.`,
        );
        void refresh();
      }}
    >
      <p>
        The {letters} waiting now will not run again: they are deleted for good. Redrive instead if their
        events should still be handled. Dead letters arriving meanwhile stay.
      </p>
    </ConfirmButton>
  );
}
