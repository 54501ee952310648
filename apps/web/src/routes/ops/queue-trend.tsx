import { useQuery } from '@tanstack/react-query';
import { type ChartSeries, TimeSeriesChart } from '../../components/chart.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { api, type RouterOutputs } from '../../lib/trpc.ts';
import { CHART_REFRESH_MS } from './ops-queries.ts';

type QueueHistory = RouterOutputs['ops']['queueHistory'];

export const DEPTH_SERIES: readonly ChartSeries[] = [
  { key: 'waiting', label: 'Waiting', color: 'var(--accent)' },
  { key: 'active', label: 'Running', color: 'var(--ok)' },
  { key: 'failed', label: 'Failed (kept)', color: 'var(--down)' },
];

export const FLOW_SERIES: readonly ChartSeries[] = [
  { key: 'completed', label: 'Completed', color: 'var(--ok)', kind: 'bars' },
  { key: 'failures', label: 'Failed for good', color: 'var(--down)', kind: 'bars' },
];

export function chartPoints(history: QueueHistory) {
  return history.points.map((p) => ({
    at: p.at,
    values: {
      waiting: p.waiting,
      active: p.active,
      failed: p.failed,
      completed: p.completed,
      failures: p.failures,
    },
  }));
}

/** Points of each queue's sparkline: the last hour. */
export const SPARKLINE_POINTS = 30;

/**
 * Every queue's last hour in one request (the queues table): one call per row would trip the limit
 * on heavy calls (two at once per person) and leave rows reading "chart failed".
 */
export function useQueueSparklines() {
  return useQuery({
    ...api.ops.queueHistories.queryOptions({ points: SPARKLINE_POINTS }),
    refetchInterval: CHART_REFRESH_MS,
  });
}

/**
 * A sparkline of the last hour's queue depth, for the queues table. The failed series is drawn only
 * when the queue had failed jobs in the hour: a healthy queue shows no red.
 */
export function QueueSparkline({
  queue,
  history,
  error,
}: {
  queue: string;
  history: QueueHistory | undefined;
  error: { message: string } | null;
}) {
  if (error) {
    return (
      <span className="ops-error-inline" role="alert" title={error.message}>
        chart failed
      </span>
    );
  }
  if (!history) return <span className="muted">…</span>;
  if (history.points.length === 0) return <span className="muted">no samples</span>;
  const anyFailed = history.points.some((p) => p.failed > 0);
  const series = anyFailed
    ? [DEPTH_SERIES[0] as ChartSeries, DEPTH_SERIES[2] as ChartSeries]
    : [DEPTH_SERIES[0] as ChartSeries];
  return (
    <span data-series={series.map((s) => s.key).join(',')} data-testid={`sparkline-series-${queue}`}>
      <TimeSeriesChart
        compact
        title={`${queue}, last hour`}
        series={series}
        points={chartPoints(history)}
        from={history.from}
        to={history.to}
        bucketSeconds={history.bucketSeconds}
        testId={`sparkline-${queue}`}
      />
    </span>
  );
}

export const CHART_RANGES = [
  { id: '1h', label: 'Last hour', seconds: 3_600, points: 60 },
  { id: '6h', label: 'Last 6 hours', seconds: 6 * 3_600, points: 72 },
  { id: '24h', label: 'Last 24 hours', seconds: 86_400, points: 96 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 86_400, points: 84 },
] as const;

export type ChartRangeId = (typeof CHART_RANGES)[number]['id'];

/** Depth and failures of one queue over a chosen range, from the worker's samples. */
export function QueueCharts({ queue, range }: { queue: string; range: ChartRangeId }) {
  const chosen = CHART_RANGES.find((r) => r.id === range) ?? CHART_RANGES[0];
  const history = useQuery({
    // `from`/`to` are left to the API (to = now): the key stays stable while the window slides.
    ...api.ops.queueHistory.queryOptions(
      range === '1h'
        ? { queue, points: chosen.points }
        : { queue, points: chosen.points, from: rangeStart(chosen.seconds) },
    ),
    refetchInterval: CHART_REFRESH_MS,
  });
  if (history.isError) return <ErrorMessage error={history.error} title="Could not load the chart" />;
  if (!history.data) return <p className="muted">Loading the chart…</p>;
  const points = chartPoints(history.data);
  const empty =
    'No samples in this range. Workers sample every queue every OPS_SAMPLE_SECONDS (30 s by default); none was running.';
  return (
    <div className="ops-charts">
      <TimeSeriesChart
        title="Queue depth"
        series={DEPTH_SERIES}
        points={points}
        from={history.data.from}
        to={history.data.to}
        bucketSeconds={history.data.bucketSeconds}
        emptyText={empty}
        testId="chart-depth"
      />
      <TimeSeriesChart
        title={`Completed and failed per ${bucketLabel(history.data.bucketSeconds)}`}
        series={FLOW_SERIES}
        points={points}
        from={history.data.from}
        to={history.data.to}
        bucketSeconds={history.data.bucketSeconds}
        emptyText={empty}
        testId="chart-flow"
      />
    </div>
  );
}

/**
 * The start of a range, rounded down to the minute so the query key (and the cache) stays the same
 * for a minute instead of changing on every render.
 */
function rangeStart(seconds: number): Date {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  return new Date(now - seconds * 1000);
}

function bucketLabel(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} h`;
  if (seconds % 60 === 0) return seconds === 60 ? 'minute' : `${seconds / 60} min`;
  return `${seconds} s`;
}
