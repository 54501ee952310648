import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { signOut } from '../../auth/session-store.ts';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { AuthCard } from './auth-card.tsx';
import { ChangePasswordForm } from './change-password-form.tsx';

/**
 * `/change-password`: where a user with `must_change_password` lands (the API refuses everything else
 * with PASSWORD_CHANGE_REQUIRED until it is done), and where the profile menu's link goes.
 */
export function ChangePasswordPage() {
  const session = useSession();
  const navigate = useNavigate();
  const forced = session.user?.mustChangePassword === true;
  const leave = useMutation({ mutationFn: signOut });
  return (
    <AuthCard
      title={forced ? 'Choose a new password' : 'Change your password'}
      lead={
        forced
          ? 'Your account needs a new password before you continue. Every other device signed in to it will be signed out.'
          : 'Every other device signed in to your account will be signed out.'
      }
    >
      <ChangePasswordForm
        currentLabel="Current password"
        submitLabel={forced ? 'Save and continue' : 'Change password'}
        onChanged={() => void navigate(forced ? '/' : '/profile', { state: { passwordChanged: true } })}
      />
      {forced && (
        <p className="auth-card__footer">
          Not now?{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => leave.mutate()}
            disabled={leave.isPending}
          >
            Sign out
          </button>
        </p>
      )}
      {leave.isError && <ErrorMessage error={leave.error} title="Could not sign out" />}
    </AuthCard>
  );
}
