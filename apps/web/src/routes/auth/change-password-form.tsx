import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useRetryCountdown } from '../../auth/retry-after.ts';
import { adoptSession } from '../../auth/session-store.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { type RouterInputs, trpc } from '../../lib/trpc.ts';
import { NewPasswordFields, useNewPassword } from './new-password-fields.tsx';

type ChangeInput = RouterInputs['auth']['changePassword'];

/**
 * `auth.changePassword {current, next}`: the forced change (`must_change_password`), and the
 * Profile page's "Change password". The API signs out every other device and returns a fresh session
 * for this one, which is adopted here (so a pending change ends without signing in again).
 */
export function ChangePasswordForm({
  currentLabel = 'Current password',
  submitLabel = 'Change password',
  onChanged,
}: {
  currentLabel?: string;
  submitLabel?: string;
  onChanged: () => void;
}) {
  const [current, setCurrent] = useState('');
  const next = useNewPassword();
  const change = useMutation({
    mutationFn: (input: ChangeInput) => trpc.auth.changePassword.mutate(input),
    onSuccess: async (response) => {
      await adoptSession(response);
      setCurrent('');
      next.clear();
      onChanged();
    },
  });
  const wait = useRetryCountdown(change.error);
  const fieldErrors = fieldErrorsOf(change.error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (next.confirmed()) change.mutate({ current, next: next.password });
  };

  return (
    <Form error={change.error} className="form" onSubmit={onSubmit} noValidate aria-label="Change password">
      <TextField
        label={currentLabel}
        type="password"
        name="current"
        autoComplete="current-password"
        required
        value={current}
        onChange={(event) => setCurrent(event.target.value)}
        errors={fieldErrors.current}
      />
      <NewPasswordFields value={next} name="next" errors={fieldErrors.next} />
      {change.isError && (
        <ErrorMessage
          error={change.error}
          title="Could not change the password"
          inlineFields={['current', 'next']}
        />
      )}
      <div className="form__actions">
        <button type="submit" className="button" disabled={change.isPending || wait > 0}>
          {change.isPending ? 'Saving…' : wait > 0 ? `${submitLabel} (wait ${wait} s)` : submitLabel}
        </button>
      </div>
    </Form>
  );
}
