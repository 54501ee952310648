import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextAreaField, TextField } from '../../components/form-field.tsx';
import { type FieldErrors, fieldErrorsOf } from '../../lib/errors.ts';
import { api } from '../../lib/trpc.ts';
import { formatDateTime } from './format.ts';
import { refreshScheduler, type Schedule } from './ops-queries.ts';
import { FailuresFieldset, MisfireFieldset, TimingFieldset } from './schedule-form-fieldsets.tsx';
import {
  type FormValues,
  newScheduleValues,
  parseValues,
  type ScheduleInput,
  valuesOf,
} from './schedule-form-values.ts';
import { schedulePath } from './schedule-format.ts';

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
  const ids = useId();

  const save = useMutation({
    // The whole form goes to the API, which compares it with the stored schedule: only settings whose
    // value really changes are written (a timing change moves the slots), and it says which.
    mutationFn: async (input: ScheduleInput): Promise<Schedule | null> => {
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
  const errorsFor = (field: keyof FormValues): string[] => [
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

  return (
    <Form
      error={save.error}
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

      <TimingFieldset values={values} set={set} errorsFor={errorsFor} />
      <MisfireFieldset values={values} set={set} errorsFor={errorsFor} />
      <FailuresFieldset values={values} set={set} errorsFor={errorsFor} />

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
    </Form>
  );
}
