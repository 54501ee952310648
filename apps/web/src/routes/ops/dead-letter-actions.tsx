import { ConfirmButton } from '../../components/confirm-dialog.tsx';
import { api, type RouterOutputs } from '../../lib/trpc.ts';
import type { Feedback } from './components/feedback.tsx';
import { shortId } from './format.ts';
import { useRefreshOps } from './ops-queries.ts';

const redrive = api.ops.redrive.mutationOptions().mutationFn;
const redriveAll = api.ops.redriveAll.mutationOptions().mutationFn;

type RedriveResult = RouterOutputs['ops']['redrive'];

/** Sends one dead letter back to its source queue as a new job. */
export function RedriveButton({
  deadLetterQueue,
  id,
  feedback,
  onRedriven,
}: {
  deadLetterQueue: string;
  id: string;
  feedback: Feedback;
  /** Replaces the feedback (the job page moves to the new job and passes the message on). */
  onRedriven?: (result: RedriveResult, message: string) => void;
}) {
  const refresh = useRefreshOps();
  return (
    <ConfirmButton
      label="Redrive"
      ariaLabel={`Redrive dead letter ${id}`}
      title="Redrive this dead letter?"
      confirmLabel="Redrive"
      quiet
      run={() => redrive({ deadLetterQueue, id })}
      onSuccess={(result) => {
        const message = `Dead letter ${shortId(result.id)} redriven to ${result.queue}${
          result.newJobId ? ` as job ${result.newJobId}` : ''
        }.`;
        void refresh();
        if (onRedriven) onRedriven(result, message);
        else feedback.show(message);
      }}
    >
      <p>
        The job goes back to its source queue as a <strong>new job</strong> (new id, fresh retries, same
        payload), where its handler runs it again. Consumers record every event they handle, so one that
        already handled it does nothing.
      </p>
    </ConfirmButton>
  );
}

/** What a button acting on every waiting dead letter of a queue is given. */
export interface DeadLetterQueueActionProps {
  deadLetterQueue: string;
  /** Dead letters waiting there now (in the caller's scope): the count the button names. */
  waiting: number;
  feedback: Feedback;
}

/** Sends every dead letter waiting now back to its source queue. */
export function RedriveAllButton({ deadLetterQueue, waiting, feedback }: DeadLetterQueueActionProps) {
  const refresh = useRefreshOps();
  return (
    <ConfirmButton
      label={`Redrive all (${waiting})`}
      ariaLabel={`Redrive all dead letters of ${deadLetterQueue}`}
      title={`Redrive every dead letter of ${deadLetterQueue}?`}
      confirmLabel="Redrive all"
      disabled={waiting === 0}
      run={() => redriveAll({ deadLetterQueue })}
      onSuccess={(result) => {
        feedback.show(
          result.moved === 0
            ? `No dead letters were waiting in ${result.deadLetterQueue}; nothing was redriven.`
            : `${result.moved} dead letter${result.moved === 1 ? '' : 's'} redriven from ${result.deadLetterQueue}.`,
        );
        void refresh();
      }}
    >
      <p>
        Each of the {waiting} dead letters waiting now goes back to its source queue as a new job. Dead
        letters that arrive meanwhile wait for the next redrive. On an ordered queue a dead letter whose
        aggregate still has a job there stays behind.
      </p>
    </ConfirmButton>
  );
}
