import { useMutation } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { type RouterInputs, trpc } from '../../lib/trpc.ts';
import { AuthCard } from './auth-card.tsx';
import { NewPasswordFields, useNewPassword } from './new-password-fields.tsx';

type ResetInput = RouterInputs['auth']['resetPassword'];

/** The page the reset email links to: `/reset-password?token=…`. It does not sign in. */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const token = params.get('token') ?? '';
  const password = useNewPassword();
  const reset = useMutation({
    mutationFn: (input: ResetInput) => trpc.auth.resetPassword.mutate(input),
    onSuccess: () => void navigate('/sign-in?reset=1'),
  });
  const fieldErrors = fieldErrorsOf(reset.error);

  if (!token) {
    return (
      <AuthCard title="Choose a new password">
        <div className="notice" role="alert">
          <p>
            This page needs the link from the reset email, and this address has no token. Open the link from
            the email again, or <Link to="/forgot-password">request a new one</Link>.
          </p>
        </div>
      </AuthCard>
    );
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (password.confirmed()) reset.mutate({ token, password: password.password });
  };

  return (
    <AuthCard title="Choose a new password" lead="Every device signed in to your account will be signed out.">
      <Form error={reset.error} className="form" onSubmit={onSubmit} noValidate>
        <NewPasswordFields value={password} name="password" errors={fieldErrors.password} />
        {reset.isError && (
          <>
            <ErrorMessage
              error={reset.error}
              title="Could not reset the password"
              inlineFields={['password']}
            />
            {!fieldErrors.password && (
              <p>
                <Link to="/forgot-password">Request a new reset link</Link>
              </p>
            )}
          </>
        )}
        <div className="form__actions">
          <button type="submit" className="button" disabled={reset.isPending}>
            {reset.isPending ? 'Saving…' : 'Set new password'}
          </button>
        </div>
      </Form>
    </AuthCard>
  );
}
