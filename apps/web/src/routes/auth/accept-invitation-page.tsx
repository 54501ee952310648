import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { HOME_PATH } from '../../auth/guards.tsx';
import { signedIn, signOut } from '../../auth/session-store.ts';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { describeError, fieldErrorsOf } from '../../lib/errors.ts';
import { formatDateTimeWithZone } from '../../lib/time-format.ts';
import { type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { AuthCard } from './auth-card.tsx';
import { NewPasswordFields, useNewPassword } from './new-password-fields.tsx';

type AcceptInput = RouterInputs['auth']['acceptInvitation'];
type InvitationPreview = RouterOutputs['auth']['invitation'];

/** How long invitation links work (the API's INVITATION_TTL_DAYS), for the explanation of a dead link. */
const LINK_DAYS = 7;

/** A 400 about the link itself (unknown, expired, replaced, revoked, used): not something to retry. */
function isDeadLink(error: unknown): boolean {
  const described = describeError(error);
  return described.code === 'VALIDATION_ERROR' && described.fieldErrors?.token !== undefined;
}

/**
 * The page the invitation email links to: `/accept-invitation?token=…`. It shows what the link
 * offers (`auth.invitation`, a POST so the token stays out of logged URLs), lets the invitee choose a
 * name and password, and signs them in on acceptance exactly as sign-in does.
 */
export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const session = useSession();
  const preview = useQuery({
    queryKey: ['auth.invitation', token],
    queryFn: () => trpc.auth.invitation.mutate({ token }),
    enabled: token !== '',
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
  });

  if (!token) {
    return (
      <AuthCard title="Accept an invitation">
        <div className="notice" role="alert">
          <p>
            This page needs the link from the invitation email, and this address has no token. Open the link
            from the email again.
          </p>
        </div>
      </AuthCard>
    );
  }
  if (preview.isError) {
    if (isDeadLink(preview.error)) return <DeadLink />;
    return (
      <AuthCard title="Accept an invitation">
        <ErrorMessage
          error={preview.error}
          title="Could not check the invitation"
          onRetry={() => void preview.refetch()}
        />
      </AuthCard>
    );
  }
  if (preview.isPending || session.status === 'restoring') {
    return (
      <AuthCard title="Accept an invitation">
        <p className="muted" aria-busy="true">
          Checking the invitation…
        </p>
      </AuthCard>
    );
  }

  const invitation = preview.data;
  const signedInAs = session.status === 'signedIn' ? session.user?.email : undefined;
  // Just accepted (or the owner of the address came back signed in): nothing left to do here.
  if (signedInAs?.toLowerCase() === invitation.email.toLowerCase())
    return <Navigate to={HOME_PATH} replace />;
  if (invitation.addressHasAccount) return <AddressHasAccount invitation={invitation} />;
  if (signedInAs) return <SignedInElsewhere invitation={invitation} signedInAs={signedInAs} />;
  return <AcceptForm token={token} invitation={invitation} />;
}

