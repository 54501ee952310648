import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ConfirmButton, Dialog } from '../../components/confirm-dialog.tsx';
import { Fact } from '../../components/fact.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { NotFoundPage } from '../../shell/not-found-page.tsx';
import { useRoleOptions } from './role-options.ts';
import { SetRolesForm, type UserSummary } from './user-roles-form.tsx';
import { useUsersResult } from './users-layout.tsx';

type UserSession = RouterOutputs['users']['sessions']['list'][number];

const RECENT_ACTIVITY = 10;

/** "Firefox on Linux" from a User-Agent, else the raw text; what a person recognises as a device. */
function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : null;
  const system = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad/.test(userAgent)
        ? 'iOS'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? userAgent.slice(0, 80);
}

/**
 * Admin → Users → a person: who they are, their roles (edited here as on the list), the sessions they
 * are signed in with (end one, or all), and what they did lately, linking to the full audit log.
 * Someone who is not a member of the organisation is "not found", like any other missing page.
 */
export function UserDetailPage() {
  const { userId = '' } = useParams();
  const session = useSession();
  const queryClient = useQueryClient();
  const setResult = useUsersResult();
  const roleOptions = useRoleOptions();
  const [editingRoles, setEditingRoles] = useState(false);
  const user = useQuery({ ...api.users.get.queryOptions({ id: userId }), retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.users.pathKey() });

  if (user.isError) {
    const code = describeError(user.error).code;
    if (code === 'NOT_FOUND' || code === 'VALIDATION_ERROR') return <NotFoundPage />;
  }
  const person = user.data;
  return (
    <div className="user-detail" data-testid="user-detail">
      <p>
        <Link to="/admin/users">← All members</Link>
      </p>
      <ListPanel query={user} errorTitle="Could not load this person" isEmpty={() => false} empty={null}>
        {(data) => (
          <>
            <div className="section-header">
              <h3 data-testid="user-name">{data.name}</h3>
              <button type="button" className="button button--quiet" onClick={() => setEditingRoles(true)}>
                Edit roles
              </button>
            </div>
            <dl className="facts">
              <Fact label="Email">{data.email}</Fact>
              <Fact label="Status" testId="user-status">
                <span className={`pill pill--${data.status === 'active' ? 'ok' : 'down'}`}>
                  <span className="pill__dot" aria-hidden="true" />
                  {data.status}
                </span>
                {!data.emailVerified && <span className="tag tag--inline">email not verified</span>}
              </Fact>
              <Fact label="Roles" testId="user-roles">
                {data.roles.join(', ') || 'none'}
              </Fact>
              <Fact label="Last sign-in">
                {data.lastLoginAt ? data.lastLoginAt.toLocaleString() : 'never'}
              </Fact>
              <Fact label="Member since">{data.createdAt.toLocaleDateString()}</Fact>
            </dl>
          </>
        )}
      </ListPanel>
      {person && <SessionsPanel user={person} onChanged={(message) => setResult(message)} />}
      {person && session.can('audit.read') && <RecentActivity user={person} />}
      <Dialog
        open={editingRoles && person !== undefined}
        title={person ? `Roles of ${person.name}` : 'Roles'}
        onClose={() => setEditingRoles(false)}
      >
        {editingRoles && person && (
          <SetRolesForm
            user={person}
            roleNames={roleOptions.names}
            onCancel={() => setEditingRoles(false)}
            onSaved={(updated: UserSummary) => {
              setEditingRoles(false);
              setResult(
                <>
                  Roles of <strong>{updated.name}</strong>: {updated.roles.join(', ') || 'none'}. They apply
                  from {updated.name}'s next request.
                </>,
              );
              void refresh();
            }}
          />
        )}
      </Dialog>
    </div>
  );
}

function SessionsPanel({ user, onChanged }: { user: UserSummary; onChanged: (message: string) => void }) {
  const queryClient = useQueryClient();
  const sessions = useQuery(api.users.sessions.list.queryOptions({ userId: user.id }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.users.sessions.pathKey() });
  const count = sessions.data?.length ?? 0;
  return (
    <section aria-labelledby="sessions-title">
      <div className="section-header">
        <h3 id="sessions-title">Signed in on</h3>
        {count > 0 && (
          <ConfirmButton
            label="Sign out everywhere"
            title={`Sign ${user.name} out everywhere?`}
            confirmLabel="Sign out everywhere"
            destructive
            run={() => trpc.users.sessions.revokeAll.mutate({ userId: user.id })}
            onSuccess={(result) => {
              onChanged(
                `${user.name} is signed out of ${result.sessions} session${result.sessions === 1 ? '' : 's'}.`,
              );
              void refresh();
            }}
          >
            <p>
              Every device {user.name} is signed in on stops working at its next request. They can sign in
              again with their password.
            </p>
          </ConfirmButton>
        )}
      </div>
      <ListPanel
        query={sessions}
        errorTitle="Could not load the sessions"
        isEmpty={(data) => data.length === 0}
        empty={<p data-testid="no-sessions">Not signed in anywhere.</p>}
      >
        {(data) => (
          <DataTable
            label="Sessions"
            head={
              <>
                <th scope="col">Device</th>
                <th scope="col">Address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.map((row: UserSession) => (
              <tr key={row.id} data-testid="session-row">
                <th scope="row" title={row.device ?? undefined}>
                  {describeDevice(row.device)}
                </th>
                <td>{row.ip ?? <span className="muted">unknown</span>}</td>
                <td className="table__nowrap">{row.createdAt.toLocaleString()}</td>
                <td className="table__nowrap">{row.lastUsedAt.toLocaleString()}</td>
                <td>
                  <ConfirmButton
                    label="Sign out"
                    ariaLabel={`Sign out the session on ${describeDevice(row.device)} signed in ${row.createdAt.toLocaleString()}`}
                    title="End this session?"
                    confirmLabel="End session"
                    destructive
                    run={() => trpc.users.sessions.revoke.mutate({ userId: user.id, sessionId: row.id })}
                    onSuccess={() => {
                      onChanged(`The session on ${describeDevice(row.device)} has ended.`);
                      void refresh();
                    }}
                  >
                    <p>
                      {user.name} is signed out on {describeDevice(row.device)} at its next request. Their
                      other sessions go on.
                    </p>
                  </ConfirmButton>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}

function RecentActivity({ user }: { user: UserSummary }) {
  const entries = useQuery(api.audit.list.queryOptions({ actorId: user.id, limit: RECENT_ACTIVITY }));
  const fullLog = `/admin/audit?actorId=${encodeURIComponent(user.id)}`;
  return (
    <section aria-labelledby="activity-title">
      <div className="section-header">
        <h3 id="activity-title">Recent activity</h3>
        <Link to={fullLog}>Everything {user.name} did, in the audit log</Link>
      </div>
      <ListPanel
        query={entries}
        errorTitle="Could not load the recent activity"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>Nothing recorded yet.</p>}
      >
        {(data) => (
          <DataTable
            label="Recent activity"
            head={
              <>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">On</th>
              </>
            }
          >
            {data.items.map((entry) => (
              <tr key={entry.seq} data-testid="activity-row">
                <td className="table__nowrap">{entry.at.toLocaleString()}</td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>
                  {entry.resourceType}
                  {entry.resourceId && <span className="muted"> {entry.resourceId}</span>}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}
