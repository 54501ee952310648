import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSession } from '../../auth/use-session.ts';
import { ConfirmButton, Dialog, DialogActions } from '../../components/confirm-dialog.tsx';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { CheckboxGroup, FilterActions, SelectField, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { useRoleOptions } from './role-options.ts';
import { useUsersResult } from './users-layout.tsx';

type UserSummary = RouterOutputs['users']['list']['items'][number];

const PAGE_SIZE = 20;

interface Filters {
  q?: string;
  role?: string;
  status?: 'active' | 'disabled';
}

/** Admin → Users → Members (SPEC §1): search and filter, disable/enable, set roles. */
export function MembersPage() {
  const queryClient = useQueryClient();
  const session = useSession();
  const roleOptions = useRoleOptions();
  const [draft, setDraft] = useState<{ q: string; role: string; status: string }>({
    q: '',
    role: '',
    status: '',
  });
  const [filters, setFilters] = useState<Filters>({});
  const pages = useCursorPages(JSON.stringify(filters));
  const setResult = useUsersResult();
  const [editingRoles, setEditingRoles] = useState<UserSummary | null>(null);

  const list = useQuery({
    ...api.users.list.queryOptions({ ...filters, cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    // Opening the tab shows the latest: invitees join from their own browsers, not through this page.
    refetchOnMount: 'always',
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.users.pathKey() });

  const applyFilters = (event: FormEvent) => {
    event.preventDefault();
    const next: Filters = {};
    if (draft.q.trim()) next.q = draft.q.trim();
    if (draft.role) next.role = draft.role;
    if (draft.status === 'active' || draft.status === 'disabled') next.status = draft.status;
    setFilters(next);
  };

  return (
    <>
      <form className="filters" onSubmit={applyFilters} aria-label="Filter users">
        <TextField
          label="Search"
          type="search"
          name="q"
          placeholder="Name or email"
          value={draft.q}
          onChange={(event) => setDraft({ ...draft, q: event.target.value })}
        />
        <SelectField
          label="Role"
          name="role"
          value={draft.role}
          onChange={(event) => setDraft({ ...draft, role: event.target.value })}
        >
          <option value="">Any role</option>
          {roleOptions.names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Status"
          name="status"
          value={draft.status}
          onChange={(event) => setDraft({ ...draft, status: event.target.value })}
        >
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="disabled">Disabled</option>
        </SelectField>
        <FilterActions
          onReset={() => {
            setDraft({ q: '', role: '', status: '' });
            setFilters({});
          }}
        />
      </form>

      <ListPanel
        query={list}
        errorTitle="Could not load users"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{pages.page === 1 ? 'No user matches these filters.' : 'No more users.'}</p>}
        pager={{ label: 'users', pages }}
      >
        {(data) => (
          <DataTable
            label="Users"
            head={
              <>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((user) => {
              const isSelf = user.id === session.user?.id;
              return (
                <tr key={user.id} data-testid="user-row" data-email={user.email}>
                  <th scope="row">
                    {user.name}
                    {isSelf && <span className="tag tag--inline">you</span>}
                  </th>
                  <td>{user.email}</td>
                  <td data-testid="user-roles">{user.roles.join(', ') || '—'}</td>
                  <td>
                    <span className={`pill pill--${user.status === 'active' ? 'ok' : 'down'}`}>
                      <span className="pill__dot" aria-hidden="true" />
                      {user.status}
                    </span>
                    {!user.emailVerified && <span className="tag tag--inline">unverified</span>}
                    {user.mustChangePassword && (
                      <span className="tag tag--inline">must choose a new password</span>
                    )}
                  </td>
                  <td className="table__nowrap">
                    {user.lastLoginAt ? (
                      user.lastLoginAt.toLocaleString()
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        className="button button--quiet"
                        aria-label={`Edit roles of ${user.name}`}
                        onClick={() => setEditingRoles(user)}
                      >
                        Roles…
                      </button>
                      {!isSelf &&
                        (user.status === 'active' ? (
                          <ConfirmButton
                            label="Disable"
                            ariaLabel={`Disable ${user.name}`}
                            title={`Disable ${user.name}?`}
                            confirmLabel="Disable user"
                            destructive
                            run={() => trpc.users.disable.mutate({ id: user.id })}
                            onSuccess={(updated) => {
                              setResult(`${updated.name} is disabled and signed out everywhere.`);
                              void refresh();
                            }}
                          >
                            <p>
                              {user.name} ({user.email}) is signed out on every device at once and cannot sign
                              in until enabled again.
                            </p>
                          </ConfirmButton>
                        ) : (
                          <ConfirmButton
                            label="Enable"
                            ariaLabel={`Enable ${user.name}`}
                            title={`Enable ${user.name}?`}
                            confirmLabel="Enable user"
                            quiet
                            run={() => trpc.users.enable.mutate({ id: user.id })}
                            onSuccess={(updated) => {
                              setResult(`${updated.name} is enabled and can sign in again.`);
                              void refresh();
                            }}
                          >
                            <p>{user.name} can sign in again. Sessions ended by the disable stay ended.</p>
                          </ConfirmButton>
                        ))}
                    </div>
                  </td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </ListPanel>

      <Dialog
        open={editingRoles !== null}
        title={editingRoles ? `Roles of ${editingRoles.name}` : 'Roles'}
        onClose={() => setEditingRoles(null)}
      >
        {editingRoles && (
          <SetRolesForm
            user={editingRoles}
            roleNames={roleOptions.names}
            onCancel={() => setEditingRoles(null)}
            onSaved={(user) => {
              setEditingRoles(null);
              setResult(
                <>
                  Roles of <strong>{user.name}</strong>: {user.roles.join(', ') || 'none'}. They apply from{' '}
                  {user.name}'s next request.
                </>,
              );
              void refresh();
            }}
          />
        )}
      </Dialog>
    </>
  );
}

function SetRolesForm({
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
    <form
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
    </form>
  );
}
