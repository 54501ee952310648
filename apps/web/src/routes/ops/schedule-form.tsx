import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { TextAreaField, TextField } from '../../components/form-field.tsx';
import { type FieldErrors, fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterInputs, type RouterOutputs } from '../../lib/trpc.ts';
import { formatDateTime, formatInterval } from './format.ts';
import { refreshScheduler, type Schedule } from './ops-queries.ts';
import { MISFIRE_HINT, MISFIRE_LABEL, schedulePath } from './schedule-format.ts';

type Kind = Schedule['kind'];
type Misfire = Schedule['misfire'];
type CreateInput = RouterInputs['scheduler']['create'];
type ScheduleDefaults = RouterOutputs['scheduler']['defaults'];

/** What the form edits: every input as the operator typed it. */
interface FormValues {
  name: string;
  handler: string;
  kind: Kind;
  cronExpr: string;
  timezone: string;
  intervalSeconds: string;
  /** `datetime-local` value, in the browser's time zone. */
  runAt: string;
  payload: string;
  maxAttempts: string;
  backoffSeconds: string;
  maxRuntimeSeconds: string;
  maxConsecutiveFailures: string;
  misfire: Misfire;
  maxCatchUp: string;
}

/** A new schedule's form: empty where the operator must say, the API's defaults elsewhere. */
function newScheduleValues(defaults: ScheduleDefaults): FormValues {
  return {
    name: '',
    handler: '',
    kind: 'cron',
    cronExpr: '',
    timezone: defaults.timezone,
    intervalSeconds: '',
    runAt: '',
    payload: JSON.stringify(defaults.payload),
    maxAttempts: String(defaults.maxAttempts),
    backoffSeconds: String(defaults.backoffSeconds),
    maxRuntimeSeconds: String(defaults.maxRuntimeSeconds),
    maxConsecutiveFailures: String(defaults.maxConsecutiveFailures),
    misfire: defaults.misfire,
    maxCatchUp: String(defaults.maxCatchUp),
  };
}

const KINDS: ReadonlyArray<{ value: Kind; label: string; hint: string }> = [
  { value: 'cron', label: 'Cron', hint: 'A cron expression in a time zone (DST-aware).' },
  { value: 'interval', label: 'Interval', hint: 'Every N seconds of elapsed time, from when it is created.' },
  { value: 'once', label: 'One time', hint: 'A single run at a given moment.' },
];

const MISFIRES: readonly Misfire[] = ['skip', 'run_once', 'catch_up'];

/** Fields the form shows next to their inputs; the error summary leaves them out. */
const INLINE_FIELDS = [
  'name',
  'handler',
  'cronExpr',
  'timezone',
  'intervalSeconds',
  'runAt',
  'payload',
  'maxAttempts',
  'backoffSeconds',
  'maxRuntimeSeconds',
  'maxConsecutiveFailures',
  'maxCatchUp',
];

function valuesOf(schedule: Schedule): FormValues {
  return {
    name: schedule.name,
    handler: schedule.handler,
    kind: schedule.kind,
    cronExpr: schedule.cronExpr ?? '',
    timezone: schedule.timezone,
    intervalSeconds: schedule.intervalSeconds === null ? '' : String(schedule.intervalSeconds),
    runAt: schedule.runAt ? toLocalInput(schedule.runAt) : '',
    payload: JSON.stringify(schedule.payload, null, 2),
    maxAttempts: String(schedule.maxAttempts),
    backoffSeconds: String(schedule.backoffSeconds),
    maxRuntimeSeconds: String(schedule.maxRuntimeSeconds),
    maxConsecutiveFailures: String(schedule.maxConsecutiveFailures),
    misfire: schedule.misfire,
    maxCatchUp: String(schedule.maxCatchUp),
  };
}

