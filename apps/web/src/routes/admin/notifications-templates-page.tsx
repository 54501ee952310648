import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { ConfirmButton, Dialog, DialogActions, ResultNotice } from '../../components/confirm-dialog.tsx';
import { PagedListPager, usePagedList } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField, TextAreaField, TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import {
  CHANNEL_LABEL,
  ChannelFilter,
  type NotificationChannel,
  SensitiveCheckbox,
} from './notifications-status.tsx';
import { RenderedPreview } from './rendered-preview.tsx';

type Template = RouterOutputs['notifications']['templates']['list'][number];
type UpsertInput = RouterInputs['notifications']['templates']['upsert'];

const PAGE_SIZE = 20;

/**
 * What the editor dialog does: show a built-in (read-only), override a built-in for this
 * organisation (key and channel fixed, locale free), edit one of the organisation's own (key,
 * channel, locale fixed: another locale is another template) or create a new one.
 */
type Editing =
  | { mode: 'view'; template: Template }
  | { mode: 'override'; template: Template }
  | { mode: 'edit'; template: Template }
  | { mode: 'create' };

/**
 * Templates (SPEC §6): the built-ins every organisation shares (read-only; override them per locale)
 * and the organisation's own — overrides and templates of its own keys — to create, edit and delete.
 */
