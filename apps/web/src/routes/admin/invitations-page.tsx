import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { ConfirmButton } from '../../components/confirm-dialog.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { formatDateTimeWithZone, formatDuration } from '../../lib/time-format.ts';
import { api, trpc } from '../../lib/trpc.ts';
import { useUrlFilters } from '../../lib/use-url-filters.ts';
import { INVITATION_VALID_DAYS, type Invitation, useUsersResult } from './users-layout.tsx';

const PAGE_SIZE = 20;

type InvitationStatus = Invitation['status'];

/** The filters, pending first: those are the ones an admin can still act on. */
const FILTERS: ReadonlyArray<{ value: InvitationStatus | 'all'; label: string }> = [
  { value: 'pending', label: 'Pending' },
  { value: 'expired', label: 'Expired' },
  { value: 'accepted', label: 'Accepted' },
  { value: 'revoked', label: 'Revoked' },
  { value: 'all', label: 'All' },
];

const STATUS: Record<InvitationStatus, { label: string; pill: string }> = {
  pending: { label: 'Waiting for an answer', pill: 'info' },
  expired: { label: 'Link expired', pill: 'warn' },
  accepted: { label: 'Accepted', pill: 'ok' },
  revoked: { label: 'Revoked', pill: 'neutral' },
};

const EMPTY: Record<InvitationStatus | 'all', string> = {
  pending: 'No invitation is waiting for an answer. Use “Invite” to add someone.',
  expired: 'No expired invitations.',
  accepted: 'Nobody has accepted an invitation yet.',
  revoked: 'No revoked invitations.',
  all: 'No invitations yet. Use “Invite” to add someone.',
};

function filterOf(value: string): InvitationStatus | 'all' {
  return FILTERS.find((filter) => filter.value === value)?.value ?? 'pending';
}

/**
 * Admin → Users → Invitations (SPEC §1): who was invited, by whom, until when and how often; a
 * pending or expired invitation can be sent again (a new link) or revoked.
 */
export function InvitationsPage() {
  const queryClient = useQueryClient();
  const showResult = useUsersResult();
  // The tab and the page live in the address: a reload or a shared link shows the same list.
  const url = useUrlFilters({ status: 'pending' });
  const filter = filterOf(url.applied.status);
  const { pages } = url;
  const list = useQuery({
    ...api.users.invitations.list.queryOptions({
      ...(filter === 'all' ? {} : { status: filter }),
      cursor: pages.cursor,
      limit: PAGE_SIZE,
    }),
    placeholderData: keepPreviousData,
    // Opening the tab shows the latest: invitees join from their own browsers, not through this page.
    refetchOnMount: 'always',
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.users.invitations.pathKey() });

  return (
    <>
      <nav className="ops-tabs" aria-label="Show invitations">
        {FILTERS.map(({ value, label }) => (
          <button
            key={value}
            type="button"
            className="ops-tabs__tab"
            aria-pressed={filter === value}
            onClick={() => url.apply({ status: value })}
          >
            {label}
          </button>
        ))}
      </nav>
      <ListPanel
        query={list}
        errorTitle="Could not load the invitations"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{pages.page === 1 ? EMPTY[filter] : 'No more invitations.'}</p>}
        emptyTestId="invitations-empty"
        pager={{ label: 'invitations', pages }}
      >
        {(data) => (
          <DataTable
            label="Invitations"
            head={
              <>
                <th scope="col">Invited</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Invited by</th>
                <th scope="col">Link works until</th>
                <th scope="col">Emails sent</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((invitation) => (
              <tr
                key={invitation.id}
                data-testid="invitation-row"
                data-email={invitation.email}
                data-status={invitation.status}
              >
                <th scope="row">
                  {invitation.name}
                  <span className="muted table__subline">{invitation.email}</span>
                </th>
                <td>{invitation.roles.join(', ')}</td>
                <td>
                  <StatusCell invitation={invitation} />
                </td>
                <td>{invitation.invitedBy?.name ?? <span className="muted">nobody now</span>}</td>
                <td className="table__nowrap">
                  <Expiry invitation={invitation} />
                </td>
                <td>
                  {invitation.sendCount === 1 ? 'once' : `${invitation.sendCount} times`}
                  <span className="muted table__subline">last {invitation.lastSentAt.toLocaleString()}</span>
                </td>
                <td>
                  {(invitation.status === 'pending' || invitation.status === 'expired') && (
                    <div className="row-actions">
                      <ConfirmButton
                        label="Resend"
                        ariaLabel={`Resend the invitation to ${invitation.email}`}
                        title={`Send ${invitation.email} a new link?`}
                        confirmLabel="Send a new link"
                        cancelLabel="Don’t send"
                        quiet
                        run={() => trpc.users.invitations.resend.mutate({ id: invitation.id })}
                        onSuccess={(sent) => {
                          showResult(
                            <>
                              A new invitation link was sent to <strong>{sent.email}</strong>. It works until{' '}
                              {formatDateTimeWithZone(sent.expiresAt)}.
                            </>,
                          );
                          void refresh();
                        }}
                      >
                        <p>
                          {invitation.name} gets a new email with a new link that works for{' '}
                          {INVITATION_VALID_DAYS} days. The link sent before stops working.
                        </p>
                      </ConfirmButton>
                      <ConfirmButton
                        label="Revoke"
                        ariaLabel={`Revoke the invitation to ${invitation.email}`}
                        title={`Revoke the invitation to ${invitation.email}?`}
                        confirmLabel="Revoke invitation"
                        cancelLabel="Keep invitation"
                        destructive
                        run={() => trpc.users.invitations.revoke.mutate({ id: invitation.id })}
                        onSuccess={(revoked) => {
                          showResult(
                            <>
                              The invitation to <strong>{revoked.email}</strong> is revoked; its link no
                              longer works.
                            </>,
                          );
                          void refresh();
                        }}
                      >
                        <p>
                          The link in the email stops working at once, so {invitation.name} cannot join with
                          it. You can invite the address again later.
                        </p>
                      </ConfirmButton>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </>
  );
}

function StatusCell({ invitation }: { invitation: Invitation }) {
  const status = STATUS[invitation.status];
  const when =
    invitation.status === 'accepted'
      ? invitation.acceptedAt
      : invitation.status === 'revoked'
        ? invitation.revokedAt
        : null;
  return (
    <>
      <span className={`pill pill--${status.pill}`}>
        <span className="pill__dot" aria-hidden="true" />
        {status.label}
      </span>
      {when && <span className="muted table__subline">{when.toLocaleString()}</span>}
    </>
  );
}

function Expiry({ invitation }: { invitation: Invitation }) {
  if (invitation.status === 'accepted' || invitation.status === 'revoked') {
    return <span className="muted">—</span>;
  }
  const seconds = (invitation.expiresAt.getTime() - Date.now()) / 1000;
  return (
    <>
      {formatDateTimeWithZone(invitation.expiresAt)}
      <span className="muted table__subline">
        {seconds > 0 ? `in ${formatDuration(seconds)}` : 'expired; resend for a new link'}
      </span>
    </>
  );
}
