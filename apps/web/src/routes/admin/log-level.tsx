import { plural } from '../../lib/plural.ts';

/** Level colours, the same on every page that shows log events and incidents. */
const LEVEL_PILL: Record<string, string> = {
  debug: 'pill pill--neutral',
  info: 'pill pill--info',
  warn: 'pill pill--warn',
  error: 'pill pill--down',
  fatal: 'pill pill--down log-level--fatal',
};

export const LOG_LEVEL_NAMES = ['debug', 'info', 'warn', 'error', 'fatal'] as const;

export function LevelPill({ level }: { level: string }) {
  return (
    <span className={LEVEL_PILL[level] ?? 'pill pill--neutral'} data-level={level}>
      {level}
    </span>
  );
}

/** Attributes as a collapsible, indented JSON view (nothing when there are none). */
export function AttributeViewer({ attributes }: { attributes: Record<string, unknown> }) {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return <span className="muted">—</span>;
  return (
    <details>
      <summary>{plural(keys.length, 'attribute')}</summary>
      <pre className="json-block">{JSON.stringify(attributes, null, 2)}</pre>
    </details>
  );
}
