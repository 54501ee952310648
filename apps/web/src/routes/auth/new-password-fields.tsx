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

/** "New password" (named `name`, with the API's `errors`) and "Repeat the new password". */
export function NewPasswordFields({
  value,
  name,
  errors,
}: {
  value: NewPassword;
  name: string;
  errors: readonly string[] | undefined;
}) {
  return (
    <>
      <TextField
        label="New password"
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
        label="Repeat the new password"
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
