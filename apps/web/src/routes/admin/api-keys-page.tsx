import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ConfirmButton, Dialog, DialogActions } from '../../components/confirm-dialog.tsx';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { CheckboxGroup, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { formatDateTimeWithZone } from '../../lib/time-format.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';

type ApiKey = RouterOutputs['apiKeys']['list']['items'][number];

const SCOPES = [
  { value: 'logs.ingest', label: 'Send log events', description: 'logs.ingest and logs.ingestBulk' },
  { value: 'logs.read', label: 'Read log events', description: 'logs.query' },
] as const;

const STATUS_PILL: Record<ApiKey['status'], string> = {
  active: 'pill pill--ok',
  expired: 'pill pill--warn',
  revoked: 'pill pill--neutral',
};

/**
 * Admin → API keys: keys for machines (log shippers, scripts). A key is shown once, when it is made;
 * Atrium keeps only a fingerprint of it. Revoking takes effect on the key's next call.
 */
export function ApiKeysPage() {
  const queryClient = useQueryClient();
  const [showRevoked, setShowRevoked] = useState(false);
  const pages = useCursorPages(String(showRevoked));
  const list = useQuery({
    ...api.apiKeys.list.queryOptions({ includeRevoked: showRevoked, cursor: pages.cursor, limit: 25 }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.apiKeys.pathKey() });

  return (
    <section className="admin-section" aria-labelledby="api-keys-title">
      <div className="section-header">
        <h2 id="api-keys-title">API keys</h2>
        <CreateKeyButton onCreated={() => void refresh()} />
      </div>
      <p className="muted">
        Services send logs with <code>Authorization: Bearer &lt;key&gt;</code>. A key only works for this
        organisation and only for the scopes it was given.
      </p>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={showRevoked}
          onChange={(event) => setShowRevoked(event.target.checked)}
        />{' '}
        Show revoked keys
      </label>
      <ListPanel
        query={list}
        errorTitle="Could not load the API keys"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>No API keys yet. Create one for each service that sends logs.</p>}
        pager={{ label: 'API keys', pages }}
      >
        {(data) => (
          <DataTable
            label="API keys"
            head={
              <>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Status</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((key) => (
              <tr key={key.id} data-testid="api-key-row">
                <th scope="row">{key.name}</th>
                <td>
                  <code>{key.prefix}_…</code>
                </td>
                <td>{key.scopes.join(', ')}</td>
                <td>
                  <span className={STATUS_PILL[key.status]}>{key.status}</span>
                </td>
                <td>
                  {key.lastUsedAt ? key.lastUsedAt.toLocaleString() : <span className="muted">never</span>}
                </td>
                <td>
                  {key.expiresAt ? (
                    formatDateTimeWithZone(key.expiresAt)
                  ) : (
                    <span className="muted">never</span>
                  )}
                </td>
                <td>
                  {key.status !== 'revoked' && (
                    <ConfirmButton
                      label="Revoke"
                      ariaLabel={`Revoke ${key.name}`}
                      title={`Revoke ${key.name}?`}
                      confirmLabel="Revoke key"
                      cancelLabel="Keep key"
                      destructive
                      run={() => trpc.apiKeys.revoke.mutate({ id: key.id })}
                      onSuccess={() => void refresh()}
                    >
                      <p>Calls with this key are refused from now on. This cannot be undone.</p>
                    </ConfirmButton>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}

function CreateKeyButton({ onCreated }: { onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<string>>(new Set(['logs.ingest']));
  const [expiresAt, setExpiresAt] = useState('');
  const create = useMutation({
    mutationFn: () =>
      trpc.apiKeys.create.mutate({
        name,
        scopes: [...scopes] as Array<(typeof SCOPES)[number]['value']>,
        ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}),
      }),
    onSuccess: () => onCreated(),
  });
  const errors = fieldErrorsOf(create.error);
  const close = () => {
    setOpen(false);
    create.reset();
    setName('');
    setExpiresAt('');
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <>
      <button type="button" className="button" onClick={() => setOpen(true)}>
        Create API key
      </button>
      <Dialog open={open} title={create.data ? 'Copy your new key' : 'Create an API key'} onClose={close}>
        {create.data ? (
          <div>
            <p>This is the only time the key is shown. Store it where your service reads its secrets.</p>
            <pre className="json-block" data-testid="new-api-key">
              {create.data.key}
            </pre>
            <div className="dialog__actions">
              <button type="button" className="button" onClick={close}>
                Done
              </button>
            </div>
          </div>
        ) : (
          <Form error={create.error} onSubmit={submit}>
            <TextField
              label="Name"
              name="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              errors={errors.name}
              required
            />
            <CheckboxGroup
              legend="Scopes"
              options={SCOPES}
              selected={scopes}
              onChange={setScopes}
              errors={errors.scopes}
            />
            <TextField
              label="Expires (optional)"
              type="datetime-local"
              name="expiresAt"
              value={expiresAt}
              hint={`In your time zone, ${Intl.DateTimeFormat().resolvedOptions().timeZone}.`}
              onChange={(e) => setExpiresAt(e.target.value)}
              errors={errors.expiresAt}
            />
            {create.isError && (
              <ErrorMessage
                error={create.error}
                title="Could not create the key"
                inlineFields={['name', 'scopes', 'expiresAt']}
              />
            )}
            <DialogActions
              busy={create.isPending}
              onCancel={close}
              submitLabel="Create key"
              busyLabel="Creating…"
            />
          </Form>
        )}
      </Dialog>
    </>
  );
}
