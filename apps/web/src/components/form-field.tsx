import {
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useId,
} from 'react';

interface FieldChrome {
  label: string;
  /**
   * Messages for this input from the API's `fieldErrors` (or the form's own checks). Only the first
   * is shown: one thing to fix at a time.
   */
  errors?: readonly string[] | undefined;
  hint?: ReactNode;
}

/**
 * The one message under an input (or a group of inputs): the first of `errors`. A field showing it is
 * `.field--invalid`, which is what `<Form>` looks for to move the focus after a failed submit.
 */
export function FieldError({ errors, id }: { errors: readonly string[] | undefined; id?: string }) {
  const first = errors?.[0];
  if (first === undefined) return null;
  return (
    <p className="field__error" id={id}>
      {first}
    </p>
  );
}

function FieldFrame({
  label,
  errors,
  hint,
  id,
  children,
}: FieldChrome & { id: string; children: (describedBy: string | undefined) => ReactNode }) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-errors`;
  const hasErrors = errors !== undefined && errors.length > 0;
  const describedBy =
    [hint ? hintId : null, hasErrors ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${hasErrors ? ' field--invalid' : ''}`}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {children(describedBy)}
      {hint && (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      )}
      <FieldError errors={errors} id={errorId} />
    </div>
  );
}

type TextFieldProps = FieldChrome & Omit<InputHTMLAttributes<HTMLInputElement>, 'className'>;

/** A labelled input with its hint and field errors wired to `aria-describedby` / `aria-invalid`. */
export function TextField({ label, errors, hint, id, ...input }: TextFieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  return (
    <FieldFrame label={label} errors={errors} hint={hint} id={inputId}>
      {(describedBy) => (
        <input
          id={inputId}
          className="input"
          aria-invalid={errors && errors.length > 0 ? true : undefined}
          aria-describedby={describedBy}
          {...input}
        />
      )}
    </FieldFrame>
  );
}

type TextAreaFieldProps = FieldChrome & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'className'>;

/** A labelled multi-line input, wired like `TextField`. */
export function TextAreaField({ label, errors, hint, id, rows = 4, ...textarea }: TextAreaFieldProps) {
  const generated = useId();
  const textareaId = id ?? generated;
  return (
    <FieldFrame label={label} errors={errors} hint={hint} id={textareaId}>
      {(describedBy) => (
        <textarea
          id={textareaId}
          className="input input--multiline"
          rows={rows}
          aria-invalid={errors && errors.length > 0 ? true : undefined}
          aria-describedby={describedBy}
          {...textarea}
        />
      )}
    </FieldFrame>
  );
}

type SelectFieldProps = FieldChrome &
  Omit<SelectHTMLAttributes<HTMLSelectElement>, 'className'> & { children: ReactNode };

export function SelectField({ label, errors, hint, id, children, ...select }: SelectFieldProps) {
  const generated = useId();
  const selectId = id ?? generated;
  return (
    <FieldFrame label={label} errors={errors} hint={hint} id={selectId}>
      {(describedBy) => (
        <select
          id={selectId}
          className="input"
          aria-invalid={errors && errors.length > 0 ? true : undefined}
          aria-describedby={describedBy}
          {...select}
        >
          {children}
        </select>
      )}
    </FieldFrame>
  );
}

interface CheckboxGroupProps {
  legend: string;
  options: ReadonlyArray<{ value: string; label?: ReactNode; description?: ReactNode; disabled?: boolean }>;
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  errors?: readonly string[] | undefined;
  hint?: ReactNode;
}

/** A fieldset of checkboxes (roles of a user, permissions of a role). */
export function CheckboxGroup({ legend, options, selected, onChange, errors, hint }: CheckboxGroupProps) {
  const id = useId();
  const hasErrors = errors !== undefined && errors.length > 0;
  return (
    <fieldset
      className={`field checkbox-group${hasErrors ? ' field--invalid' : ''}`}
      aria-describedby={hasErrors ? `${id}-errors` : undefined}
    >
      <legend className="field__label">{legend}</legend>
      {hint && <p className="field__hint">{hint}</p>}
      <div className="checkbox-group__options">
        {options.map((option) => (
          <label key={option.value} className="checkbox">
            <input
              type="checkbox"
              checked={selected.has(option.value)}
              disabled={option.disabled}
              onChange={(event) => {
                const next = new Set(selected);
                if (event.target.checked) next.add(option.value);
                else next.delete(option.value);
                onChange(next);
              }}
            />
            <span>
              {option.label ?? option.value}
              {option.description && <span className="checkbox__description">{option.description}</span>}
            </span>
          </label>
        ))}
      </div>
      <FieldError errors={errors} id={`${id}-errors`} />
    </fieldset>
  );
}

/** Apply (submits the filter form) and Reset, under the filters of a list. */
export function FilterActions({ onReset }: { onReset: () => void }) {
  return (
    <div className="filters__actions">
      <button type="submit" className="button">
        Apply
      </button>
      <button type="button" className="button button--quiet" onClick={onReset}>
        Reset
      </button>
    </div>
  );
}
