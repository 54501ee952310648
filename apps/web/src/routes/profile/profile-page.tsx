import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useLocation } from 'react-router';
import { profileUpdated } from '../../auth/session-store.ts';
import { ResultNotice } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, trpc } from '../../lib/trpc.ts';
import { ChangePasswordForm } from '../auth/change-password-form.tsx';
import { PublicProfilePanel } from './public-profile-panel.tsx';

/** Profile (SPEC §1, §11): who you are in which organisation, your name, your password. */
export function ProfilePage() {
  const queryClient = useQueryClient();
  const location = useLocation();
  const arrivedAfterPasswordChange = (location.state as { passwordChanged?: boolean } | null)
    ?.passwordChanged;
  const [notice, setNotice] = useState<string | null>(
    arrivedAfterPasswordChange ? 'Password changed. Every other device was signed out.' : null,
  );
  const me = useQuery({ ...api.users.me.queryOptions(), staleTime: 0, refetchOnMount: 'always' });
  const [name, setName] = useState('');
  useEffect(() => {
    if (me.data) setName(me.data.name);
  }, [me.data]);

  const update = useMutation({
    mutationFn: (input: { name: string }) => trpc.users.updateMe.mutate(input),
    onSuccess: (profile) => {
      profileUpdated(profile);
      queryClient.setQueryData(api.users.me.queryKey(), profile);
      setNotice('Name saved.');
    },
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({ name: name.trim() });
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Profile</h1>
          <p className="muted">Your account in this organisation.</p>
        </div>
      </header>
      {notice && <ResultNotice message={notice} onDismiss={() => setNotice(null)} />}
      {me.isError ? (
        <ErrorMessage
          error={me.error}
          title="Could not load your profile"
          onRetry={() => void me.refetch()}
        />
      ) : me.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className="profile-grid">
          <section className="panel" aria-labelledby="account-title">
            <h2 id="account-title">Account</h2>
            <dl className="facts" data-testid="profile-facts">
              <div className="facts__row">
                <dt>Email</dt>
                <dd>{me.data.email}</dd>
              </div>
              <div className="facts__row">
                <dt>Organisation</dt>
                <dd>
                  {me.data.org.name} <code>{me.data.org.slug}</code>
                </dd>
              </div>
              <div className="facts__row">
                <dt>Roles</dt>
                <dd data-testid="profile-roles">{me.data.roles.join(', ') || 'none'}</dd>
              </div>
              {me.data.platformRole && (
                <div className="facts__row">
                  <dt>Platform role</dt>
                  <dd>{me.data.platformRole}</dd>
                </div>
              )}
              <div className="facts__row">
                <dt>Permissions</dt>
                <dd>
                  {me.data.permissions.length === 0 ? (
                    'none'
                  ) : (
                    <ul className="chip-list">
                      {me.data.permissions.map((permission) => (
                        <li key={permission}>
                          <code className="chip">{permission}</code>
                        </li>
                      ))}
                    </ul>
                  )}
                </dd>
              </div>
              <div className="facts__row">
                <dt>Email verified</dt>
                <dd>{me.data.emailVerifiedAt ? me.data.emailVerifiedAt.toLocaleString() : 'not yet'}</dd>
              </div>
              <div className="facts__row">
                <dt>Last sign-in</dt>
                <dd>{me.data.lastLoginAt ? me.data.lastLoginAt.toLocaleString() : 'never'}</dd>
              </div>
              <div className="facts__row">
                <dt>Member since</dt>
                <dd>{me.data.createdAt.toLocaleDateString()}</dd>
              </div>
            </dl>
          </section>
          <section className="panel" aria-labelledby="name-title">
            <h2 id="name-title">Your name</h2>
            <Form error={update.error} className="form" onSubmit={onSubmit} noValidate>
              <TextField
                label="Name"
                name="name"
                autoComplete="name"
                required
                value={name}
                onChange={(event) => setName(event.target.value)}
                errors={fieldErrorsOf(update.error).name}
              />
              {update.isError && (
                <ErrorMessage error={update.error} title="Could not save your name" inlineFields={['name']} />
              )}
              <div className="form__actions">
                <button
                  type="submit"
                  className="button"
                  disabled={update.isPending || name.trim() === me.data.name}
                >
                  {update.isPending ? 'Saving…' : 'Save name'}
                </button>
              </div>
            </Form>
          </section>
          <PublicProfilePanel />
          <section className="panel" aria-labelledby="password-title">
            <h2 id="password-title">Password</h2>
            <p className="muted">Changing it signs out every other device.</p>
            <ChangePasswordForm
              onChanged={() => setNotice('Password changed. Every other device was signed out.')}
            />
          </section>
        </div>
      )}
    </section>
  );
}
