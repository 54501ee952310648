import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Dialog, DialogActions } from '../../components/confirm-dialog.tsx';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { FilterActions, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { type FieldErrors, fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { FeedbackNotice, useFeedback } from './components/feedback.tsx';
import { Timestamp } from './components/timestamp.tsx';
import { formatCount } from './format.ts';
import { PAGE_SIZE, useOpsAccess } from './ops-queries.ts';

type Organisation = RouterOutputs['orgs']['list']['items'][number];
type PolicyInput = RouterInputs['orgs']['setNotificationPolicy'];

/** The API's bounds for an org's hourly email quota. */
const MAX_QUOTA = 100_000;

/**
 * Ops → Organisations (platform operators): every organisation, its members, and what it may make
 * the platform email (SPEC §6): whether its people may write to addresses outside it, and its hourly
 * email quota. Org admins cannot change these; the policy protects everyone else from an org.
 */
export function OrganisationsPage() {
  const { isOperator } = useOpsAccess();
  if (!isOperator) {
    return (
      <div className="ops-section">
        <div className="panel" role="alert">
          <p>Only platform operators see the organisations and their email policies.</p>
        </div>
      </div>
    );
  }
  return <OrganisationsList />;
}

function OrganisationsList() {
  const queryClient = useQueryClient();
  const feedback = useFeedback();
  // The search is in the address, so a reload or a shared link shows the same list.
  const [params, setParams] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  const [draft, setDraft] = useState(q);
  const setQ = (next: string) => setParams(next ? { q: next } : {});
  const pages = useCursorPages(q);
  const [editing, setEditing] = useState<Organisation | null>(null);
  const list = useQuery({
    ...api.orgs.list.queryOptions({ ...(q ? { q } : {}), cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  const search = (event: FormEvent) => {
    event.preventDefault();
    setQ(draft.trim());
  };

  return (
    <div className="ops-section">
      <header className="ops-section__header">
        <h2>Organisations</h2>
      </header>
      <p className="muted">
        Every organisation on the platform. Its people may email only its own members, within an hourly limit,
        unless you allow more here.
      </p>
      <FeedbackNotice feedback={feedback} />
      <Form className="filters" onSubmit={search} aria-label="Search organisations">
        <TextField
          label="Search"
          type="search"
          name="q"
          placeholder="Name or short name"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <FilterActions
          onReset={() => {
            setDraft('');
            setQ('');
          }}
        />
      </Form>
      <ListPanel
        query={list}
        errorTitle="Could not load the organisations"
        isEmpty={(data) => data.items.length === 0}
        empty={
          <p>
            {pages.page > 1 ? 'No more organisations.' : q ? 'No organisation matches.' : 'No organisations.'}
          </p>
        }
        pager={{ label: 'organisations', pages }}
      >
        {(data) => (
          <DataTable
            label="Organisations"
            head={
              <>
                <th scope="col">Organisation</th>
                <th scope="col" className="table__numeric">
                  Members
                </th>
                <th scope="col">Email recipients</th>
                <th scope="col">Emails per hour</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((org) => (
              <tr key={org.id} data-testid="org-row" data-slug={org.slug}>
                <th scope="row">
                  {org.name}
                  <span className="muted table__subline">{org.slug}</span>
                </th>
                <td className="table__numeric">{formatCount(org.members)}</td>
                <td data-testid="org-recipients">
                  {org.notifications.allowExternalRecipients ? (
                    <span className="pill pill--warn">Anyone</span>
                  ) : (
                    <span className="pill pill--neutral">Members only</span>
                  )}
                </td>
                <td data-testid="org-quota">
                  {org.notifications.emailQuotaPerHour === null ? (
                    <span className="muted">
                      Platform default ({formatCount(data.defaultEmailQuotaPerHour)})
                    </span>
                  ) : (
                    formatCount(org.notifications.emailQuotaPerHour)
                  )}
                </td>
                <td className="table__nowrap">
                  <Timestamp value={org.createdAt} short />
                </td>
                <td>
                  <button
                    type="button"
                    className="button button--quiet"
                    aria-label={`Email policy of ${org.name}`}
                    onClick={() => setEditing(org)}
                  >
                    Email policy…
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
      <Dialog
        open={editing !== null}
        title={editing ? `Email policy of ${editing.name}` : 'Email policy'}
        onClose={() => setEditing(null)}
      >
        {editing && (
          <PolicyForm
            org={editing}
            onCancel={() => setEditing(null)}
            onSaved={(policy) => {
              setEditing(null);
              feedback.show(
                `${editing.name}: ${
                  policy.allowExternalRecipients ? 'may email anyone' : 'may email its members only'
                }, ${
                  policy.emailQuotaPerHour === null
                    ? 'the platform default of emails per hour'
                    : `${formatCount(policy.emailQuotaPerHour)} emails per hour`
                }.`,
              );
              void queryClient.invalidateQueries({ queryKey: api.orgs.pathKey() });
            }}
          />
        )}
      </Dialog>
    </div>
  );
}

function PolicyForm({
  org,
  onCancel,
  onSaved,
}: {
  org: Organisation;
  onCancel: () => void;
  onSaved: (policy: Organisation['notifications']) => void;
}) {
  const [allowExternal, setAllowExternal] = useState(org.notifications.allowExternalRecipients);
  const [quota, setQuota] = useState(
    org.notifications.emailQuotaPerHour === null ? '' : String(org.notifications.emailQuotaPerHour),
  );
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const save = useMutation({
    mutationFn: (input: PolicyInput) => trpc.orgs.setNotificationPolicy.mutate(input),
    onSuccess: onSaved,
  });
  const errors: FieldErrors = { ...fieldErrorsOf(save.error), ...localErrors };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const text = quota.trim();
    const perHour = text === '' ? null : Number(text);
    if (perHour !== null && (!/^\d+$/.test(text) || perHour > MAX_QUOTA)) {
      setLocalErrors({
        emailQuotaPerHour: [`A whole number from 0 to ${formatCount(MAX_QUOTA)}, or empty for the default`],
      });
      return;
    }
    setLocalErrors({});
    save.mutate({ orgId: org.id, allowExternalRecipients: allowExternal, emailQuotaPerHour: perHour });
  };

  return (
    <Form error={save.error} className="form" noValidate onSubmit={onSubmit}>
      <p className="muted">
        {org.name} has {org.members === 1 ? 'one member' : `${formatCount(org.members)} members`}. These
        settings are the platform's: its own admins cannot change them.
      </p>
      <label className="checkbox">
        <input
          type="checkbox"
          name="allowExternalRecipients"
          checked={allowExternal}
          onChange={(event) => setAllowExternal(event.target.checked)}
        />
        <span>
          May email people outside the organisation
          <span className="checkbox__description">
            Off: notifications go only to its members. On: its admins can send to any address, so only turn it
            on for an organisation you trust.
          </span>
        </span>
      </label>
      <TextField
        label="Emails per hour"
        type="text"
        inputMode="numeric"
        name="emailQuotaPerHour"
        value={quota}
        onChange={(event) => setQuota(event.target.value)}
        errors={errors.emailQuotaPerHour}
        hint="The emails its people cause (notifications and invitations) in any hour. Empty: the platform default. 0 stops them."
      />
      {save.isError && (
        <ErrorMessage
          error={save.error}
          title="Could not save the email policy"
          inlineFields={['emailQuotaPerHour']}
        />
      )}
      <DialogActions
        busy={save.isPending}
        onCancel={onCancel}
        submitLabel="Save policy"
        busyLabel="Saving…"
      />
    </Form>
  );
}
