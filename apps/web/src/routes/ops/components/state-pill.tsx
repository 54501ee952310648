import { describeJobState, type JobStateWord } from '../format.ts';

/**
 * A coloured label for a state: pg-boss job states, schedule statuses, run statuses, process health.
 * The colour follows the meaning (good, waiting, running, bad, neutral); the text is the state itself.
 */
const TONE: Record<string, 'ok' | 'down' | 'warn' | 'info' | 'neutral'> = {
  // jobs
  created: 'info',
  retry: 'warn',
  active: 'info',
  completed: 'ok',
  cancelled: 'neutral',
  failed: 'down',
  // schedules
  paused: 'warn',
  quarantined: 'down',
  // runs
  running: 'info',
  succeeded: 'ok',
  timed_out: 'down',
  skipped: 'neutral',
  // health
  ok: 'ok',
  degraded: 'down',
  down: 'down',
  // processes
  live: 'ok',
  missing: 'down',
  stopped: 'neutral',
  // inbox failures
  retrying: 'warn',
  dead_letter: 'down',
};

const LABEL: Record<string, string> = {
  timed_out: 'timed out',
  dead_letter: 'dead letter',
};

export function StatePill({ state, testId }: { state: string; testId?: string }) {
  const tone = TONE[state] ?? 'neutral';
  return (
    <span className={`pill pill--${tone}`} data-testid={testId} data-state={state}>
      <span className="pill__dot" aria-hidden="true" />
      {LABEL[state] ?? state}
    </span>
  );
}

/**
 * A job's state in the console's words (`describeJobState`): "Waiting", "Scheduled for 14:02",
 * "Will retry at 14:02", "Failed for good". `data-state` keeps pg-boss's state for tests and styles.
 */
export function JobStatePill({
  state,
  startAfter,
  testId,
}: {
  state: JobStateWord;
  startAfter?: Date | null;
  testId?: string;
}) {
  const { label, tone, delayed } = describeJobState(state, { startAfter: startAfter ?? null });
  return (
    <span className={`pill pill--${tone}`} data-testid={testId} data-state={state} data-delayed={delayed}>
      <span className="pill__dot" aria-hidden="true" />
      {label}
    </span>
  );
}
