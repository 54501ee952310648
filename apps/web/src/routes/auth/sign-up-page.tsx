import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { rememberPendingEmail } from '../../auth/pending-email.ts';
import { useRetryCountdown } from '../../auth/retry-after.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { type RouterInputs, trpc } from '../../lib/trpc.ts';
import { AuthCard, PASSWORD_HINT } from './auth-card.tsx';

type RegisterInput = RouterInputs['auth']['register'];
type Mode = 'create' | 'join';

/** The organisation field the other mode would show: an error about it is named in the banner. */
const ORG_FIELD_LABELS = { orgName: 'Organisation name', orgSlug: 'Organisation ID' };

/**
 * Sign-up (SPEC §1): create a new organisation (and become its admin) or join an organisation that
 * allows sign-up (`?org=<slug>` preselects joining it). Success goes on to email verification.
 */
export function SignUpPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const presetSlug = params.get('org') ?? '';
  const [mode, setMode] = useState<Mode>(presetSlug ? 'join' : 'create');
  const [orgName, setOrgName] = useState('');
  const [orgSlug, setOrgSlug] = useState(presetSlug);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const register = useMutation({
    mutationFn: (input: RegisterInput) => trpc.auth.register.mutate(input),
    onSuccess: (result) => {
      rememberPendingEmail(result.email);
      void navigate(`/verify-email?email=${encodeURIComponent(result.email)}`, {
        state: { reason: 'registered', orgSlug: result.orgSlug, role: result.role },
      });
    },
  });
  const wait = useRetryCountdown(register.error);
  const fieldErrors = fieldErrorsOf(register.error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const base = { name: name.trim(), email: email.trim(), password };
    register.mutate(
      mode === 'create' ? { ...base, orgName: orgName.trim() } : { ...base, orgSlug: orgSlug.trim() },
    );
  };

  return (
    <AuthCard
      title="Create your account"
      lead="Start a new organisation, or join one whose administrators allow sign-up."
    >
      <Form error={register.error} className="form" onSubmit={onSubmit} noValidate>
        <fieldset className="field segmented">
          <legend className="field__label">Organisation</legend>
          <label className="segmented__option">
            <input
              type="radio"
              name="mode"
              value="create"
              checked={mode === 'create'}
              onChange={() => setMode('create')}
            />
            Create a new organisation
          </label>
          <label className="segmented__option">
            <input
              type="radio"
              name="mode"
              value="join"
              checked={mode === 'join'}
              onChange={() => setMode('join')}
            />
            Join an existing organisation
          </label>
        </fieldset>
        {mode === 'create' ? (
          <TextField
            label="Organisation name"
            name="orgName"
            autoComplete="organization"
            required
            value={orgName}
            onChange={(event) => setOrgName(event.target.value)}
            hint="You become its administrator."
            errors={fieldErrors.orgName}
          />
        ) : (
          <TextField
            label="Organisation ID"
            name="orgSlug"
            required
            value={orgSlug}
            onChange={(event) => setOrgSlug(event.target.value)}
            hint="The short name in your organisation's Atrium links, e.g. acme-media. Ask its administrators."
            errors={fieldErrors.orgSlug}
          />
        )}
        <TextField
          label="Your name"
          name="name"
          autoComplete="name"
          required
          value={name}
          onChange={(event) => setName(event.target.value)}
          errors={fieldErrors.name}
        />
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          errors={fieldErrors.email}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          hint={PASSWORD_HINT}
          errors={fieldErrors.password}
        />
        {register.isError && (
          <ErrorMessage
            error={register.error}
            title="Could not create the account"
            inlineFields={[mode === 'create' ? 'orgName' : 'orgSlug', 'name', 'email', 'password']}
            fieldLabels={ORG_FIELD_LABELS}
          />
        )}
        <div className="form__actions">
          <button type="submit" className="button" disabled={register.isPending || wait > 0}>
            {register.isPending
              ? 'Creating…'
              : wait > 0
                ? `Create account (wait ${wait} s)`
                : 'Create account'}
          </button>
        </div>
      </Form>
      <p className="auth-card__footer">
        Already have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </AuthCard>
  );
}
