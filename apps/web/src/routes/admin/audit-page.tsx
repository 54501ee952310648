import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { useSession } from '../../auth/use-session.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { FilterActions, SelectField, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { plural } from '../../lib/plural.ts';
import { api, type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { useUrlFilters } from '../../lib/use-url-filters.ts';
import { userPath } from './users-layout.tsx';

type AuditFilters = Omit<NonNullable<RouterInputs['audit']['list']>, 'cursor' | 'limit' | 'chain'>;
type Chain = 'org' | 'platform';

const PAGE_SIZE = 25;

const EMPTY_DRAFT = { action: '', actorId: '', resourceType: '', resourceId: '', from: '', to: '' };
type Draft = typeof EMPTY_DRAFT;

const FILTER_FIELDS: ReadonlyArray<{
  name: keyof Draft;
  label: string;
  placeholder?: string;
  type?: string;
}> = [
  { name: 'resourceType', label: 'Resource type', placeholder: 'user' },
  { name: 'resourceId', label: 'Resource ID' },
  { name: 'from', label: 'From', type: 'datetime-local' },
  { name: 'to', label: 'Until', type: 'datetime-local' },
];

/** `datetime-local` values are local wall-clock times; the API takes instants. */
function localToDate(value: string): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function toFilters(draft: Draft): AuditFilters {
  const filters: AuditFilters = {};
  if (draft.action.trim()) filters.action = draft.action.trim();
  if (draft.actorId.trim()) filters.actorId = draft.actorId.trim();
  if (draft.resourceType.trim()) filters.resourceType = draft.resourceType.trim();
  if (draft.resourceId.trim()) filters.resourceId = draft.resourceId.trim();
  const from = localToDate(draft.from);
  const to = localToDate(draft.to);
  if (from) filters.from = from;
  if (to) filters.to = to;
  return filters;
}

/** Admin → Audit (SPEC §7): the organisation's audit log, filtered and paged, and its integrity check. */
export function AuditPage() {
  const session = useSession();
  const isOperator = session.user?.platformRole === 'operator';
  // The log shown, its filters and its page live in the address: a reload, a shared link or Back
  // keeps them. `chain` is this page's own parameter, next to the filters.
  const [params, setParams] = useSearchParams();
  const chain: Chain = isOperator && params.get('chain') === 'platform' ? 'platform' : 'org';
  const url = useUrlFilters(EMPTY_DRAFT);
  const { draft, pages, field: set } = url;
  const filters = toFilters(url.applied);
  const list = useQuery({
    ...api.audit.list.queryOptions({ chain, ...filters, cursor: pages.cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const options = useQuery(api.audit.filterOptions.queryOptions({ chain }));
  const verify = useMutation({ mutationFn: () => trpc.audit.verify.mutate({ chain }) });
  const exportCsv = useMutation({
    mutationFn: () => trpc.audit.exportCsv.mutate({ chain, ...filters }),
    onSuccess: (result) => {
      const href = URL.createObjectURL(new Blob([result.csv], { type: 'text/csv;charset=utf-8' }));
      const link = document.createElement('a');
      link.href = href;
      link.download = `audit-${chain === 'platform' ? 'platform' : 'organisation'}-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 1_000);
    },
  });
  const switchChain = (next: Chain) => {
    const nextParams = new URLSearchParams();
    if (next === 'platform') nextParams.set('chain', 'platform');
    setParams(nextParams);
    verify.reset();
    exportCsv.reset();
  };
  const filterErrors = fieldErrorsOf(list.error);
  // People link to their page when the viewer may manage users (the org's own log only).
  const linkPeople = chain === 'org' && session.can('users.manage');

  return (
    <section className="admin-section" aria-labelledby="audit-title">
      <div className="section-header">
        <h2 id="audit-title">{chain === 'platform' ? 'Platform audit log' : 'Audit log'}</h2>
        <div className="form__actions">
          <button
            type="button"
            className="button button--quiet"
            onClick={() => exportCsv.mutate()}
            disabled={exportCsv.isPending}
          >
            {exportCsv.isPending ? 'Exporting…' : 'Export CSV'}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => verify.mutate()}
            disabled={verify.isPending}
          >
            {verify.isPending ? 'Verifying…' : 'Verify chain'}
          </button>
        </div>
      </div>
      {isOperator && (
        <fieldset className="field segmented" data-testid="audit-chain">
          <legend className="field__label">Whose log</legend>
          <label className="segmented__option">
            <input
              type="radio"
              name="audit-chain"
              checked={chain === 'org'}
              onChange={() => switchChain('org')}
            />
            <span>Your organisation</span>
          </label>
          <label className="segmented__option">
            <input
              type="radio"
              name="audit-chain"
              checked={chain === 'platform'}
              onChange={() => switchChain('platform')}
            />
            <span>Platform (operators' actions)</span>
          </label>
        </fieldset>
      )}
      {exportCsv.isError && <ErrorMessage error={exportCsv.error} title="Could not export the log" />}
      {exportCsv.data && (
        <p className="muted" role="status" data-testid="audit-export-result">
          Exported {plural(exportCsv.data.rows, 'entry', 'entries')}
          {exportCsv.data.truncated ? ' (the newest 10,000: narrow the filters for the rest)' : ''}.
        </p>
      )}
      <p className="muted">
        Every entry carries a SHA-256 checksum over the previous one, so an edited or deleted entry breaks the
        chain. Verification recomputes it from the first entry.
      </p>
      {verify.isError && <ErrorMessage error={verify.error} title="Could not verify the chain" />}
      {verify.data &&
        (verify.data.ok ? (
          <div
            className="result-notice result-notice--ok"
            role="status"
            data-testid="audit-verify-result"
            data-ok="true"
          >
            <p>
              <strong>Chain OK.</strong> {plural(verify.data.entries, 'entry', 'entries')} verified, up to seq{' '}
              {verify.data.headSeq}.
            </p>
          </div>
        ) : (
          <div
            className="result-notice result-notice--broken"
            role="alert"
            data-testid="audit-verify-result"
            data-ok="false"
          >
            <p>
              <strong>Chain broken at seq {verify.data.firstBrokenSeq}</strong> ({verify.data.reason}):{' '}
              {verify.data.message}. {plural(verify.data.entriesChecked, 'entry', 'entries')} verified before
              the break; the log ends at seq {verify.data.headSeq}.
            </p>
          </div>
        ))}

      <Form className="filters" onSubmit={url.submit} aria-label="Filter audit entries">
        <SelectField
          label="Action"
          value={draft.action}
          onChange={set('action')}
          errors={filterErrors.action}
        >
          <option value="">Any action</option>
          {(options.data?.actions ?? []).map((action) => (
            <option key={action} value={action}>
              {action}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Person"
          value={draft.actorId}
          onChange={set('actorId')}
          errors={filterErrors.actorId}
        >
          <option value="">Anyone</option>
          {(options.data?.actors ?? []).map((actor) => (
            <option key={actor.id} value={actor.id}>
              {actor.name ?? `Former member ${actor.id.slice(0, 8)}`}
            </option>
          ))}
        </SelectField>
        {FILTER_FIELDS.map((field) => (
          <TextField
            key={field.name}
            label={field.label}
            type={field.type}
            name={field.name}
            placeholder={field.placeholder}
            value={draft[field.name]}
            onChange={set(field.name)}
            errors={filterErrors[field.name]}
          />
        ))}
        <FilterActions onReset={url.reset} />
      </Form>

      <ListPanel
        query={list}
        errorTitle="Could not load the audit log"
        inlineFields={Object.keys(EMPTY_DRAFT)}
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{pages.page === 1 ? 'No entry matches these filters.' : 'No older entries.'}</p>}
        pager={{ label: 'audit entries', pages }}
      >
        {(data) => (
          <DataTable
            label="Audit entries"
            head={
              <>
                <th scope="col" className="table__numeric">
                  Seq
                </th>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Resource</th>
                <th scope="col">Details</th>
              </>
            }
          >
            {data.items.map((entry) => (
              <AuditRow key={entry.seq} entry={entry} linkPeople={linkPeople} />
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}

type AuditEntry = RouterOutputs['audit']['list']['items'][number];

function AuditRow({ entry, linkPeople }: { entry: AuditEntry; linkPeople: boolean }) {
  return (
    <tr data-testid="audit-row" data-action={entry.action}>
      <td className="table__numeric">{entry.seq}</td>
      <td className="table__nowrap">
        <time dateTime={entry.at.toISOString()}>{entry.at.toLocaleString()}</time>
      </td>
      <th scope="row">
        <code>{entry.action}</code>
      </th>
      <td>
        {entry.actorId ? (
          <span title={entry.actorId} data-testid="audit-actor">
            {entry.actorName === null ? (
              <span className="muted">former member</span>
            ) : linkPeople ? (
              <Link to={userPath(entry.actorId)}>{entry.actorName}</Link>
            ) : (
              entry.actorName
            )}
          </span>
        ) : (
          <span className="muted">Atrium (automatic)</span>
        )}
      </td>
      <td>
        <code>{entry.resourceType}</code>
        {entry.resourceId && (
          <>
            {' '}
            <code className="muted" title={entry.resourceId}>
              {entry.resourceId.length > 12 ? `${entry.resourceId.slice(0, 8)}…` : entry.resourceId}
            </code>
          </>
        )}
      </td>
      <td>
        <details>
          <summary>Payload</summary>
          <pre className="json-block">{JSON.stringify(entry.payload, null, 2)}</pre>
          <p className="muted">
            checksum <code>{entry.checksum.slice(0, 16)}…</code>
          </p>
        </details>
      </td>
    </tr>
  );
}