export function NotificationTemplatesPage() {
  const queryClient = useQueryClient();
  const [channel, setChannel] = useState<NotificationChannel | ''>('');
  const [localeFilter, setLocaleFilter] = useState('');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [previewing, setPreviewing] = useState<Template | null>(null);
  const [result, setResult] = useState<ReactNode>(null);
  const templates = useQuery(api.notifications.templates.list.queryOptions(channel ? { channel } : {}));
  const all = templates.data ?? [];
  const locales = [...new Set(all.map((t) => t.locale))].sort();
  const shown = localeFilter ? all.filter((t) => t.locale === localeFilter) : all;
  const paged = usePagedList(shown, PAGE_SIZE, `${channel}|${localeFilter}`);
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.notifications.templates.pathKey() });

  return (
    <div>
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      <div className="section-header">
        <Form
          className="filters filters--inline"
          aria-label="Filter templates"
          onSubmit={(e) => e.preventDefault()}
        >
          <ChannelFilter value={channel} onChange={setChannel} />
          <SelectField
            label="Locale"
            value={localeFilter}
            onChange={(event) => setLocaleFilter(event.target.value)}
          >
            <option value="">Any locale</option>
            {locales.map((locale) => (
              <option key={locale} value={locale}>
                {locale}
              </option>
            ))}
          </SelectField>
        </Form>
        <button type="button" className="button" onClick={() => setEditing({ mode: 'create' })}>
          New template
        </button>
      </div>
      <ListPanel
        query={templates}
        errorTitle="Could not load the templates"
        isEmpty={() => shown.length === 0}
        empty={<p>No template matches these filters.</p>}
      >
        {() => (
          <>
            <DataTable
              label="Notification templates"
              head={
                <>
                  <th scope="col">Key</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Locale</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Actions</th>
                </>
              }
            >
              {paged.items.map((template) => {
                const what = `${template.key} (${CHANNEL_LABEL[template.channel]}, ${template.locale})`;
                return (
                  <tr
                    key={template.id}
                    data-testid="template-row"
                    data-key={template.key}
                    data-scope={template.scope}
                  >
                    <th scope="row">
                      <code>{template.key}</code>
                      {template.sensitive && <span className="tag tag--inline">sensitive</span>}
                    </th>
                    <td>{CHANNEL_LABEL[template.channel]}</td>
                    <td>{template.locale}</td>
                    <td>
                      {template.scope === 'global' ? 'Built-in' : 'Your organisation'}
                      {template.overridden && <span className="tag tag--inline">overridden</span>}
                    </td>
                    <td className="table__detail">{template.subject}</td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button button--quiet"
                          aria-label={`Preview ${what}`}
                          onClick={() => setPreviewing(template)}
                        >
                          Preview
                        </button>
                        {template.scope === 'global' ? (
                          <>
                            <button
                              type="button"
                              className="button button--quiet"
                              aria-label={`View ${what}`}
                              onClick={() => setEditing({ mode: 'view', template })}
                            >
                              View
                            </button>
                            {template.fixedText ? (
                              <span
                                className="tag tag--inline"
                                title="Invitations reach people outside your organisation, so their text is Atrium's."
                              >
                                fixed text
                              </span>
                            ) : (
                              <button
                                type="button"
                                className="button button--quiet"
                                aria-label={`Override ${what}`}
                                onClick={() => setEditing({ mode: 'override', template })}
                              >
                                Override…
                              </button>
                            )}
                          </>
                        ) : (
                          <>
                            <button
                              type="button"
                              className="button button--quiet"
                              aria-label={`Edit ${what}`}
                              onClick={() => setEditing({ mode: 'edit', template })}
                            >
                              Edit…
                            </button>
                            <ConfirmButton
                              label="Delete"
                              ariaLabel={`Delete ${what}`}
                              title={`Delete ${what}?`}
                              confirmLabel="Delete template"
                              destructive
                              run={() => trpc.notifications.templates.delete.mutate({ id: template.id })}
                              onSuccess={() => {
                                setResult(
                                  <>
                                    Deleted <code>{template.key}</code> ({template.locale}).{' '}
                                    {all.some(
                                      (t) =>
                                        t.scope === 'global' &&
                                        t.key === template.key &&
                                        t.channel === template.channel,
                                    )
                                      ? 'The built-in applies again.'
                                      : 'Notifications can no longer use it in this locale.'}
                                  </>,
                                );
                                void refresh();
                              }}
                            >
                              <p>
                                Notifications queued from now on no longer use it. Those already queued keep
                                their text.
                              </p>
                            </ConfirmButton>
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </DataTable>
            <PagedListPager label="templates" list={paged} />
          </>
        )}
      </ListPanel>
      <Dialog
        open={previewing !== null}
        title={previewing ? `Preview of ${previewing.key} (${previewing.locale})` : 'Preview'}
        onClose={() => setPreviewing(null)}
        wide
      >
        {previewing && (
          <>
            <RenderedPreview input={{ templateId: previewing.id }} title="With sample values" />
            <div className="form__actions">
              <button type="button" className="button button--quiet" onClick={() => setPreviewing(null)}>
                Close
              </button>
            </div>
          </>
        )}
      </Dialog>
      <Dialog
        open={editing !== null}
        title={editing ? dialogTitle(editing) : 'Template'}
        onClose={() => setEditing(null)}
        wide
      >
        {editing?.mode === 'view' && (
          <TemplateView template={editing.template} onClose={() => setEditing(null)} />
        )}
        {editing && editing.mode !== 'view' && (
          <TemplateEditor
            editing={editing}
            onCancel={() => setEditing(null)}
            onSaved={(saved) => {
              setEditing(null);
              setResult(
                <>
                  Saved <code>{saved.key}</code> ({CHANNEL_LABEL[saved.channel]}, {saved.locale}) for your
                  organisation. New notifications use it from now on.
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

function dialogTitle(editing: Editing): string {
  switch (editing.mode) {
    case 'view':
      return `Built-in template ${editing.template.key}`;
    case 'override':
      return `Override ${editing.template.key}`;
    case 'edit':
      return `Edit ${editing.template.key}`;
    case 'create':
      return 'New template';
  }
}

function VariablesHint({ names }: { names: readonly string[] }) {
  if (names.length === 0) return <>No variables.</>;
  return (
    <>
      Variables:{' '}
      {names.map((name, index) => (
        <span key={name}>
          {index > 0 && ', '}
          <code>{`{{${name}}}`}</code>
        </span>
      ))}
    </>
  );
}

function TemplateView({ template, onClose }: { template: Template; onClose: () => void }) {
  return (
    <div className="form">
      <dl className="facts">
        <div className="facts__row">
          <dt>Channel</dt>
          <dd>{CHANNEL_LABEL[template.channel]}</dd>
        </div>
        <div className="facts__row">
          <dt>Locale</dt>
          <dd>{template.locale}</dd>
        </div>
        <div className="facts__row">
          <dt>Subject</dt>
          <dd>{template.subject}</dd>
        </div>
        <div className="facts__row">
          <dt>Variables</dt>
          <dd>
            <VariablesHint names={template.variables} />
          </dd>
        </div>
      </dl>
      <pre className="mail-body__text">{template.body}</pre>
      <p className="muted">
        Built-in templates are shared by every organisation and cannot be changed; override one to use your
        own text{template.overridden ? ' (your organisation already does for this locale)' : ''}.
      </p>
      <div className="dialog__actions">
        <button type="button" className="button button--quiet" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}

function TemplateEditor({
  editing,
  onCancel,
  onSaved,
}: {
  editing: Exclude<Editing, { mode: 'view' }>;
  onCancel: () => void;
  onSaved: (saved: Template) => void;
}) {
  const base = editing.mode === 'create' ? null : editing.template;
  // Every channel's built-ins: an override of a built-in key may use only that key's variables.
  const everything = useQuery(api.notifications.templates.list.queryOptions({}));
  const builtIns = (everything.data ?? []).filter((t) => t.scope === 'global');
  const [key, setKey] = useState(base?.key ?? '');
  const [channel, setChannel] = useState<NotificationChannel>(base?.channel ?? 'email');
  const [locale, setLocale] = useState(base?.locale ?? 'en');
  const [subject, setSubject] = useState(base?.subject ?? '');
  const [body, setBody] = useState(base?.body ?? '');
  const [sensitive, setSensitive] = useState(base?.sensitive ?? false);
  const save = useMutation({
    mutationFn: (input: UpsertInput) => trpc.notifications.templates.upsert.mutate(input),
    onSuccess: onSaved,
  });
  const errors = fieldErrorsOf(save.error);
  const fixedKey = editing.mode !== 'create';
  const fixedLocale = editing.mode === 'edit';
  const builtInRows = builtIns.filter((t) => t.key === key.trim());
  const builtInVariables = [...new Set(builtInRows.flatMap((t) => t.variables))].sort();
  const overridesBuiltIn = builtInRows.length > 0;

  return (
    <Form
      error={save.error}
      className="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const input: UpsertInput = { key, channel, locale, subject, body };
        if (!overridesBuiltIn) input.sensitive = sensitive;
        save.mutate(input);
      }}
    >
      {editing.mode === 'override' && (
        <p className="muted">
          Your organisation's version replaces the built-in for this key, channel and locale. It may use the
          built-in's variables only.
        </p>
      )}
      <TextField
        label="Key"
        value={key}
        readOnly={fixedKey}
        onChange={(event) => setKey(event.target.value)}
        errors={errors.key}
        hint={fixedKey ? undefined : 'Lower-case words joined by hyphens, e.g. weekly-digest.'}
      />
      <SelectField
        label="Channel"
        value={channel}
        disabled={fixedKey}
        onChange={(event) => setChannel(event.target.value === 'in_app' ? 'in_app' : 'email')}
        errors={errors.channel}
      >
        <option value="email">{CHANNEL_LABEL.email}</option>
        <option value="in_app">{CHANNEL_LABEL.in_app}</option>
      </SelectField>
      <TextField
        label="Locale"
        value={locale}
        readOnly={fixedLocale}
        onChange={(event) => setLocale(event.target.value)}
        errors={errors.locale}
        hint={
          fixedLocale
            ? 'Another locale is another template: create it separately.'
            : 'BCP 47, e.g. en, de, de-CH.'
        }
      />
      <TextField
        label="Subject"
        value={subject}
        onChange={(event) => setSubject(event.target.value)}
        errors={errors.subject}
      />
      <TextAreaField
        label="Body"
        rows={8}
        value={body}
        onChange={(event) => setBody(event.target.value)}
        errors={errors.body}
        hint={
          overridesBuiltIn ? (
            <VariablesHint names={builtInVariables} />
          ) : (
            <>
              Plain text; <code>{'{{name}}'}</code> placeholders take the values senders give.
            </>
          )
        }
      />
      {overridesBuiltIn ? (
        <p className="field__hint">
          {builtInRows.some((t) => t.sensitive)
            ? 'The built-in carries secrets, so this version is stored as sensitive too.'
            : null}
        </p>
      ) : (
        <SensitiveCheckbox
          checked={sensitive}
          onChange={setSensitive}
          label="Sensitive"
          description="Notifications from it carry secrets: stored encrypted, content withheld from the lists."
        />
      )}
      {save.isError && (
        <ErrorMessage
          error={save.error}
          title="Could not save the template"
          inlineFields={['key', 'channel', 'locale', 'subject', 'body']}
        />
      )}
      <DialogActions
        busy={save.isPending}
        onCancel={onCancel}
        submitLabel="Save template"
        busyLabel="Saving…"
      />
    </Form>
  );
}
