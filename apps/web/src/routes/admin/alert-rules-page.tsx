import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { ConfirmButton, Dialog, DialogActions } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldBinder } from '../../lib/bind-field.ts';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { plural } from '../../lib/plural.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import { LevelPill, type LOG_LEVEL_NAMES, LogMatchFields } from './log-level.tsx';

type AlertRule = RouterOutputs['alertRules']['list']['items'][number];
type Level = (typeof LOG_LEVEL_NAMES)[number];

interface Draft {
  name: string;
  minLevel: Level;
  containsText: string;
  source: string;
  windowSeconds: string;
  thresholdCount: string;
  enabled: boolean;
}

const EMPTY: Draft = {
  name: '',
  minLevel: 'error',
  containsText: '',
  source: '',
  windowSeconds: '300',
  thresholdCount: '5',
  enabled: true,
};

function draftOf(rule: AlertRule): Draft {
  return {
    name: rule.name,
    minLevel: rule.minLevel,
    containsText: rule.containsText ?? '',
    source: rule.source ?? '',
    windowSeconds: String(rule.windowSeconds),
    thresholdCount: String(rule.thresholdCount),
    enabled: rule.enabled,
  };
}

function describeWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * Admin → Alert rules (SPEC §7): when matching events reach a count within a window, an incident opens
 * and the admins are told. The built-in rules watch Atrium's own failures and cannot be changed.
 */
export function AlertRulesPage() {
  const queryClient = useQueryClient();
  const list = useQuery(api.alertRules.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.alertRules.pathKey() });
  return (
    <section className="admin-section" aria-labelledby="rules-title">
      <div className="section-header">
        <h2 id="rules-title">Alert rules</h2>
        <RuleDialogButton label="New rule" onSaved={() => void refresh()} />
      </div>
      <p className="muted">
        A rule counts the log events at or above a level, from a source and containing some text. When the
        count within the window reaches the threshold, an incident opens and everyone who manages incidents is
        told by email and in the app. Later matches add to the open incident.
      </p>
      <ListPanel
        query={list}
        errorTitle="Could not load the alert rules"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>No rules.</p>}
      >
        {(data) => (
          <DataTable
            label="Alert rules"
            head={
              <>
                <th scope="col">Name</th>
                <th scope="col">Matches</th>
                <th scope="col">Opens an incident at</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((rule) => (
              <tr key={rule.id} data-testid="rule-row" data-rule={rule.name}>
                <th scope="row">
                  {rule.name}
                  {rule.builtIn && <span className="muted"> (built in)</span>}
                </th>
                <td>
                  <LevelPill level={rule.minLevel} /> or worse
                  {rule.source && (
                    <>
                      {' '}
                      from <code>{rule.source}</code>
                    </>
                  )}
                  {rule.containsText && <> containing “{rule.containsText}”</>}
                </td>
                <td>
                  {rule.thresholdCount} in {describeWindow(rule.windowSeconds)}
                </td>
                <td>
                  {rule.openIncidentId ? (
                    <Link to={`/admin/incidents/${rule.openIncidentId}`} className="pill pill--down">
                      incident open
                    </Link>
                  ) : rule.enabled ? (
                    <span className="pill pill--ok">watching</span>
                  ) : (
                    <span className="pill pill--neutral">off</span>
                  )}
                </td>
                <td>
                  {!rule.builtIn && (
                    <div className="row-actions">
                      <RuleDialogButton label="Edit" rule={rule} onSaved={() => void refresh()} />
                      <ConfirmButton
                        label="Delete"
                        ariaLabel={`Delete ${rule.name}`}
                        title={`Delete the rule “${rule.name}”?`}
                        confirmLabel="Delete rule"
                        cancelLabel="Keep rule"
                        destructive
                        run={() => trpc.alertRules.delete.mutate({ id: rule.id })}
                        onSuccess={() => void refresh()}
                      >
                        <p>Its incidents stay listed.</p>
                      </ConfirmButton>
                    </div>
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

function RuleDialogButton({
  label,
  rule,
  onSaved,
}: {
  label: string;
  rule?: AlertRule;
  onSaved: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<Draft>(rule ? draftOf(rule) : EMPTY);
  const criteria = useDebounced(
    {
      minLevel: draft.minLevel,
      ...(draft.containsText.trim() ? { containsText: draft.containsText.trim() } : {}),
      ...(draft.source.trim() ? { source: draft.source.trim() } : {}),
    },
    400,
  );
  const preview = useQuery({ ...api.alertRules.preview.queryOptions(criteria), enabled: open });
  const save = useMutation({
    mutationFn: () => {
      const fields = {
        name: draft.name,
        minLevel: draft.minLevel,
        containsText: draft.containsText.trim() || null,
        source: draft.source.trim() || null,
        windowSeconds: Number(draft.windowSeconds),
        thresholdCount: Number(draft.thresholdCount),
        enabled: draft.enabled,
      };
      return rule
        ? trpc.alertRules.update.mutate({ id: rule.id, ...fields })
        : trpc.alertRules.create.mutate(fields);
    },
    onSuccess: () => {
      setOpen(false);
      onSaved();
    },
  });
  const errors = fieldErrorsOf(save.error);
  const bind = fieldBinder(draft, setDraft, errors);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <>
      <button
        type="button"
        className={rule ? 'button button--quiet' : 'button'}
        aria-label={rule ? `Edit ${rule.name}` : undefined}
        onClick={() => {
          setDraft(rule ? draftOf(rule) : EMPTY);
          save.reset();
          setOpen(true);
        }}
      >
        {label}
      </button>
      <Dialog
        open={open}
        title={rule ? `Edit “${rule.name}”` : 'New alert rule'}
        onClose={() => setOpen(false)}
        wide
      >
        <Form error={save.error} onSubmit={submit}>
          <TextField label="Name" required {...bind('name')} />
          <LogMatchFields
            form="rule"
            values={{ minLevel: draft.minLevel, source: draft.source, containsText: draft.containsText }}
            onChange={(name) => bind(name as keyof Draft).onChange}
            errors={errors}
          />
          <TextField label="Window in seconds" type="number" min={10} {...bind('windowSeconds')} />
          <TextField
            label="Threshold (events in the window)"
            type="number"
            min={1}
            {...bind('thresholdCount')}
          />
          <label className="checkbox">
            <input
              type="checkbox"
              checked={draft.enabled}
              onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })}
            />{' '}
            On
          </label>
          <p className="muted" role="status" data-testid="rule-preview">
            {preview.isError
              ? 'The preview is not available for these criteria.'
              : preview.data
                ? `In the last hour, ${plural(preview.data.matches, 'event')} would have matched.`
                : 'Counting the last hour’s matches…'}
          </p>
          {save.isError && (
            <ErrorMessage
              error={save.error}
              title="Could not save the rule"
              inlineFields={['name', 'minLevel', 'source', 'containsText', 'windowSeconds', 'thresholdCount']}
            />
          )}
          <DialogActions
            busy={save.isPending}
            onCancel={() => setOpen(false)}
            submitLabel="Save rule"
            busyLabel="Saving…"
          />
        </Form>
      </Dialog>
    </>
  );
}
