import type { ReactNode } from 'react';
import { Link, Navigate, Outlet, useLocation, useSearchParams } from 'react-router';
import type { Permission } from './session-store.ts';
import { useSession } from './use-session.ts';

export const SIGN_IN_PATH = '/sign-in';
export const CHANGE_PASSWORD_PATH = '/change-password';
export const HOME_PATH = '/';

/** Where to go back to after sign-in: only same-app paths, never another origin. */
export function safeNextPath(value: string | null): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return HOME_PATH;
  return value;
}

export function signInPathFor(location: { pathname: string; search: string }): string {
  const next = `${location.pathname}${location.search}`;
  return next === HOME_PATH ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}`;
}

export function SessionLoading() {
  return (
    <section className="page" aria-labelledby="page-title" aria-busy="true">
      <h1 id="page-title" className="visually-hidden">
        Restoring your session
      </h1>
      <p className="muted session-loading">
        <span className="spinner" role="presentation" /> Restoring your session…
      </p>
    </section>
  );
}

/**
 * The app's areas: signed-in users only. Signed-out visitors go to sign-in (and come back after);
 * a pending password change sends the user to change it first — unless `allowPendingPasswordChange`
 * (the change-password page itself).
 */
export function RequireSession({
  allowPendingPasswordChange = false,
}: {
  allowPendingPasswordChange?: boolean;
}) {
  const session = useSession();
  const location = useLocation();
  if (session.status === 'restoring') return <SessionLoading />;
  if (session.status === 'signedOut' || !session.user)
    return <Navigate to={signInPathFor(location)} replace />;
  if (session.user.mustChangePassword && !allowPendingPasswordChange) {
    return <Navigate to={CHANGE_PASSWORD_PATH} replace />;
  }
  return <Outlet />;
}

/** Sign-in and sign-up: a signed-in user is sent on (to `?next=` or home). */
export function GuestOnly() {
  const session = useSession();
  const [params] = useSearchParams();
  if (session.status === 'restoring') return <SessionLoading />;
  if (session.status === 'signedIn') {
    const target = session.user?.mustChangePassword ? CHANGE_PASSWORD_PATH : safeNextPath(params.get('next'));
    return <Navigate to={target} replace />;
  }
  return <Outlet />;
}

/** Renders its children only for holders of one of `anyOf`; everyone else reads why not. */
export function RequirePermission({
  anyOf,
  children,
}: {
  anyOf: readonly Permission[];
  children: ReactNode;
}) {
  const session = useSession();
  if (session.canAny(anyOf)) return children;
  return <NotAllowed permissions={anyOf} />;
}

export function NotAllowed({ permissions }: { permissions: readonly Permission[] }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <h1 id="page-title">Not allowed</h1>
      </header>
      <div className="panel" role="alert">
        <p>
          Your roles do not include {permissions.length === 1 ? 'the permission' : 'any of the permissions'}{' '}
          {permissions.map((permission, index) => (
            <span key={permission}>
              {index > 0 && ', '}
              <code>{permission}</code>
            </span>
          ))}
          . Ask an administrator of your organisation if you need it.
        </p>
        <p>
          <Link to={HOME_PATH}>Go to Home</Link>
        </p>
      </div>
    </section>
  );
}
