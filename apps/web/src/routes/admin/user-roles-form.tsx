import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { DialogActions } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { CheckboxGroup } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { type RouterOutputs, trpc } from '../../lib/trpc.ts';

export type UserSummary = RouterOutputs['users']['get'];

/**
 * A member's roles, edited (`users.setRoles`): from the Members list's dialog and from the member's
 * own page. The API refuses roles beyond the editor's own permissions and the org's last admin leaving.
 */
export function SetRolesForm({
  user,
  roleNames,
  onCancel,
  onSaved,
}: {
  user: UserSummary;
  roleNames: string[];
  onCancel: () => void;
  onSaved: (user: UserSummary) => void;
}) {
  const [roles, setRoles] = useState<Set<string>>(new Set(user.roles));
  const save = useMutation({
    mutationFn: (next: string[]) => trpc.users.setRoles.mutate({ userId: user.id, roles: next }),
    onSuccess: onSaved,
  });
  // Roles the user holds that the options lack (custom roles, for an actor who cannot list roles).
  const options = [...new Set([...roleNames, ...user.roles])];
  return (
    <Form
      error={save.error}
      className="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate([...roles]);
      }}
    >
      <p className="muted">
        {user.email}. A change takes effect on their next request; you can only grant permissions you hold.
      </p>
      <CheckboxGroup
        legend="Roles"
        options={options.map((value) => ({ value }))}
        selected={roles}
        onChange={setRoles}
        errors={fieldErrorsOf(save.error).roles}
      />
      {save.isError && (
        <ErrorMessage error={save.error} title="Could not set the roles" inlineFields={['roles']} />
      )}
      <DialogActions busy={save.isPending} onCancel={onCancel} submitLabel="Save roles" busyLabel="Saving…" />
    </Form>
  );
}