function AcceptForm({ token, invitation }: { token: string; invitation: InvitationPreview }) {
  const navigate = useNavigate();
  const [name, setName] = useState(invitation.name);
  const password = useNewPassword();
  const accept = useMutation({
    mutationFn: (input: AcceptInput) => trpc.auth.acceptInvitation.mutate(input),
    onSuccess: async (response) => {
      // The same session adoption as sign-in; the token's page is replaced, so Back does not return here.
      await signedIn(response);
      void navigate(HOME_PATH, { replace: true });
    },
  });
  const fieldErrors = fieldErrorsOf(accept.error);

  if (accept.isError && isDeadLink(accept.error)) return <DeadLink />;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!password.confirmed()) return;
    const chosenName = name.trim();
    accept.mutate({ token, password: password.password, ...(chosenName ? { name: chosenName } : {}) });
  };

  return (
    <AuthCard
      title={`Join ${invitation.orgName}`}
      lead={
        <>
          You are invited to join {invitation.orgName} on Atrium. Choose your password to accept; the
          invitation is open until {formatDateTimeWithZone(invitation.expiresAt)}.
        </>
      }
    >
      <Form
        error={accept.error}
        className="form"
        onSubmit={onSubmit}
        noValidate
        aria-label="Accept the invitation"
      >
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          readOnly
          value={invitation.email}
          hint="The invitation is for this address. You sign in with it."
        />
        <TextField
          label="Your name"
          name="name"
          autoComplete="name"
          required
          value={name}
          onChange={(event) => setName(event.target.value)}
          errors={fieldErrors.name}
          hint="How others in the organisation see you."
        />
        <NewPasswordFields
          value={password}
          name="password"
          errors={fieldErrors.password}
          label="Password"
          repeatLabel="Repeat the password"
        />
        {accept.isError && (
          <>
            <ErrorMessage
              error={accept.error}
              title={
                describeError(accept.error).code === 'CONFLICT'
                  ? 'This address already has an account'
                  : 'Could not accept the invitation'
              }
              inlineFields={['password', 'name']}
            />
            {describeError(accept.error).code === 'CONFLICT' && (
              <p>
                <Link to={`/sign-in?email=${encodeURIComponent(invitation.email)}`}>
                  Sign in to your account
                </Link>
              </p>
            )}
          </>
        )}
        <div className="form__actions">
          <button type="submit" className="button" disabled={accept.isPending}>
            {accept.isPending ? 'Joining…' : `Join ${invitation.orgName}`}
          </button>
        </div>
      </Form>
    </AuthCard>
  );
}

/** The address already has an account (in any organisation): this invitation cannot be used with it. */
function AddressHasAccount({ invitation }: { invitation: InvitationPreview }) {
  return (
    <AuthCard title={`Join ${invitation.orgName}`}>
      <div className="notice" role="status" data-testid="invitation-address-taken">
        <p>
          <strong>{invitation.email}</strong> already has an Atrium account. An address belongs to one
          organisation at a time, so this invitation cannot be accepted with it.
        </p>
        <p>
          To join {invitation.orgName}, ask whoever invited you to invite another address of yours. Your
          existing account is not affected.
        </p>
      </div>
      <p className="auth-card__footer">
        <Link to={`/sign-in?email=${encodeURIComponent(invitation.email)}`}>Sign in to your account</Link>
      </p>
    </AuthCard>
  );
}

/** Someone is signed in in this browser: accepting would replace their session, so ask first. */
function SignedInElsewhere({
  invitation,
  signedInAs,
}: {
  invitation: InvitationPreview;
  signedInAs: string;
}) {
  const leave = useMutation({ mutationFn: signOut });
  return (
    <AuthCard title={`Join ${invitation.orgName}`}>
      <div className="notice" role="status">
        <p>
          This browser is signed in as <strong>{signedInAs}</strong>. To accept the invitation for{' '}
          <strong>{invitation.email}</strong>, sign out first; the invitation stays open.
        </p>
      </div>
      {leave.isError && <ErrorMessage error={leave.error} title="Could not sign out" />}
      <div className="form__actions">
        <button type="button" className="button" onClick={() => leave.mutate()} disabled={leave.isPending}>
          {leave.isPending ? 'Signing out…' : 'Sign out and continue'}
        </button>
        <Link to={HOME_PATH}>Stay signed in</Link>
      </div>
    </AuthCard>
  );
}

/** Unknown, expired, replaced, revoked or already used: the same answer for all, and what to do. */
function DeadLink() {
  return (
    <AuthCard title="This invitation link does not work">
      <div className="notice" role="alert" data-testid="invitation-link-dead">
        <p>
          It may have expired (invitation links work for {LINK_DAYS} days), been replaced by a newer
          invitation email, been withdrawn, or already been used.
        </p>
        <p>Ask the person who invited you to send the invitation again; the new email has a fresh link.</p>
      </div>
      <p className="auth-card__footer">
        Already accepted it? <Link to="/sign-in">Sign in</Link>
      </p>
    </AuthCard>
  );
}
