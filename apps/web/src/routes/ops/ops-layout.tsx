import { AreaLayout } from '../../components/area-layout.tsx';
import { useOpsAccess, useOpsLiveUpdates } from './ops-queries.ts';

const SECTIONS = [
  { to: '/ops', label: 'Overview', end: true },
  { to: '/ops/queues', label: 'Queues', end: false },
  { to: '/ops/failures', label: 'Failures', end: false },
  { to: '/ops/outbox', label: 'Outbox', end: false },
  { to: '/ops/schedules', label: 'Schedules', end: false },
  { to: '/ops/organisations', label: 'Organisations', end: false },
  { to: '/ops/search-index', label: 'Search index', end: false },
] as const;

/** The Ops console (SPEC §8): one heading, a secondary navigation, the section below. */
export function OpsLayout() {
  const { canSchedule, isOperator } = useOpsAccess();
  // Every Ops page follows the event stream: counts move when jobs settle, without waiting for a poll.
  useOpsLiveUpdates();
  // Schedules (`scheduler.manage`) and organisations are platform-wide, for operators: others would
  // only read a 403.
  const sections = SECTIONS.filter(
    (section) =>
      (section.to !== '/ops/schedules' || canSchedule) &&
      ((section.to !== '/ops/organisations' && section.to !== '/ops/search-index') || isOperator),
  );
  return (
    <AreaLayout
      titleId="page-title"
      title="Ops"
      lead={`Queues, jobs, failures (dead letters and inbox failures), the outbox${
        isOperator ? ', schedules, organisations and the search index' : canSchedule ? ' and schedules' : ''
      }.`}
      sections={sections}
    />
  );
}
