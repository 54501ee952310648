import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { ConfirmButton, Dialog, DialogActions, ResultNotice } from '../../components/confirm-dialog.tsx';
import { PagedListPager, usePagedList } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { CheckboxGroup, TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { plural } from '../../lib/plural.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';

type Role = RouterOutputs['roles']['list'][number];

const PAGE_SIZE = 20;

/** What each permission lets a role do, for the role editor. */
const PERMISSION_LABELS: Record<string, string> = {
  'content.write': 'Write content',
  'content.publish': 'Publish content',
  'content.review': 'Review submitted content',
  'creators.review': 'Review creator applications',
  'users.manage': 'Manage users',
  'roles.manage': 'Manage roles',
  'datasets.ingest': 'Ingest datasets',
  'datasets.read': 'Read datasets',
  'workplace.write': 'Edit the workplace',
  'workplace.sync': 'Run AIMS syncs',
  'notifications.send': 'Send notifications',
  'logs.read': 'Read logs',
  'incidents.manage': 'Manage incidents',
  'audit.read': 'Read the audit log',
  'ops.read': 'See the Ops console',
  'ops.manage': 'Act in the Ops console',
};

/** Admin → Roles (SPEC §1): built-in roles (read-only) and custom roles (create, edit, delete). */
export function RolesPage() {
  const queryClient = useQueryClient();
  const roles = useQuery(api.roles.list.queryOptions());
  const permissions = useQuery({
    ...api.roles.permissions.queryOptions(),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [result, setResult] = useState<ReactNode>(null);
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const sorted = [...(roles.data ?? [])].sort(
    (a, b) => Number(b.isBuiltIn) - Number(a.isBuiltIn) || a.name.localeCompare(b.name),
  );
  const paged = usePagedList(sorted, PAGE_SIZE);
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.roles.pathKey() });

  return (
    <section className="admin-section" aria-labelledby="roles-title">
      <div className="section-header">
        <h2 id="roles-title">Roles</h2>
        <button
          type="button"
          className="button"
          onClick={() => setEditing('new')}
          disabled={!permissions.data}
        >
          New role
        </button>
      </div>
      <p className="muted">
        Built-in roles come with Atrium and cannot be changed. A change to a custom role applies to its
        holders on their next request.
      </p>
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      {permissions.isError && (
        <ErrorMessage error={permissions.error} title="Could not load the permissions" />
      )}
      {roles.isError ? (
        <ErrorMessage error={roles.error} title="Could not load roles" onRetry={() => void roles.refetch()} />
      ) : roles.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className="panel">
          <div className="table-scroll">
            <table className="table" aria-label="Roles">
              <thead>
                <tr>
                  <th scope="col">Role</th>
                  <th scope="col">Permissions</th>
                  <th scope="col" className="table__numeric">
                    Holders
                  </th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {paged.items.map((role) => (
                  <tr key={role.id} data-testid="role-row" data-role={role.name}>
                    <th scope="row">
                      {role.name}
                      {role.isBuiltIn && <span className="tag tag--inline">built-in</span>}
                    </th>
                    <td>
                      {role.permissions.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        <ul className="chip-list">
                          {role.permissions.map((permission) => (
                            <li key={permission}>
                              <code className="chip" title={PERMISSION_LABELS[permission]}>
                                {permission}
                              </code>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td className="table__numeric">{role.userCount}</td>
                    <td>
                      {role.isBuiltIn ? (
                        <span className="muted">—</span>
                      ) : (
                        <div className="row-actions">
                          <button
                            type="button"
                            className="button button--quiet"
                            aria-label={`Edit role ${role.name}`}
                            disabled={!permissions.data}
                            onClick={() => setEditing(role)}
                          >
                            Edit
                          </button>
                          <ConfirmButton
                            label="Delete"
                            ariaLabel={`Delete role ${role.name}`}
                            title={`Delete the role ${role.name}?`}
                            confirmLabel="Delete role"
                            cancelLabel="Keep role"
                            destructive
                            run={() => trpc.roles.delete.mutate({ id: role.id })}
                            onSuccess={() => {
                              setResult(`Deleted the role ${role.name}.`);
                              void refresh();
                            }}
                          >
                            <p>
                              {role.userCount > 0
                                ? `${plural(role.userCount, 'user holds', 'users hold')} it: remove it from them first (Users → Roles…), the API refuses to delete a role in use.`
                                : 'Nobody holds it. This cannot be undone.'}
                            </p>
                          </ConfirmButton>
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PagedListPager label="roles" list={paged} />
        </div>
      )}
      <Dialog
        open={editing !== null}
        title={editing === 'new' ? 'New role' : editing ? `Edit role ${editing.name}` : 'Role'}
        onClose={() => setEditing(null)}
        wide
      >
        {editing !== null && permissions.data && (
          <RoleForm
            role={editing === 'new' ? null : editing}
            permissions={permissions.data}
            onCancel={() => setEditing(null)}
            onSaved={(role, created) => {
              setEditing(null);
              setResult(
                `${created ? 'Created' : 'Saved'} the role ${role.name} with ${plural(role.permissions.length, 'permission')}.`,
              );
              void refresh();
            }}
          />
        )}
      </Dialog>
    </section>
  );
}

function RoleForm({
  role,
  permissions,
  onCancel,
  onSaved,
}: {
  role: Role | null;
  permissions: readonly string[];
  onCancel: () => void;
  onSaved: (role: Role, created: boolean) => void;
}) {
  const [name, setName] = useState(role?.name ?? '');
  const [selected, setSelected] = useState<Set<string>>(new Set(role?.permissions ?? []));
  const save = useMutation({
    mutationFn: () =>
      role
        ? trpc.roles.update.mutate({ id: role.id, name: name.trim(), permissions: [...selected] })
        : trpc.roles.create.mutate({ name: name.trim(), permissions: [...selected] }),
    onSuccess: (saved) => onSaved(saved, role === null),
  });
  const fieldErrors = fieldErrorsOf(save.error);
  return (
    <Form
      error={save.error}
      className="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <TextField
        label="Name"
        name="name"
        required
        value={name}
        onChange={(event) => setName(event.target.value)}
        hint='2–40 lower-case letters, digits, "-" or "_", starting with a letter.'
        errors={fieldErrors.name}
      />
      <CheckboxGroup
        legend="Permissions"
        hint="You can only grant permissions you hold yourself."
        options={permissions.map((permission) => ({
          value: permission,
          label: <code>{permission}</code>,
          description: PERMISSION_LABELS[permission],
        }))}
        selected={selected}
        onChange={setSelected}
        errors={fieldErrors.permissions}
      />
      {save.isError && (
        <ErrorMessage
          error={save.error}
          title="Could not save the role"
          inlineFields={['name', 'permissions']}
        />
      )}
      <DialogActions
        busy={save.isPending}
        onCancel={onCancel}
        submitLabel={role ? 'Save role' : 'Create role'}
        busyLabel="Saving…"
      />
    </Form>
  );
}
