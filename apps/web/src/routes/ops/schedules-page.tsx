import { Link, useLocation, useSearchParams } from 'react-router';
import { api } from '../../lib/trpc.ts';
import { FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { StatePill } from './components/state-pill.tsx';
import { Timestamp } from './components/timestamp.tsx';
import type { Schedule, ScheduleListItem } from './ops-queries.ts';
import { OpsListSection, useLivePagedQuery } from './paged-list.tsx';
import { describeTiming, SCHEDULE_STATUSES, type ScheduleStatus, schedulePath } from './schedule-format.ts';

function isScheduleStatus(value: string | null): value is ScheduleStatus {
  return value !== null && (SCHEDULE_STATUSES as readonly string[]).includes(value);
}

/** Every schedule by name, with its state, next run and the outcome of its latest run. */
export function SchedulesPage() {
  const feedback = useFeedback();
  const deleted = (useLocation().state as { deleted?: unknown } | null)?.deleted;
  const [params, setParams] = useSearchParams();
  const statusParam = params.get('status');
  const status = isScheduleStatus(statusParam) ? statusParam : undefined;
  const schedules = useLivePagedQuery(status ?? '', (page) =>
    api.scheduler.list.queryOptions({ ...page, ...(status ? { status } : {}) }),
  );

  return (
    <div className="ops-section">
      {typeof deleted === 'string' && (
        <p className="notice notice--info" role="status" data-testid="schedule-deleted">
          {deleted} deleted, with its run history.
        </p>
      )}
      <header className="ops-section__header">
        <h2>Schedules</h2>
        <span className="ops-section__actions">
          <Link to="/ops/schedules/new" className="button">
            New schedule
          </Link>
        </span>
      </header>
      <FeedbackNotice feedback={feedback} />
      <nav className="ops-tabs" aria-label="Filter schedules by status">
        <button
          type="button"
          className="ops-tabs__tab"
          aria-pressed={status === undefined}
          onClick={() => setParams({})}
        >
          All
        </button>
        {SCHEDULE_STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            className="ops-tabs__tab"
            aria-pressed={status === s}
            onClick={() => setParams({ status: s })}
          >
            {s}
          </button>
        ))}
      </nav>
      <OpsListSection
        list={schedules}
        errorTitle="Could not load the schedules"
        label="Schedules"
        tableTestId="schedules-table"
        head={
          <>
            <th scope="col">Schedule</th>
            <th scope="col">When</th>
            <th scope="col">Status</th>
            <th scope="col" className="table__numeric">
              Failures in a row
            </th>
            <th scope="col">Next run</th>
            <th scope="col">Last run</th>
            <th scope="col">Last result</th>
          </>
        }
        row={(schedule) => (
          <tr key={schedule.id} data-testid={`schedule-${schedule.name}`} data-status={schedule.status}>
            <th scope="row">
              <Link to={schedulePath(schedule.id)}>{schedule.name}</Link>
              <span className="ops-queue-meta">
                <code className="muted">{schedule.handler}</code>
                {schedule.builtin && <span className="tag">built-in</span>}
              </span>
            </th>
            <td>{describeTiming(schedule)}</td>
            <td>
              <StatePill state={schedule.status} />
            </td>
            <td className={`table__numeric${schedule.consecutiveFailures > 0 ? ' ops-count--alert' : ''}`}>
              {schedule.consecutiveFailures} / {schedule.maxConsecutiveFailures}
            </td>
            <td>
              <NextRun schedule={schedule} short />
            </td>
            <td>
              <Timestamp short value={schedule.lastRunAt} relative empty="never" />
            </td>
            <td>
              <LastResult run={schedule.lastRun} />
            </td>
          </tr>
        )}
        empty={status ? `No ${status} schedules.` : 'No schedules yet.'}
        pagerLabel="schedules"
      />
    </div>
  );
}

/** The next thing that will run: a pending manual trigger or retry comes before the next slot. */
export function NextRun({ schedule, short = false }: { schedule: Schedule; short?: boolean }) {
  if (schedule.status === 'quarantined') return <span className="muted">nothing until unquarantined</span>;
  if (schedule.pendingTriggerAt) return <span>manual run pending</span>;
  if (schedule.retryAt) {
    return (
      <span>
        retry {schedule.retryAttempt ? `(attempt ${schedule.retryAttempt}) ` : ''}
        <Timestamp value={schedule.retryAt} relative short={short} />
      </span>
    );
  }
  if (schedule.status === 'paused') return <span className="muted">paused</span>;
  return <Timestamp value={schedule.nextRunAt} relative short={short} empty="none" />;
}

/** The latest run's outcome, with its error in full on hover. */
function LastResult({ run }: { run: ScheduleListItem['lastRun'] }) {
  if (!run) return <span className="muted">no runs yet</span>;
  return (
    <span title={run.error ?? undefined}>
      <StatePill state={run.status} />
      {run.error && <span className="ops-error-text ops-truncate"> {run.error}</span>}
    </span>
  );
}
