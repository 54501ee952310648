import { SelectField, TextField } from '../../components/form-field.tsx';

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
      <summary>
        {keys.length} attribute{keys.length === 1 ? '' : 's'}
      </summary>
      <pre className="json-block">{JSON.stringify(attributes, null, 2)}</pre>
    </details>
  );
}

type FieldChange = (event: { target: { value: string } }) => void;

/**
 * What picks log events, the same on the Logs filters and in an alert rule: a lowest level, a source
 * (its sub-sources too) and words in the message. Each page names its fields and says what "any
 * level" means for it (`anyLevel` adds that choice).
 */
export function LogMatchFields({
  names,
  values,
  onChange,
  errors,
  anyLevel,
  textLabel,
  textPlaceholder,
  textHint,
  sourcePlaceholder,
}: {
  names: { level: string; source: string; text: string };
  values: { level: string; source: string; text: string };
  onChange: (name: string) => FieldChange;
  errors: Record<string, string[] | undefined>;
  anyLevel?: string;
  textLabel: string;
  textPlaceholder?: string;
  textHint?: string;
  sourcePlaceholder: string;
}) {
  return (
    <>
      <SelectField
        label="Level at least"
        name={names.level}
        value={values.level}
        onChange={onChange(names.level)}
        errors={errors[names.level]}
      >
        {anyLevel !== undefined && <option value="">{anyLevel}</option>}
        {LOG_LEVEL_NAMES.map((level) => (
          <option key={level} value={level}>
            {level}
          </option>
        ))}
      </SelectField>
      <TextField
        label={anyLevel !== undefined ? 'Source' : 'Source (optional)'}
        name={names.source}
        placeholder={sourcePlaceholder}
        value={values.source}
        onChange={onChange(names.source)}
        errors={errors[names.source]}
        hint="Also matches sources under it"
      />
      <TextField
        label={textLabel}
        name={names.text}
        placeholder={textPlaceholder}
        value={values.text}
        onChange={onChange(names.text)}
        errors={errors[names.text]}
        hint={textHint}
      />
    </>
  );
}
