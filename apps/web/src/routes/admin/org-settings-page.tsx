import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ResultNotice } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.ts';

type OrgSettings = RouterOutputs['orgs']['settings']['get'];
type UpdateInput = RouterInputs['orgs']['settings']['update'];

/**
 * Admin → Organisation: whether people may join by signing up with the organisation's link, and the
 * role they start with. Roles that administer the organisation are offered but cannot be chosen:
 * anyone who finds the link would get them.
 */
export function OrgSettingsPage() {
  const settings = useQuery(api.orgs.settings.get.queryOptions());
  // Here, not in the form: a save re-keys the form, and the outcome stays shown.
  const [saved, setSaved] = useState<string | null>(null);
  return (
    <section className="admin-section" aria-labelledby="org-title">
      <div className="section-header">
        <h2 id="org-title">Organisation</h2>
      </div>
      {settings.isError && (
        <ErrorMessage
          error={settings.error}
          title="Could not load the settings"
          onRetry={() => void settings.refetch()}
        />
      )}
      {settings.isPending && <p className="muted">Loading…</p>}
      {saved && <ResultNotice message={saved} onDismiss={() => setSaved(null)} />}
      {/* Keyed by what is saved, so the form starts from the stored values after every save. */}
      {settings.data && (
        <SignUpForm
          key={`${settings.data.allowSignup}:${settings.data.defaultRole}`}
          settings={settings.data}
          onSaved={setSaved}
        />
      )}
    </section>
  );
}

function SignUpForm({
  settings,
  onSaved,
}: {
  settings: OrgSettings;
  onSaved: (message: string | null) => void;
}) {
  const queryClient = useQueryClient();
  const [allowSignup, setAllowSignup] = useState(settings.allowSignup);
  const [defaultRole, setDefaultRole] = useState(settings.defaultRole);
  const save = useMutation({
    mutationFn: (input: UpdateInput) => trpc.orgs.settings.update.mutate(input),
    onSuccess: (next) => {
      onSaved(
        next.allowSignup
          ? `Sign-up is open: people who sign up with the link join ${next.name} as ${next.defaultRole}.`
          : `Sign-up is closed: people join ${next.name} only by invitation.`,
      );
      queryClient.setQueryData(api.orgs.settings.get.queryKey(), next);
    },
  });
  const errors = fieldErrorsOf(save.error);
  const link = `${window.location.origin}${settings.signUpPath}`;
  const chosen = settings.roleChoices.find((role) => role.name === defaultRole);
  return (
    <div className="panel">
      <Form
        error={save.error}
        className="form"
        noValidate
        aria-label="Sign-up"
        onSubmit={(event) => {
          event.preventDefault();
          onSaved(null);
          save.mutate({ allowSignup, defaultRole });
        }}
      >
        <h3>Joining by sign-up</h3>
        <label className="checkbox">
          <input
            type="checkbox"
            name="allowSignup"
            checked={allowSignup}
            onChange={(event) => setAllowSignup(event.target.checked)}
          />
          <span>
            Anyone with the link may sign up
            <span className="checkbox__description">
              Otherwise people join only when invited from Users. Each sign-up is confirmed by a code sent to
              their email address.
            </span>
          </span>
        </label>
        <SelectField
          label="Role of people who sign up"
          name="defaultRole"
          value={defaultRole}
          onChange={(event) => setDefaultRole(event.target.value)}
          errors={errors.defaultRole}
          hint={
            chosen?.notEligibleBecause ??
            'What they may do until an admin gives them more. Roles that administer the organisation cannot be chosen.'
          }
        >
          {settings.roleChoices.map((role) => (
            <option key={role.name} value={role.name} disabled={role.notEligibleBecause !== null}>
              {role.name}
              {role.notEligibleBecause ? ' (administers the organisation)' : ''}
            </option>
          ))}
        </SelectField>
        <div className="field">
          <span className="field__label">Sign-up link</span>
          <p>
            <code data-testid="sign-up-link">{link}</code>{' '}
            <button
              type="button"
              className="button button--quiet"
              onClick={() => void navigator.clipboard?.writeText(link)}
            >
              Copy
            </button>
          </p>
          <p className="field__hint">
            {settings.allowSignup
              ? 'Share it with the people who should join.'
              : 'It works once sign-up is open and saved.'}
          </p>
        </div>
        {save.isError && (
          <ErrorMessage
            error={save.error}
            title="Could not save the settings"
            inlineFields={['defaultRole']}
          />
        )}
        <div className="form__actions">
          <button type="submit" className="button" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </Form>
    </div>
  );
}
