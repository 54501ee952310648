import type { FieldErrors } from './errors.ts';

/**
 * The props that tie a TextField or SelectField to one key of a form's draft: its name, its value,
 * what typing does and the API's errors for it. `<TextField label="From" type="date" {...bind('from')} />`
 * rather than the same four lines under every field.
 */
export function fieldBinder<D extends object>(draft: D, setDraft: (next: D) => void, errors: FieldErrors) {
  return (key: keyof D & string) => ({
    name: key,
    value: String(draft[key] ?? ''),
    onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value }),
    errors: errors[key],
  });
}
