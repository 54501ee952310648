import { useId, useMemo } from 'react';
import { TextField } from '../../components/form-field.tsx';
import { formatInterval } from './format.ts';
import type { FormValues, MisfirePolicy, ScheduleKind } from './schedule-form-values.ts';
import { MISFIRE_HINT, MISFIRE_LABEL } from './schedule-format.ts';

/** What every fieldset of the schedule form gets: the values, a setter, and a field's messages. */
export interface FieldsetProps {
  values: FormValues;
  set: <K extends keyof FormValues>(field: K, value: FormValues[K]) => void;
  errorsFor: (field: keyof FormValues) => string[];
}

const KINDS: ReadonlyArray<{ value: ScheduleKind; label: string; hint: string }> = [
  { value: 'cron', label: 'Cron', hint: 'A cron expression in a time zone (DST-aware).' },
  { value: 'interval', label: 'Interval', hint: 'Every N seconds of elapsed time, from when it is created.' },
  { value: 'once', label: 'One time', hint: 'A single run at a given moment.' },
];

const MISFIRES: readonly MisfirePolicy[] = ['skip', 'run_once', 'catch_up'];

/** When it runs: the kind and that kind's timing fields, with previews of what they mean. */
export function TimingFieldset({ values, set, errorsFor }: FieldsetProps) {
  const ids = useId();
  const timeZones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);
  const runAtPreview = values.kind === 'once' && values.runAt ? new Date(values.runAt) : null;
  const intervalPreview = Number(values.intervalSeconds);
  return (
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
  );
}

/** What happens to slots missed while no scheduler ran. */
export function MisfireFieldset({ values, set, errorsFor }: FieldsetProps) {
  return (
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
  );
}

/** Retries, runtime limit and quarantine. */
export function FailuresFieldset({ values, set, errorsFor }: FieldsetProps) {
  return (
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
  );
}
