import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ConfirmButton } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Fact } from '../../components/fact.tsx';
import { api } from '../../lib/trpc.ts';
import { type Feedback, FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { JsonBlock } from './components/json-block.tsx';
import { StatePill } from './components/state-pill.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { formatMilliseconds } from './format.ts';
import { live, refreshScheduler, type Schedule } from './ops-queries.ts';
import { LoadStates, PagedTable, useLivePagedQuery } from './paged-list.tsx';
import {
  describeTiming,
  MISFIRE_LABEL,
  RUN_STATUSES,
  type RunStatus,
  schedulePath,
} from './schedule-format.ts';
import { NextRun } from './schedules-page.tsx';

const pause = api.scheduler.pause.mutationOptions().mutationFn;
const resume = api.scheduler.resume.mutationOptions().mutationFn;
const triggerNow = api.scheduler.triggerNow.mutationOptions().mutationFn;
const unquarantine = api.scheduler.unquarantine.mutationOptions().mutationFn;
const deleteSchedule = api.scheduler.delete.mutationOptions().mutationFn;

/** One schedule: its definition and state, what can be done to it, and its runs. */
export function SchedulePage() {
  const { id = '' } = useParams();
  const feedback = useFeedback();
  const schedule = useQuery({ ...api.scheduler.get.queryOptions({ id }), ...live });
  const data = schedule.data;

  return (
    <div className="ops-section">
      <nav aria-label="Breadcrumb" className="ops-breadcrumb">
        <Link to="/ops/schedules">Schedules</Link> <span aria-hidden="true">›</span>{' '}
        <span>{data?.name ?? id}</span>
      </nav>
      <header className="ops-section__header">
        <h2 data-testid="schedule-title">{data?.name ?? 'Schedule'}</h2>
        {data && <StatePill state={data.status} testId="schedule-status" />}
        {data?.builtin && <span className="tag">built-in</span>}
      </header>
      <FeedbackNotice feedback={feedback} />
      {schedule.isError && (
        <ErrorMessage
          error={schedule.error}
          title="Could not load the schedule"
          onRetry={() => void schedule.refetch()}
        />
      )}
      {schedule.isPending && <p className="muted">Loading…</p>}
      {data && (
        <>
          <ScheduleActions schedule={data} feedback={feedback} />
          <div className="ops-grid">
            <section className="panel" aria-labelledby="schedule-def-title">
              <h3 id="schedule-def-title">Definition</h3>
              <dl className="facts">
                <Fact label="Handler">
                  <code>{data.handler}</code>
                </Fact>
                <Fact label="When">
                  <TimingInWords schedule={data} />
                  <span className="facts__note">{describeTiming(data)}</span>
                </Fact>
                <Fact label="Misfire">
                  {MISFIRE_LABEL[data.misfire]}
                  {data.misfire === 'catch_up' && (
                    <span className="facts__note">at most {data.maxCatchUp} slots</span>
                  )}
                </Fact>
                <Fact label="Attempts per run">
                  {data.maxAttempts}
                  <span className="facts__note">backoff {data.backoffSeconds} s, doubling</span>
                </Fact>
                <Fact label="Max runtime">{data.maxRuntimeSeconds} s</Fact>
                <Fact label="Quarantine after">{data.maxConsecutiveFailures} failed runs in a row</Fact>
              </dl>
              <details className="ops-details">
                <summary>Payload</summary>
                <JsonBlock value={data.payload} />
              </details>
            </section>
            <section className="panel" aria-labelledby="schedule-state-title">
              <h3 id="schedule-state-title">State</h3>
              <dl className="facts" data-testid="schedule-state">
                <Fact label="Status">{data.status}</Fact>
                <Fact label="Next">
                  <NextRun schedule={data} />
                </Fact>
                <Fact label="Next slot">
                  <Timestamp value={data.nextRunAt} relative empty="none" />
                </Fact>
                <Fact label={`Next runs (${data.timezone})`}>
                  <NextRuns schedule={data} />
                </Fact>
                <Fact label="Last run">
                  <Timestamp value={data.lastRunAt} relative empty="never" />
                </Fact>
                <Fact label="Failures in a row">
                  {data.consecutiveFailures} of {data.maxConsecutiveFailures}
                </Fact>
                {data.quarantinedAt && (
                  <Fact label="Quarantined">
                    <Timestamp value={data.quarantinedAt} relative />
                  </Fact>
                )}
                {data.pendingTriggerAt && (
                  <Fact label="Manual run requested">
                    <Timestamp value={data.pendingTriggerAt} relative />
                  </Fact>
                )}
                {data.catchUpRemaining > 0 && <Fact label="Catch-up runs left">{data.catchUpRemaining}</Fact>}
                <Fact label="Updated">
                  <Timestamp value={data.updatedAt} />
                </Fact>
              </dl>
            </section>
          </div>
          <RunsPanel scheduleId={data.id} />
        </>
      )}
    </div>
  );
}

/** The schedule's timing as the API reads it out ("every day at 02:30, Europe/Berlin time"). */
function useTimingPreview(schedule: Schedule) {
  return useQuery({
    ...api.scheduler.preview.queryOptions({
      kind: schedule.kind,
      cronExpr: schedule.cronExpr,
      intervalSeconds: schedule.intervalSeconds,
      runAt: schedule.runAt,
      timezone: schedule.timezone,
      count: 5,
    }),
    staleTime: 60_000,
  });
}

function TimingInWords({ schedule }: { schedule: Schedule }) {
  const preview = useTimingPreview(schedule);
  if (!preview.data) return <span className="muted">…</span>;
  return <span data-testid="schedule-timing-words">{capitalise(preview.data.description)}</span>;
}

/** The next run times, written in the schedule's own time zone. */
function NextRuns({ schedule }: { schedule: Schedule }) {
  const preview = useTimingPreview(schedule);
  if (preview.isError) return <span className="ops-error-inline">could not compute</span>;
  if (!preview.data) return <span className="muted">…</span>;
  if (schedule.status !== 'active') return <span className="muted">none while {schedule.status}</span>;
  if (preview.data.nextRuns.length === 0) return <span className="muted">none</span>;
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: preview.data.timezone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return (
    <ol className="ops-next-runs" data-testid="schedule-next-runs">
      {preview.data.nextRuns.map((run) => (
        <li key={run.toISOString()}>
          <time dateTime={run.toISOString()} title={run.toISOString()}>
            {format.format(run)}
          </time>
        </li>
      ))}
    </ol>
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function ScheduleActions({ schedule, feedback }: { schedule: Schedule; feedback: Feedback }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const refresh = () => void refreshScheduler(queryClient);
  const ref = { id: schedule.id };
  return (
    <div className="row-actions ops-actions">
      {schedule.status === 'active' && (
        <ConfirmButton
          label="Pause"
          title={`Pause ${schedule.name}?`}
          confirmLabel="Pause schedule"
          quiet
          run={() => pause(ref)}
          onSuccess={(result) => {
            feedback.show(
              result.status === 'paused'
                ? `${result.name} paused: no new slots run until it is resumed.`
                : `${result.name} is ${result.status}.`,
            );
            refresh();
          }}
        >
          <p>
            New slots stop. A run in progress finishes its attempts; manual triggers still run. Resuming
            starts from the next future slot: slots passed while paused are not caught up.
          </p>
        </ConfirmButton>
      )}
      {schedule.status === 'paused' && (
        <ConfirmButton
          label="Resume"
          title={`Resume ${schedule.name}?`}
          confirmLabel="Resume schedule"
          run={() => resume(ref)}
          onSuccess={(result) => {
            feedback.show(`${result.name} resumed (${result.status}).`);
            refresh();
          }}
        >
          <p>The schedule runs again from its next future slot; slots passed while paused are skipped.</p>
        </ConfirmButton>
      )}
      {schedule.status === 'quarantined' && (
        <ConfirmButton
          label="Unquarantine"
          title={`Unquarantine ${schedule.name}?`}
          confirmLabel="Unquarantine"
          run={() => unquarantine(ref)}
          onSuccess={(result) => {
            feedback.show(`${result.name} unquarantined: failures reset, it runs again from its next slot.`);
            refresh();
          }}
        >
          <p>
            Its failure count resets to 0 and it becomes active from the next future slot
            {schedule.kind === 'once' ? ' (a one-time schedule runs again now)' : ''}. Fix what made it fail
            first, or it will be quarantined again after {schedule.maxConsecutiveFailures} failed runs.
          </p>
        </ConfirmButton>
      )}
      <ConfirmButton
        label="Trigger now"
        title={`Run ${schedule.name} now?`}
        confirmLabel="Run now"
        quiet
        disabled={schedule.status === 'quarantined'}
        run={() => triggerNow(ref)}
        onSuccess={(result) => {
          feedback.show(
            schedule.pendingTriggerAt
              ? `A manual run of ${result.name} was already pending; nothing changed.`
              : `Manual run of ${result.name} requested: one scheduler replica runs it within a second or two.`,
          );
          refresh();
        }}
      >
        <p>
          One extra run, outside the timetable, run by exactly one scheduler replica. Asking again while it is
          pending changes nothing.
        </p>
      </ConfirmButton>
      {schedule.builtin ? (
        <span className="muted ops-hint">Built-in: defined in code, so it cannot be edited here.</span>
      ) : (
        <>
          <Link to={`${schedulePath(schedule.id)}/edit`} className="button button--quiet">
            Edit
          </Link>
          <ConfirmButton
            label="Delete"
            title={`Delete ${schedule.name}?`}
            confirmLabel="Delete schedule"
            cancelLabel="Keep schedule"
            destructive
            run={() => deleteSchedule(ref)}
            onSuccess={(result) => {
              refresh();
              navigate('/ops/schedules', { state: { deleted: result.name } });
            }}
          >
            <p>
              The schedule and its run history are removed. A run in progress must finish first. This cannot
              be undone; pause it instead to keep its history.
            </p>
          </ConfirmButton>
        </>
      )}
    </div>
  );
}

function isRunStatus(value: string): value is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(value);
}

function RunsPanel({ scheduleId }: { scheduleId: string }) {
  const [status, setStatus] = useState<RunStatus | undefined>(undefined);
  const runs = useLivePagedQuery(status ?? '', (page) =>
    api.scheduler.runs.queryOptions({ scheduleId, ...page, ...(status ? { status } : {}) }),
  );
  return (
    <section className="panel" aria-labelledby="schedule-runs-title">
      <header className="ops-section__header">
        <h3 id="schedule-runs-title">Runs</h3>
        <label className="ops-inline-field">
          Status{' '}
          <select
            value={status ?? ''}
            onChange={(event) => setStatus(isRunStatus(event.target.value) ? event.target.value : undefined)}
          >
            <option value="">All</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
      </header>
      <LoadStates query={runs.query} errorTitle="Could not load the runs" />
      <PagedTable
        list={runs}
        tableTestId="runs-table"
        head={
          <>
            <th scope="col">Slot</th>
            <th scope="col" className="table__numeric">
              Attempt
            </th>
            <th scope="col">Trigger</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col" className="table__numeric">
              Duration
            </th>
            <th scope="col">Node</th>
            <th scope="col">Error or result</th>
          </>
        }
        row={(run) => (
          <tr key={run.id} data-testid={`run-${run.id}`} data-status={run.status}>
            <th scope="row">
              <Timestamp short value={run.scheduledFor} />
            </th>
            <td className="table__numeric">{run.attempt}</td>
            <td>{run.trigger.replace('_', ' ')}</td>
            <td>
              <StatePill state={run.status} />
            </td>
            <td>
              <Timestamp short value={run.startedAt} />
            </td>
            <td className="table__numeric">
              {run.durationMs === null ? (
                <span className="muted">—</span>
              ) : (
                formatMilliseconds(run.durationMs)
              )}
            </td>
            <td>
              <code className="muted">{run.nodeId}</code>
            </td>
            <td className="table__detail">
              {run.error && <span className="ops-error-text">{run.error}</span>}
              {run.result !== null && run.result !== undefined && (
                <details className="ops-details">
                  <summary>Result</summary>
                  <JsonBlock value={run.result} />
                </details>
              )}
              {!run.error && (run.result === null || run.result === undefined) && (
                <span className="muted">—</span>
              )}
            </td>
          </tr>
        )}
        empty={status ? `No ${status.replace('_', ' ')} runs.` : 'No runs yet.'}
        pagerLabel="runs"
      />
    </section>
  );
}
