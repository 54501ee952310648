import { type FormEvent, type FormHTMLAttributes, useEffect, useRef, useState } from 'react';

type FormProps = Omit<FormHTMLAttributes<HTMLFormElement>, 'onSubmit'> & {
  /** Called with the submit event; the page's default navigation is already prevented. */
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  /**
   * The failure of the call the form makes (a mutation's `error`). When a new one arrives, the focus
   * moves to the first field it marks invalid. Several calls: `a.error ?? b.error`.
   */
  error?: unknown;
};

/**
 * Every form of the app: a `<form>` that, after a submit which leaves fields invalid (the form's own
 * checks, or the API's field errors arriving later), moves the focus to the first invalid field in
 * page order — so a keyboard or screen-reader user lands on the message to fix, not on the button.
 * Fields are found by what they show (`.field--invalid` from `TextField` & co, or `aria-invalid`),
 * so a form needs no wiring beyond using this instead of `<form>` and passing its call's `error`.
 */
export function Form({ onSubmit, error, children, ...form }: FormProps) {
  const ref = useRef<HTMLFormElement>(null);
  const [submits, setSubmits] = useState(0);

  // Runs after the render that follows a submit (its own checks have marked their fields by then)
  // and after the render that shows a new error of the call.
  useEffect(() => {
    if (submits === 0 && !error) return;
    if (ref.current) focusFirstInvalid(ref.current);
  }, [submits, error]);

  return (
    <form
      ref={ref}
      {...form}
      onSubmit={(event) => {
        event.preventDefault();
        setSubmits((count) => count + 1);
        onSubmit(event);
      }}
    >
      {children}
    </form>
  );
}

const INVALID = '.field--invalid, [aria-invalid="true"]';
const FOCUSABLE =
  'input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled])';

/** Focuses the first invalid field of `form` (its first control, for a group); false if none. */
export function focusFirstInvalid(form: HTMLElement): boolean {
  const invalid = form.querySelector<HTMLElement>(INVALID);
  if (!invalid) return false;
  const control = invalid.matches(FOCUSABLE) ? invalid : invalid.querySelector<HTMLElement>(FOCUSABLE);
  if (!control) return false;
  control.focus();
  return true;
}
