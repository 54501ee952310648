import { useEffect, useId, useRef, useState } from 'react';

/**
 * A small time-series chart in inline SVG (no chart library): lines for gauges, bars for counts per
 * bucket. Buckets without data are gaps, not zeros — a line breaks across them. The full chart has
 * axes, a legend and its numbers as a table (for screen readers and for reading exact values); the
 * compact one is a sparkline for table cells.
 */
export interface ChartSeries {
  key: string;
  label: string;
  /** Any CSS colour, custom properties included (`var(--down)`). */
  color: string;
  kind?: 'line' | 'bars';
}

export interface ChartPoint {
  /** Start of the bucket. */
  at: Date;
  values: Record<string, number>;
}

export interface TimeSeriesChartProps {
  title: string;
  series: readonly ChartSeries[];
  /** Oldest first. */
  points: readonly ChartPoint[];
  from: Date;
  to: Date;
  bucketSeconds: number;
  /** A sparkline: no axes, legend or data table. */
  compact?: boolean;
  /** What to say when there are no points at all. */
  emptyText?: string;
  testId?: string;
}

const FULL = { width: 640, height: 200, top: 10, right: 12, bottom: 24, left: 40 } as const;
const COMPACT = { width: 96, height: 32, top: 3, right: 3, bottom: 3, left: 2 } as const;

/**
 * The rendered width of an element, so the full chart draws in real pixels (crisp text, no
 * letterboxing) instead of scaling a fixed viewBox. Falls back to `initial` until measured.
 */
