import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, Outlet, useNavigate, useOutletContext } from 'react-router';
import { useRetryCountdown } from '../../auth/retry-after.ts';
import { useSession } from '../../auth/use-session.ts';
import { SubNav } from '../../components/area-layout.tsx';
import { Dialog, DialogActions, ResultNotice } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { CheckboxGroup, TextField } from '../../components/form-field.tsx';
import { describeError, fieldErrorsOf } from '../../lib/errors.ts';
import { formatDuration } from '../../lib/time-format.ts';
import { api, type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { useRoleOptions } from './role-options.ts';

type InviteInput = RouterInputs['users']['invite'];
export type Invitation = RouterOutputs['users']['invite'];

/** How long an invitation link works (the API's INVITATION_TTL_DAYS), for the words around it. */
export const INVITATION_VALID_DAYS = 7;

export const INVITATIONS_PATH = '/admin/users/invitations';

/** A member's own page (Admin → Users → a person). */
export function userPath(userId: string): string {
  return `/admin/users/${encodeURIComponent(userId)}`;
}

interface UsersOutletContext {
  /** Shows the outcome of an action at the top of the section until dismissed. */
  showResult: (message: ReactNode) => void;
}

/** For the Members and Invitations pages: where their actions report what they did. */
export function useUsersResult(): UsersOutletContext['showResult'] {
  return useOutletContext<UsersOutletContext>().showResult;
}

/**
 * Admin → Users (SPEC §1): the members of the organisation, each one's own page, and the invitations
 * sent to new ones.
 * "Invite" is here, above both, so it is at hand wherever the admin is.
 */
export function UsersLayout() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const roleOptions = useRoleOptions();
  const [result, setResult] = useState<ReactNode>(null);
  const [inviting, setInviting] = useState(false);
  return (
    <section className="admin-section" aria-labelledby="users-title">
      <div className="section-header">
        <h2 id="users-title">Users</h2>
        <button type="button" className="button" onClick={() => setInviting(true)}>
          Invite
        </button>
      </div>
      <SubNav
        label="Users sections"
        minor
        links={[
          { to: '/admin/users', label: 'Members', end: true },
          { to: INVITATIONS_PATH, label: 'Invitations' },
        ]}
      />
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      <Outlet context={{ showResult: setResult } satisfies UsersOutletContext} />
      <Dialog open={inviting} title="Invite someone" onClose={() => setInviting(false)}>
        {inviting && (
          <InviteForm
            roleNames={roleOptions.names}
            onCancel={() => setInviting(false)}
            onInvited={(invitation) => {
              setInviting(false);
              setResult(
                <>
                  Invitation sent to <strong>{invitation.name}</strong> ({invitation.email}). The link in the
                  email works until {invitation.expiresAt.toLocaleString()}.
                </>,
              );
              void queryClient.invalidateQueries({ queryKey: api.users.invitations.pathKey() });
              void navigate(INVITATIONS_PATH);
            }}
          />
        )}
      </Dialog>
    </section>
  );
}

/** Titles for the refusals an admin can act on; other failures keep their usual title. */
function inviteErrorTitle(error: unknown): string {
  switch (describeError(error).code) {
    case 'CONFLICT':
      return 'This address cannot be invited now';
    case 'FORBIDDEN':
      return 'You cannot give these roles';
    case 'RATE_LIMITED':
      return "Your organisation's email limit for this hour is reached";
    default:
      return 'Could not send the invitation';
  }
}

function InviteForm({
  roleNames,
  onCancel,
  onInvited,
}: {
  roleNames: string[];
  onCancel: () => void;
  onInvited: (invitation: Invitation) => void;
}) {
  const session = useSession();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<Set<string>>(new Set(['viewer']));
  const invite = useMutation({
    mutationFn: (input: InviteInput) => trpc.users.invite.mutate(input),
    onSuccess: onInvited,
  });
  const wait = useRetryCountdown(invite.error);
  const fieldErrors = fieldErrorsOf(invite.error);
  const failure = invite.isError ? describeError(invite.error) : null;
  const openInvitationExists = failure?.details?.reason === 'OPEN_INVITATION';
  const orgName = session.org?.name ?? 'your organisation';
  return (
    <Form
      error={invite.error}
      className="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        invite.mutate({ email: email.trim(), name: name.trim(), roles: [...roles] });
      }}
    >
      <p className="muted">
        They get an email with a link to choose their own password; the link works for {INVITATION_VALID_DAYS}{' '}
        days. Once they accept, they are a member of {orgName} with the roles below.
      </p>
      <TextField
        label="Email"
        type="email"
        name="email"
        autoComplete="off"
        required
        value={email}
        onChange={(event) => setEmail(event.target.value)}
        errors={fieldErrors.email}
      />
      <TextField
        label="Name"
        name="name"
        autoComplete="off"
        required
        value={name}
        onChange={(event) => setName(event.target.value)}
        errors={fieldErrors.name}
        hint="How they are greeted; they can change it when they accept."
      />
      <CheckboxGroup
        legend="Roles"
        options={roleNames.map((value) => ({ value }))}
        selected={roles}
        onChange={setRoles}
        errors={fieldErrors.roles}
        hint="You can only give roles whose permissions you hold yourself."
      />
      {invite.isError && (
        <>
          <ErrorMessage
            error={invite.error}
            title={inviteErrorTitle(invite.error)}
            inlineFields={['email', 'name', 'roles']}
          />
          {openInvitationExists && (
            <p>
              <Link to={INVITATIONS_PATH} onClick={onCancel}>
                Go to the pending invitations
              </Link>{' '}
              to send it again.
            </p>
          )}
        </>
      )}
      <DialogActions
        busy={invite.isPending}
        onCancel={onCancel}
        submitLabel={wait > 0 ? `Send invitation (wait ${formatDuration(wait)})` : 'Send invitation'}
        busyLabel="Sending…"
        submitDisabled={wait > 0}
      />
    </Form>
  );
}