/** The form as the API's input, or the problems the browser can tell without asking. */
function parseValues(values: FormValues): { input: CreateInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const integer = (field: keyof FormValues, raw: string): number | undefined => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value)) {
      errors[field] = ['Enter a whole number'];
      return undefined;
    }
    return value;
  };
  let payload: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(values.payload.trim() || '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      errors.payload = ['Must be a JSON object'];
    else payload = parsed as Record<string, unknown>;
  } catch (error) {
    errors.payload = [`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  let runAt: Date | null = null;
  if (values.kind === 'once') {
    runAt = values.runAt ? new Date(values.runAt) : null;
    if (!runAt || Number.isNaN(runAt.getTime())) errors.runAt = ['Pick a date and time'];
  }
  const intervalSeconds =
    values.kind === 'interval' ? integer('intervalSeconds', values.intervalSeconds) : null;
  const input: CreateInput = {
    name: values.name.trim(),
    handler: values.handler.trim(),
    kind: values.kind,
    cronExpr: values.kind === 'cron' ? values.cronExpr.trim() : null,
    intervalSeconds: intervalSeconds ?? null,
    runAt,
    timezone: values.timezone.trim() || 'UTC',
    payload,
    maxAttempts: integer('maxAttempts', values.maxAttempts) ?? 0,
    backoffSeconds: integer('backoffSeconds', values.backoffSeconds) ?? 0,
    maxRuntimeSeconds: integer('maxRuntimeSeconds', values.maxRuntimeSeconds) ?? 0,
    maxConsecutiveFailures: integer('maxConsecutiveFailures', values.maxConsecutiveFailures) ?? 0,
    misfire: values.misfire,
    maxCatchUp: integer('maxCatchUp', values.maxCatchUp) ?? 0,
  };
  return Object.keys(errors).length > 0 ? { errors } : { input };
}

/** New schedule, or edit an existing one (`/ops/schedules/:id/edit`). */
export function ScheduleFormPage({ mode }: { mode: 'create' | 'edit' }) {
  const { id = '' } = useParams();
  const existing = useQuery({ ...api.scheduler.get.queryOptions({ id }), enabled: mode === 'edit' });
  const defaults = useQuery({ ...api.scheduler.defaults.queryOptions(), enabled: mode === 'create' });
  const title = mode === 'create' ? 'New schedule' : `Edit ${existing.data?.name ?? 'schedule'}`;

  return (
    <div className="ops-section">
      <nav aria-label="Breadcrumb" className="ops-breadcrumb">
        <Link to="/ops/schedules">Schedules</Link> <span aria-hidden="true">›</span>{' '}
        {mode === 'edit' && existing.data && (
          <>
            <Link to={schedulePath(existing.data.id)}>{existing.data.name}</Link>{' '}
            <span aria-hidden="true">›</span>{' '}
          </>
        )}
        <span>{mode === 'create' ? 'New' : 'Edit'}</span>
      </nav>
      <header className="ops-section__header">
        <h2>{title}</h2>
      </header>
      {mode === 'create' && defaults.isError && (
        <ErrorMessage error={defaults.error} title="Could not load the schedule defaults" />
      )}
      {mode === 'create' && defaults.isPending && <p className="muted">Loading…</p>}
      {mode === 'create' && defaults.data && (
        <ScheduleForm original={null} initial={newScheduleValues(defaults.data)} />
      )}
      {mode === 'edit' && existing.isError && (
        <ErrorMessage error={existing.error} title="Could not load the schedule" />
      )}
      {mode === 'edit' && existing.isPending && <p className="muted">Loading…</p>}
      {mode === 'edit' &&
        existing.data &&
        (existing.data.builtin ? (
          <p className="notice">
            {existing.data.name} is built in: its definition is code. Pause, resume or trigger it from{' '}
            <Link to={schedulePath(existing.data.id)}>its page</Link>.
          </p>
        ) : (
          <ScheduleForm
            key={existing.data.updatedAt.getTime()}
            original={existing.data}
            initial={valuesOf(existing.data)}
          />
        ))}
    </div>
  );
}

const createSchedule = api.scheduler.create.mutationOptions().mutationFn;
const updateSchedule = api.scheduler.update.mutationOptions().mutationFn;

function ScheduleForm({ original, initial }: { original: Schedule | null; initial: FormValues }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<FormValues>(initial);
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [nothingChanged, setNothingChanged] = useState(false);
  const handlers = useQuery(api.scheduler.handlers.queryOptions());
  const knownHandlers = handlers.data ?? [];
  const timeZones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);
  const ids = useId();

  const save = useMutation({
    // The whole form goes to the API, which compares it with the stored schedule: only settings whose
    // value really changes are written (a timing change moves the slots), and it says which.
    mutationFn: async (input: CreateInput): Promise<Schedule | null> => {
      if (!original) return createSchedule(input);
      const updated = await updateSchedule({ id: original.id, ...input });
      return updated.changed.length > 0 ? updated : null;
    },
    onSuccess: async (saved) => {
      if (!saved) {
        setNothingChanged(true);
        return;
      }
      await refreshScheduler(queryClient);
      const next = saved.nextRunAt ? ` Next run ${formatDateTime(saved.nextRunAt)}.` : '';
      navigate(schedulePath(saved.id), {
        state: { feedback: `${saved.name} ${original ? 'saved' : 'created'}.${next}` },
      });
    },
  });

  const apiErrors = save.isError ? fieldErrorsOf(save.error) : {};
  const errorsFor = (field: string): string[] => [
    ...(localErrors[field] ?? []),
    ...(apiErrors[field] ?? []),
    // A handler's payload schema reports `payload.<path>`.
    ...(field === 'payload'
      ? Object.entries(apiErrors)
          .filter(([key]) => key.startsWith('payload.'))
          .map(([key, messages]) => `${key.slice('payload.'.length)}: ${messages.join('; ')}`)
      : []),
  ];

  const set = <K extends keyof FormValues>(field: K, value: FormValues[K]) => {
    setNothingChanged(false);
    setValues((current) => ({ ...current, [field]: value }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseValues(values);
    if ('errors' in parsed) {
      setLocalErrors(parsed.errors);
      return;
    }
    setLocalErrors({});
    save.mutate(parsed.input);
  };

  const runAtPreview = values.kind === 'once' && values.runAt ? new Date(values.runAt) : null;
  const intervalPreview = Number(values.intervalSeconds);

  return (
    <form
      className="panel form ops-form"
      onSubmit={submit}
      noValidate
      aria-label={original ? 'Edit schedule' : 'New schedule'}
    >
      {save.isError && (
        <ErrorMessage
          error={save.error}
          title="The schedule was not saved"
          inlineFields={Object.keys(apiErrors).filter(
            (key) => INLINE_FIELDS.includes(key) || key.startsWith('payload.'),
          )}
        />
      )}
      {Object.keys(localErrors).length > 0 && (
        <p className="notice" role="alert">
          Some fields need attention before saving.
        </p>
      )}
      {nothingChanged && (
        <p className="notice notice--info" role="status">
          Nothing changed, so nothing was saved.
        </p>
      )}

      <div className="ops-form__row">
        <TextField
          label="Name"
          errors={errorsFor('name')}
          hint="2–100 lower-case letters, digits, dots, dashes or underscores."
          value={values.name}
          onChange={(e) => set('name', e.target.value)}
          required
          autoComplete="off"
        />
        <TextField
          label="Handler"
          errors={errorsFor('handler')}
          hint="The function the scheduler runs, by name."
          value={values.handler}
          onChange={(e) => set('handler', e.target.value)}
          list={`${ids}-handlers`}
          required
          autoComplete="off"
        />
        <datalist id={`${ids}-handlers`}>
          {knownHandlers.map((h) => (
            <option key={h.name} value={h.name}>
              {h.description ?? h.name}
            </option>
          ))}
        </datalist>
      </div>

      <fieldset className="field ops-fieldset">
        <legend className="field__label">When</legend>
        {KINDS.map((kind) => (
          <label key={kind.value} className="segmented__option">
            <input
              type="radio"
              name="kind"
              value={kind.value}
              checked={values.kind === kind.value}
              onChange={() => set('kind', kind.value)}
            />
            <span>
              <strong>{kind.label}</strong> <span className="muted">{kind.hint}</span>
            </span>
          </label>
        ))}
        {values.kind === 'cron' && (
          <div className="ops-form__row">
            <TextField
              label="Cron expression"
              errors={errorsFor('cronExpr')}
              hint="Five fields (minute hour day month weekday), or six with seconds first: 7 * * * * runs hourly at :07."
              value={values.cronExpr}
              onChange={(e) => set('cronExpr', e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
            <TextField
              label="Time zone"
              errors={errorsFor('timezone')}
              hint="IANA name, e.g. Europe/Berlin. Slots follow its daylight-saving changes."
              value={values.timezone}
              onChange={(e) => set('timezone', e.target.value)}
              list={`${ids}-zones`}
              autoComplete="off"
            />
            <datalist id={`${ids}-zones`}>
              {timeZones.map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
          </div>
        )}
        {values.kind === 'interval' && (
          <TextField
            label="Every (seconds)"
            errors={errorsFor('intervalSeconds')}
            hint={
              Number.isInteger(intervalPreview) && intervalPreview > 0
                ? `Runs ${formatInterval(intervalPreview)}.`
                : 'At least 1 second.'
            }
            type="number"
            min={1}
            step={1}
            value={values.intervalSeconds}
            onChange={(e) => set('intervalSeconds', e.target.value)}
          />
        )}
        {values.kind === 'once' && (
          <TextField
            label="Run at (your local time)"
            errors={errorsFor('runAt')}
            hint={
              runAtPreview && !Number.isNaN(runAtPreview.getTime())
                ? `= ${runAtPreview.toISOString()} (UTC). A moment already past runs according to the misfire policy.`
                : 'A moment already past runs according to the misfire policy.'
            }
            type="datetime-local"
            value={values.runAt}
            onChange={(e) => set('runAt', e.target.value)}
          />
        )}
      </fieldset>

      <fieldset className="field ops-fieldset">
        <legend className="field__label">After downtime (misfire)</legend>
        {MISFIRES.map((misfire) => (
          <label key={misfire} className="segmented__option">
            <input
              type="radio"
              name="misfire"
              value={misfire}
              checked={values.misfire === misfire}
              onChange={() => set('misfire', misfire)}
            />
            <span>
              <strong>{MISFIRE_LABEL[misfire]}</strong> <span className="muted">{MISFIRE_HINT[misfire]}</span>
            </span>
          </label>
        ))}
        {values.misfire === 'catch_up' && (
          <TextField
            label="Max catch-up"
            errors={errorsFor('maxCatchUp')}
            hint="How many missed slots may run (1–100)."
            type="number"
            min={1}
            max={100}
            step={1}
            value={values.maxCatchUp}
            onChange={(e) => set('maxCatchUp', e.target.value)}
          />
        )}
      </fieldset>

      <fieldset className="field ops-fieldset">
        <legend className="field__label">Failures</legend>
        <div className="ops-form__row">
          <TextField
            label="Attempts per run"
            errors={errorsFor('maxAttempts')}
            hint="1–100."
            type="number"
            min={1}
            max={100}
            step={1}
            value={values.maxAttempts}
            onChange={(e) => set('maxAttempts', e.target.value)}
          />
          <TextField
            label="Backoff (seconds)"
            errors={errorsFor('backoffSeconds')}
            hint="Doubles with each attempt, ±20 %."
            type="number"
            min={0}
            step={1}
            value={values.backoffSeconds}
            onChange={(e) => set('backoffSeconds', e.target.value)}
          />
          <TextField
            label="Max runtime (seconds)"
            errors={errorsFor('maxRuntimeSeconds')}
            hint="Longer runs are aborted and count as failed."
            type="number"
            min={1}
            step={1}
            value={values.maxRuntimeSeconds}
            onChange={(e) => set('maxRuntimeSeconds', e.target.value)}
          />
          <TextField
            label="Max consecutive failures"
            errors={errorsFor('maxConsecutiveFailures')}
            hint="Failed runs in a row before the schedule is quarantined."
            type="number"
            min={1}
            step={1}
            value={values.maxConsecutiveFailures}
            onChange={(e) => set('maxConsecutiveFailures', e.target.value)}
          />
        </div>
      </fieldset>

      <div className="ops-json-field">
        <TextAreaField
          label="Payload (JSON object)"
          errors={errorsFor('payload')}
          hint="Handed to the handler on every run; the handler may validate it."
          rows={6}
          spellCheck={false}
          value={values.payload}
          onChange={(event) => set('payload', event.target.value)}
        />
      </div>

      <div className="form__actions">
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : original ? 'Save changes' : 'Create schedule'}
        </button>
        <Link to={original ? schedulePath(original.id) : '/ops/schedules'} className="button button--quiet">
          Cancel
        </Link>
      </div>
    </form>
  );
}

function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
