import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ErrorMessage } from '../components/error-message.tsx';
import { api } from '../lib/trpc.ts';
import { useDismiss } from '../lib/use-dismiss.ts';
import { signOut } from './session-store.ts';
import { useSession } from './use-session.ts';

/**
 * The top bar's account menu: who is signed in and where (name, organisation), the way to the
 * profile and the password change, and sign-out. Signed out, it is a "Sign in" link.
 */
export function ProfileMenu() {
  const session = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const leave = useMutation({
    mutationFn: signOut,
    onSuccess: () => {
      setOpen(false);
      void navigate('/sign-in');
    },
  });

  useDismiss(open, setOpen, rootRef);
  // The avatar link expires after five minutes: fetched again before then.
  const avatar = useQuery({
    ...api.profiles.me.queryOptions(),
    enabled: session.status === 'signedIn',
    staleTime: 240_000,
    refetchInterval: 240_000,
  });

  if (session.status === 'restoring') {
    return <span className="tag">Signing in…</span>;
  }
  if (session.status === 'signedOut' || !session.user) {
    return (
      <Link to="/sign-in" className="button button--quiet">
        Sign in
      </Link>
    );
  }

  const { user, org } = session;
  return (
    <div className="profile-menu" ref={rootRef} data-testid="profile-menu">
      <button
        type="button"
        className="profile-menu__button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
      >
        {avatar.data?.avatarUrl ? (
          <img className="profile-menu__avatar avatar" src={avatar.data.avatarUrl} alt="" />
        ) : (
          <span className="profile-menu__avatar" aria-hidden="true">
            {initials(user.name)}
          </span>
        )}
        <span className="profile-menu__who">
          <span className="profile-menu__name" data-testid="profile-menu-name">
            {user.name}
          </span>
          {org && <span className="profile-menu__org">{org.name}</span>}
        </span>
      </button>
      {open && (
        <div className="profile-menu__panel" id={panelId}>
          <div className="profile-menu__header">
            <p className="profile-menu__panel-name">{user.name}</p>
            <p className="muted">{user.email}</p>
            {org && (
              <p className="muted" data-testid="profile-menu-org">
                {org.name} <code>{org.slug}</code>
              </p>
            )}
            <p className="muted">Roles: {user.roles.length > 0 ? user.roles.join(', ') : 'none'}</p>
          </div>
          <ul className="profile-menu__list">
            <li>
              <Link to="/profile" onClick={() => setOpen(false)}>
                Profile
              </Link>
            </li>
            <li>
              <Link to="/change-password" onClick={() => setOpen(false)}>
                Change password
              </Link>
            </li>
            <li>
              <button
                type="button"
                className="link-button"
                onClick={() => leave.mutate()}
                disabled={leave.isPending}
              >
                {leave.isPending ? 'Signing out…' : 'Sign out'}
              </button>
            </li>
          </ul>
          {leave.isError && <ErrorMessage error={leave.error} title="Could not sign out" />}
        </div>
      )}
    </div>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts.at(-1)] : [parts[0]];
  return letters
    .map((part) => part?.[0] ?? '')
    .join('')
    .toUpperCase();
}
