import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ConfirmButton, Dialog } from '../../components/confirm-dialog.tsx';
import { Form } from '../../components/form.tsx';
import { FilterActions, SelectField, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { useUrlFilters } from '../../lib/use-url-filters.ts';
import { useRoleOptions } from './role-options.ts';
import { SetRolesForm } from './user-roles-form.tsx';
import { userPath, useUsersResult } from './users-layout.tsx';

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
  // The filters and the page live in the address: a reload or a shared link shows the same list.
  const url = useUrlFilters({ q: '', role: '', status: '' });
  const { draft, pages } = url;
  const filters: Filters = {};
  if (url.applied.q.trim()) filters.q = url.applied.q.trim();
  if (url.applied.role) filters.role = url.applied.role;
  if (url.applied.status === 'active' || url.applied.status === 'disabled')
    filters.status = url.applied.status;
  const setResult = useUsersResult();
  const [editingRoles, setEditingRoles] = useState<UserSummary | null>(null);

  const list = useQuery({
    ...api.users.list.queryOptions({ ...filters, cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    // Opening the tab shows the latest: invitees join from their own browsers, not through this page.
    refetchOnMount: 'always',
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.users.pathKey() });

  return (
    <>
      <Form className="filters" onSubmit={url.submit} aria-label="Filter users">
        <TextField
          label="Search"
          type="search"
          name="q"
          placeholder="Name or email"
          value={draft.q}
          onChange={url.field('q')}
        />
        <SelectField label="Role" name="role" value={draft.role} onChange={url.field('role')}>
          <option value="">Any role</option>
          {roleOptions.names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Status" name="status" value={draft.status} onChange={url.field('status')}>
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="disabled">Disabled</option>
        </SelectField>
        <FilterActions onReset={url.reset} />
      </Form>

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
                    <Link to={userPath(user.id)}>{user.name}</Link>
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
