import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Dialog } from '../../components/confirm-dialog.tsx';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField, TextAreaField, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { plural } from '../../lib/plural.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { summary, useWorkplaceLive } from './workplace-common.tsx';

type Person = RouterOutputs['workplace']['people']['list']['items'][number];
type ImportReport = RouterOutputs['workplace']['people']['import'];

/** Workplace → People: who sits where; assign with a space picker; import a CSV with a preview. */
export function PeoplePage() {
  const queryClient = useQueryClient();
  const [q, setQ] = useState('');
  const pages = useCursorPages(q);
  const [assigning, setAssigning] = useState<Person | null>(null);
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  useWorkplaceLive();
  const list = useQuery({
    ...api.workplace.people.list.queryOptions({ ...(q ? { q } : {}), cursor: pages.cursor, limit: 25 }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.workplace.pathKey() });
  const unassign = useMutation({
    mutationFn: (personId: string) => trpc.workplace.people.unassign.mutate({ personId }),
    onSuccess: () => void refresh(),
  });

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
        <button type="button" className="button" onClick={() => setCreating(true)}>
          New person
        </button>
        <button type="button" className="button button--quiet" onClick={() => setImporting(true)}>
          Import CSV
        </button>
      </div>
      {unassign.isError && <ErrorMessage error={unassign.error} title="Could not unassign" />}
      <ListPanel
        query={list}
        errorTitle="Could not load the people"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{q ? 'Nobody matches.' : 'Nobody yet. Add a person or import a CSV.'}</p>}
        pager={{ label: 'people', pages }}
      >
        {(data) => (
          <DataTable
            label="People"
            head={
              <>
                <th scope="col">Person</th>
                <th scope="col">Fields</th>
                <th scope="col">Space</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((person) => (
              <tr key={person.id} data-testid="person-row" data-name={String(person.data.name ?? '')}>
                <th scope="row">
                  {String(person.data.name ?? person.externalId ?? 'Unnamed')}
                  {person.externalId && <span className="muted table__subline">{person.externalId}</span>}
                </th>
                <td>{summary(person.data)}</td>
                <td>{person.assignedSpace?.externalId ?? <span className="muted">none</span>}</td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() => setAssigning(person)}
                    >
                      Assign
                    </button>
                    {person.assignedSpace && (
                      <button
                        type="button"
                        className="button button--quiet"
                        disabled={unassign.isPending}
                        onClick={() => unassign.mutate(person.id)}
                      >
                        Unassign
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
      {assigning && (
        <AssignDialog person={assigning} onClose={() => setAssigning(null)} onDone={() => void refresh()} />
      )}
      {creating && <CreateDialog onClose={() => setCreating(false)} onDone={() => void refresh()} />}
      {importing && <ImportDialog onClose={() => setImporting(false)} onDone={() => void refresh()} />}
    </>
  );
}

function AssignDialog({
  person,
  onClose,
  onDone,
}: {
  person: Person;
  onClose: () => void;
  onDone: () => void;
}) {
  const [spaceId, setSpaceId] = useState('');
  const free = useQuery(api.workplace.spaces.list.queryOptions({ free: true, limit: 200 }));
  const assign = useMutation({
    mutationFn: () => trpc.workplace.people.assign.mutate({ personId: person.id, spaceId }),
    onSuccess: () => {
      onDone();
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    assign.mutate();
  };
  return (
    <Dialog open title={`Assign ${String(person.data.name ?? 'this person')} to a space`} onClose={onClose}>
      <Form error={assign.error} className="form" onSubmit={submit}>
        {assign.isError && <ErrorMessage error={assign.error} title="Could not assign" />}
        {free.isError && <ErrorMessage error={free.error} title="Could not load the free spaces" />}
        <SelectField label="Free space" required value={spaceId} onChange={(e) => setSpaceId(e.target.value)}>
          <option value="">Choose a space…</option>
          {free.data?.items.map((space) => (
            <option key={space.id} value={space.id}>
              {space.externalId}
              {space.data.name ? ` — ${space.data.name}` : ''}
            </option>
          ))}
        </SelectField>
        <div className="form__actions">
          <button type="submit" className="button" disabled={!spaceId || assign.isPending}>
            {assign.isPending ? 'Assigning…' : 'Assign'}
          </button>
          <button type="button" className="button button--quiet" onClick={onClose}>
            Cancel
          </button>
        </div>
      </Form>
    </Dialog>
  );
}

function CreateDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [externalId, setExternalId] = useState('');
  const create = useMutation({
    mutationFn: () => trpc.workplace.people.create.mutate({ externalId: externalId || null, data: { name } }),
    onSuccess: () => {
      onDone();
      onClose();
    },
  });
  return (
    <Dialog open title="New person" onClose={onClose}>
      <Form
        error={create.error}
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        {create.isError && <ErrorMessage error={create.error} title="Could not add the person" />}
        <TextField label="Name" required value={name} onChange={(e) => setName(e.target.value)} />
        <TextField
          label="Id"
          hint="Optional: your own id, used by CSV imports to update this person."
          value={externalId}
          onChange={(e) => setExternalId(e.target.value)}
        />
        <div className="form__actions">
          <button type="submit" className="button" disabled={create.isPending}>
            Add
          </button>
          <button type="button" className="button button--quiet" onClick={onClose}>
            Cancel
          </button>
        </div>
      </Form>
    </Dialog>
  );
}

/**
 * CSV import: "Preview" checks every row and shows what would happen; "Import" applies the file only
 * when every row is valid (all or nothing), so a file is never half imported.
 */
function ImportDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [csv, setCsv] = useState('externalId,name,department,space\n');
  const [report, setReport] = useState<ImportReport | null>(null);
  const run = useMutation({
    mutationFn: (dryRun: boolean) => trpc.workplace.people.import.mutate({ csv, dryRun }),
    onSuccess: (result) => {
      setReport(result);
      if (result.applied) onDone();
    },
  });
  return (
    <Dialog open wide title="Import people from a CSV" onClose={onClose}>
      <div className="form">
        <p className="muted">
          A header row, then one person per row. Columns: <code>externalId</code> (updates the person with
          that id), <code>space</code> (the id of a space to assign them to), and any fields such as{' '}
          <code>name</code>. The file is imported only when every row is valid.
        </p>
        <label className="field">
          <span className="field__label">File</span>
          <input
            type="file"
            accept=".csv,text/csv"
            onChange={async (event) => {
              const file = event.target.files?.[0];
              if (file) {
                setCsv(await file.text());
                setReport(null);
              }
            }}
          />
        </label>
        <TextAreaField
          label="Contents"
          rows={8}
          value={csv}
          onChange={(e) => {
            setCsv(e.target.value);
            setReport(null);
          }}
        />
        {run.isError && <ErrorMessage error={run.error} title="Could not read the file" />}
        {report && (
          <div data-testid="import-report">
            <p role="status">
              {report.applied
                ? `Imported: ${report.created} added, ${report.updated} updated.`
                : report.errors > 0
                  ? `${plural(report.errors, 'row needs', 'rows need')} fixing; nothing was imported.`
                  : `Ready: ${report.created} to add, ${report.updated} to update.`}
            </p>
            <DataTable
              label="Rows"
              head={
                <>
                  <th scope="col">Line</th>
                  <th scope="col">Id</th>
                  <th scope="col">Space</th>
                  <th scope="col">Result</th>
                </>
              }
            >
              {report.rows.map((row) => (
                <tr key={row.line} data-testid="import-row" data-action={row.action}>
                  <td>{row.line}</td>
                  <td>{row.externalId ?? <span className="muted">new</span>}</td>
                  <td>{row.space ?? ''}</td>
                  <td>
                    {row.action === 'error' ? (
                      <span className="error-text">{row.errors.join('; ')}</span>
                    ) : row.action === 'create' ? (
                      'add'
                    ) : (
                      'update'
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
          </div>
        )}
        <div className="form__actions">
          <button
            type="button"
            className="button button--quiet"
            disabled={run.isPending}
            onClick={() => run.mutate(true)}
          >
            Preview
          </button>
          <button
            type="button"
            className="button"
            disabled={run.isPending || (report !== null && report.errors > 0)}
            onClick={() => run.mutate(false)}
          >
            Import
          </button>
          <button type="button" className="button button--quiet" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}
