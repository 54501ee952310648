import { SelectField, TextField } from '../../components/form-field.tsx';
import { DataTable } from '../../components/list-panel.tsx';
import { plural } from '../../lib/plural.ts';
import type { RouterOutputs } from '../../lib/trpc.ts';

type LogEvent = RouterOutputs['logs']['query']['items'][number];

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

type FieldChange = (event: { target: { value: string } }) => void;

/** How each page names and words the fields that pick log events. */
const LOG_MATCH_FORMS = {
  /** Admin → Logs: filters, each optional. */
  filter: {
    names: { level: 'level', source: 'source', text: 'q' },
    anyLevel: 'Any level',
    sourceLabel: 'Source',
    sourcePlaceholder: 'billing.api',
    textLabel: 'Words in the message',
    textPlaceholder: 'timeout -retry "card declined"',
    textHint: undefined,
  },
  /** An alert rule: a level is always chosen. */
  rule: {
    names: { level: 'minLevel', source: 'source', text: 'containsText' },
    anyLevel: undefined,
    sourceLabel: 'Source (optional)',
    sourcePlaceholder: 'payments',
    textLabel: 'Message contains (optional)',
    textPlaceholder: undefined,
    textHint: 'Upper and lower case are the same',
  },
} as const;

/**
 * What picks log events, the same on the Logs filters and in an alert rule: a lowest level, a source
 * (its sub-sources too) and words in the message. `values`, `onChange` and `errors` are keyed by the
 * form's field names (`level`/`minLevel`, `source`, `q`/`containsText`).
 */
export function LogMatchFields({
  form,
  values,
  onChange,
  errors,
}: {
  form: keyof typeof LOG_MATCH_FORMS;
  values: Readonly<Record<string, string>>;
  onChange: (name: string) => FieldChange;
  errors: Record<string, string[] | undefined>;
}) {
  const words = LOG_MATCH_FORMS[form];
  const { level, source, text } = words.names;
  return (
    <>
      <SelectField
        label="Level at least"
        name={level}
        value={values[level] ?? ''}
        onChange={onChange(level)}
        errors={errors[level]}
      >
        {words.anyLevel !== undefined && <option value="">{words.anyLevel}</option>}
        {LOG_LEVEL_NAMES.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </SelectField>
      <TextField
        label={words.sourceLabel}
        name={source}
        placeholder={words.sourcePlaceholder}
        value={values[source] ?? ''}
        onChange={onChange(source)}
        errors={errors[source]}
        hint="Also matches sources under it"
      />
      <TextField
        label={words.textLabel}
        name={text}
        placeholder={words.textPlaceholder}
        value={values[text] ?? ''}
        onChange={onChange(text)}
        errors={errors[text]}
        hint={words.textHint}
      />
    </>
  );
}

/** Log events as a table (Logs, and the events behind an incident): when, level, source, message, attributes. */
export function LogEventsTable({
  label,
  events,
  rowTestId,
}: {
  label: string;
  events: readonly LogEvent[];
  rowTestId: string;
}) {
  return (
    <DataTable
      label={label}
      head={
        <>
          <th scope="col">When</th>
          <th scope="col">Level</th>
          <th scope="col">Source</th>
          <th scope="col">Message</th>
          <th scope="col">Attributes</th>
        </>
      }
    >
      {events.map((event) => (
        <tr key={event.id} data-testid={rowTestId} data-level={event.level}>
          <td className="table__nowrap">
            <time dateTime={event.at.toISOString()}>{event.at.toLocaleString()}</time>
          </td>
          <td>
            <LevelPill level={event.level} />
          </td>
          <td>
            <code>{event.source}</code>
          </td>
          <td className="table__detail">
            {event.message}
            {event.requestId && (
              <p className="muted">
                request <code>{event.requestId}</code>
              </p>
            )}
          </td>
          <td>
            <AttributeViewer attributes={event.attributes} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
