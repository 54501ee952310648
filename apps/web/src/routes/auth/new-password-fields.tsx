import { useState } from 'react';
import { TextField } from '../../components/form-field.tsx';
import { PASSWORD_HINT } from './auth-card.tsx';

/** A new password typed twice: the two entries, and whether a submit found them different. */
export function useNewPassword() {
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [mismatch, setMismatch] = useState(false);
  return {
    password,
    confirmation,
    mismatch,
    setPassword,
    setConfirmation,
    /** On submit: whether the two entries agree; when they do not, the repeat field says so. */
    confirmed: () => {
      const same = password === confirmation;
      setMismatch(!same);
      return same;
    },
    clear: () => {
      setPassword('');
      setConfirmation('');
    },
  };
}

export type NewPassword = ReturnType<typeof useNewPassword>;

/**
 * "New password" (named `name`, with the API's `errors`) and "Repeat the new password"; a page where
 * the password is the first one (accepting an invitation) passes its own labels.
 */
export function NewPasswordFields({
  value,
  name,
  errors,
  label = 'New password',
  repeatLabel = 'Repeat the new password',
}: {
  value: NewPassword;
  name: string;
  errors: readonly string[] | undefined;
  label?: string;
  repeatLabel?: string;
}) {
  return (
    <>
      <TextField
        label={label}
        type="password"
        name={name}
        autoComplete="new-password"
        required
        value={value.password}
        onChange={(event) => value.setPassword(event.target.value)}
        hint={PASSWORD_HINT}
        errors={errors}
      />
      <TextField
        label={repeatLabel}
        type="password"
        name="confirmation"
        autoComplete="new-password"
        required
        value={value.confirmation}
        onChange={(event) => value.setConfirmation(event.target.value)}
        errors={value.mismatch ? ['The two passwords are not the same'] : undefined}
      />
    </>
  );
}
