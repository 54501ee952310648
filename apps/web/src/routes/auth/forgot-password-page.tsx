import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { trpc } from '../../lib/trpc.ts';
import { AuthCard, Notice } from './auth-card.tsx';

/**
 * "Forgot your password?" (SPEC §1). The API always accepts, whether or not the address has an
 * account, so the page never tells which addresses exist.
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const request = useMutation({
    mutationFn: (address: string) => trpc.auth.requestPasswordReset.mutate({ email: address }),
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate(email.trim());
  };
  return (
    <AuthCard title="Reset your password" lead="We email you a link to choose a new password.">
      {request.isSuccess ? (
        <Notice testId="reset-requested">
          If <strong>{request.variables}</strong> has an Atrium account, a reset link is on its way. It works
          once, for 30 minutes.
        </Notice>
      ) : (
        <Form error={request.error} className="form" onSubmit={onSubmit} noValidate>
          <TextField
            label="Email"
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            errors={fieldErrorsOf(request.error).email}
          />
          {request.isError && (
            <ErrorMessage
              error={request.error}
              title="Could not request a reset link"
              inlineFields={['email']}
            />
          )}
          <div className="form__actions">
            <button type="submit" className="button" disabled={request.isPending}>
              {request.isPending ? 'Sending…' : 'Email me a reset link'}
            </button>
          </div>
        </Form>
      )}
      <p className="auth-card__footer">
        Remembered it? <Link to="/sign-in">Sign in</Link>
      </p>
    </AuthCard>
  );
}
