import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ConfirmButton, Dialog } from '../../components/confirm-dialog.tsx';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextAreaField, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { dataToText, SyncBadge, summary, textToData, useWorkplaceLive } from './workplace-common.tsx';

type Space = RouterOutputs['workplace']['spaces']['list']['items'][number];

/** Workplace → Spaces: every space with its label code, fields, person and live sync badge. */
export function SpacesPage() {
  const queryClient = useQueryClient();
  const [q, setQ] = useState('');
  const pages = useCursorPages(q);
  const [editing, setEditing] = useState<Space | 'new' | null>(null);
  useWorkplaceLive();
  const list = useQuery({
    ...api.workplace.spaces.list.queryOptions({ ...(q ? { q } : {}), cursor: pages.cursor, limit: 25 }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.workplace.pathKey() });

  return (
    <>
      <div className="form__actions">
        <TextField
          label="Search"
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder="Id or any field"
        />
        <button type="button" className="button" onClick={() => setEditing('new')}>
          New space
        </button>
      </div>
      <ListPanel
        query={list}
        errorTitle="Could not load the spaces"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{q ? 'No space matches.' : 'No spaces yet. Use “New space” to add one.'}</p>}
        pager={{ label: 'spaces', pages }}
      >
        {(data) => (
          <DataTable
            label="Spaces"
            head={
              <>
                <th scope="col">Space</th>
                <th scope="col">Label</th>
                <th scope="col">Fields</th>
                <th scope="col">Person</th>
                <th scope="col">Label status</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((space) => (
              <tr key={space.id} data-testid="space-row" data-external-id={space.externalId}>
                <th scope="row">{space.externalId}</th>
                <td>{space.labelCode ?? <span className="muted">none</span>}</td>
                <td>{summary(space.data)}</td>
                <td>
                  {space.assignedPerson ? (
                    String(space.assignedPerson.data.name ?? space.assignedPerson.externalId ?? 'someone')
                  ) : (
                    <span className="muted">free</span>
                  )}
                </td>
                <td>
                  <SyncBadge status={space.syncStatus} error={space.syncError} />
                  {space.syncError && <span className="muted table__subline">{space.syncError}</span>}
                </td>
                <td>
                  <div className="row-actions">
                    <button type="button" className="button button--quiet" onClick={() => setEditing(space)}>
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete space ${space.externalId}`}
                      title={`Delete space ${space.externalId}?`}
                      confirmLabel="Delete space"
                      cancelLabel="Keep space"
                      destructive
                      run={() => trpc.workplace.spaces.delete.mutate({ id: space.id })}
                      onSuccess={() => void refresh()}
                    >
                      <p>Its article is removed from AIMS and whoever sits there becomes unassigned.</p>
                    </ConfirmButton>
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
      {editing && (
        <SpaceDialog
          space={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => void refresh()}
        />
      )}
    </>
  );
}

function SpaceDialog({
  space,
  onClose,
  onSaved,
}: {
  space: Space | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [externalId, setExternalId] = useState(space?.externalId ?? '');
  const [labelCode, setLabelCode] = useState(space?.labelCode ?? '');
  const [fields, setFields] = useState(space ? dataToText(space.data) : 'name = ');
  const save = useMutation({
    mutationFn: () =>
      space
        ? trpc.workplace.spaces.update.mutate({
            id: space.id,
            labelCode: labelCode || null,
            data: textToData(fields),
          })
        : trpc.workplace.spaces.create.mutate({
            externalId,
            labelCode: labelCode || null,
            data: textToData(fields),
          }),
    onSuccess: () => {
      onSaved();
      onClose();
    },
  });
  const errors = fieldErrorsOf(save.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Dialog open title={space ? `Edit space ${space.externalId}` : 'New space'} onClose={onClose}>
      <Form error={save.error} className="form" onSubmit={submit}>
        {save.isError && (
          <ErrorMessage
            error={save.error}
            title="Could not save the space"
            inlineFields={['externalId', 'labelCode', 'data']}
          />
        )}
        {!space && (
          <TextField
            label="Space id"
            hint="Also its article id in AIMS; it cannot change later."
            required
            value={externalId}
            onChange={(e) => setExternalId(e.target.value)}
            errors={errors.externalId}
          />
        )}
        <TextField
          label="Label code"
          hint="12 hexadecimal characters, printed on the label. Optional."
          value={labelCode}
          onChange={(e) => setLabelCode(e.target.value)}
          errors={errors.labelCode}
        />
        <TextAreaField
          label="Fields"
          hint="One “field = value” per line, e.g. name = Desk 4.12"
          value={fields}
          onChange={(e) => setFields(e.target.value)}
          errors={errors.data}
        />
        <div className="form__actions">
          <button type="submit" className="button" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
          <button type="button" className="button button--quiet" onClick={onClose}>
            Cancel
          </button>
        </div>
      </Form>
    </Dialog>
  );
}