function useMeasuredWidth(initial: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      const measured = Math.round(entry?.contentRect.width ?? 0);
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

export function TimeSeriesChart({
  title,
  series,
  points,
  from,
  to,
  bucketSeconds,
  compact = false,
  emptyText = 'No data in this range.',
  testId,
}: TimeSeriesChartProps) {
  const titleId = useId();
  const measured = useMeasuredWidth(FULL.width);
  const box = compact ? COMPACT : { ...FULL, width: Math.max(240, measured.width) };
  const plotWidth = box.width - box.left - box.right;
  const plotHeight = box.height - box.top - box.bottom;
  const span = Math.max(1, to.getTime() - from.getTime());
  const bucketMs = bucketSeconds * 1000;
  const maxValue = Math.max(0, ...points.flatMap((p) => series.map((s) => p.values[s.key] ?? 0)));
  const yMax = niceCeiling(maxValue);

  const x = (time: number) => box.left + ((time - from.getTime()) / span) * plotWidth;
  const y = (value: number) => box.top + plotHeight - (value / yMax) * plotHeight;
  const bucketWidth = Math.max(1, (bucketMs / span) * plotWidth);
  const barSeries = series.filter((s) => s.kind === 'bars');

  const summary =
    points.length === 0
      ? `${title}: ${emptyText}`
      : `${title}: ${points.length} buckets of ${bucketSeconds} s; latest ${series
          .map((s) => `${s.label} ${points.at(-1)?.values[s.key] ?? 0}`)
          .join(', ')}; peak ${maxValue}.`;

  const svg = (
    <svg
      className={compact ? 'chart__svg chart__svg--compact' : 'chart__svg'}
      viewBox={`0 0 ${box.width} ${box.height}`}
      width={box.width}
      height={box.height}
      role="img"
      aria-labelledby={titleId}
    >
      <title id={titleId}>{summary}</title>
      {!compact && (
        <g className="chart__grid">
          {[0, yMax / 2, yMax].map((tick) => (
            <g key={tick}>
              <line x1={box.left} x2={box.width - box.right} y1={y(tick)} y2={y(tick)} />
              <text x={box.left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
                {formatTick(tick)}
              </text>
            </g>
          ))}
          {[from.getTime(), from.getTime() + span / 2, to.getTime()].map((time, index) => (
            <text
              key={time}
              x={x(time)}
              y={box.height - 6}
              textAnchor={index === 0 ? 'start' : index === 2 ? 'end' : 'middle'}
            >
              {formatTime(time, span)}
            </text>
          ))}
        </g>
      )}
      {compact && (
        <line className="chart__baseline" x1={box.left} x2={box.width - box.right} y1={y(0)} y2={y(0)} />
      )}
      {barSeries.map((s, index) => {
        const width = (bucketWidth * 0.7) / barSeries.length;
        return (
          <g key={s.key} style={{ fill: s.color }}>
            {points.map((p) => {
              const value = p.values[s.key] ?? 0;
              if (value <= 0) return null;
              const left = x(p.at.getTime()) + bucketWidth * 0.15 + index * width;
              return (
                <rect
                  key={p.at.getTime()}
                  x={left}
                  y={y(value)}
                  width={Math.max(1, width)}
                  height={Math.max(0.5, y(0) - y(value))}
                />
              );
            })}
          </g>
        );
      })}
      {series
        .filter((s) => s.kind !== 'bars')
        .map((s) => {
          const segments = lineSegments(points, s.key, bucketMs);
          return (
            <g key={s.key}>
              {segments.map((segment) =>
                segment.length === 1 && segment[0] ? (
                  <circle
                    key={segment[0].at.getTime()}
                    cx={x(segment[0].at.getTime() + bucketMs / 2)}
                    cy={y(segment[0].value)}
                    r={compact ? 1.5 : 2.5}
                    style={{ fill: s.color }}
                  />
                ) : (
                  <path
                    key={segment[0]?.at.getTime()}
                    className="chart__line"
                    style={{ stroke: s.color }}
                    d={segment
                      .map(
                        (p, i) =>
                          `${i === 0 ? 'M' : 'L'}${round(x(p.at.getTime() + bucketMs / 2))},${round(y(p.value))}`,
                      )
                      .join(' ')}
                  />
                ),
              )}
            </g>
          );
        })}
    </svg>
  );

  if (compact) {
    return (
      <span className="chart chart--compact" data-testid={testId} data-points={points.length}>
        {svg}
      </span>
    );
  }

  return (
    <figure className="chart" data-testid={testId} data-points={points.length}>
      <figcaption className="chart__caption">
        <span className="chart__title">{title}</span>
        <ul className="chart__legend">
          {series.map((s) => (
            <li key={s.key} className="chart__legend-item">
              <span
                className={`chart__swatch${s.kind === 'bars' ? ' chart__swatch--bar' : ''}`}
                style={{ background: s.color }}
                aria-hidden="true"
              />
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
      <div className={points.length === 0 ? 'chart__plot chart__empty' : 'chart__plot'} ref={measured.ref}>
        {svg}
        {points.length === 0 && <p className="muted">{emptyText}</p>}
      </div>
      {points.length > 0 && (
        <details className="chart__data">
          <summary>Show the numbers</summary>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Bucket start</th>
                  {series.map((s) => (
                    <th scope="col" key={s.key} className="table__numeric">
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {points.map((p) => (
                  <tr key={p.at.getTime()}>
                    <th scope="row">
                      <time dateTime={p.at.toISOString()}>{formatTime(p.at.getTime(), span)}</time>
                    </th>
                    {series.map((s) => (
                      <td key={s.key} className="table__numeric">
                        {p.values[s.key] ?? 0}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}

/** Consecutive buckets of one series; a missing bucket starts a new segment. */
function lineSegments(
  points: readonly ChartPoint[],
  key: string,
  bucketMs: number,
): Array<Array<{ at: Date; value: number }>> {
  const segments: Array<Array<{ at: Date; value: number }>> = [];
  let current: Array<{ at: Date; value: number }> = [];
  let previous: number | null = null;
  for (const point of points) {
    const time = point.at.getTime();
    if (previous !== null && time - previous > bucketMs * 1.5) {
      segments.push(current);
      current = [];
    }
    current.push({ at: point.at, value: point.values[key] ?? 0 });
    previous = time;
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1), so ticks are round numbers. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function formatTime(epochMs: number, spanMs: number): string {
  const date = new Date(epochMs);
  return spanMs > 36 * 3600_000
    ? date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
