import { useMutation, useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { useRetryCountdown } from '../../auth/retry-after.ts';
import { useSession } from '../../auth/use-session.ts';
import { ResultNotice } from '../../components/confirm-dialog.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField, TextAreaField, TextField } from '../../components/form-field.tsx';
import { describeError, type FieldErrors, fieldErrorsOf } from '../../lib/errors.ts';
import { formatDuration } from '../../lib/time-format.ts';
import { api, type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { useDebounced } from '../../lib/use-debounced.ts';
import { CHANNEL_LABEL, type NotificationChannel, SensitiveCheckbox } from './notifications-status.tsx';
import { RenderedPreview } from './rendered-preview.tsx';
import { useRoleOptions } from './role-options.ts';

type SendInput = RouterInputs['notifications']['send'];
type AudienceInput = RouterInputs['notifications']['sendToAudience'];
type Audience = AudienceInput['audience'];
type SentNotification = RouterOutputs['notifications']['send'];
type AudienceSent = RouterOutputs['notifications']['sendToAudience'];
type Sent = { kind: 'one'; sent: SentNotification } | { kind: 'audience'; sent: AudienceSent };
/** Who a notification goes to: one member, an address (email only), a role's holders or everyone. */
type RecipientKind = 'member' | 'email' | 'role' | 'everyone';
type Template = RouterOutputs['notifications']['templates']['list'][number];

interface VariableRow {
  key: number;
  name: string;
  value: string;
}

/** Errors of `prefix` and of everything under it (`variables`, `variables.code`). */
function errorsUnder(errors: FieldErrors, prefix: string): string[] | undefined {
  const found = Object.entries(errors)
    .filter(([field]) => field === prefix || field.startsWith(`${prefix}.`))
    .flatMap(([field, messages]) =>
      field === prefix
        ? messages
        : messages.map((message) => `${field.slice(prefix.length + 1)}: ${message}`),
    );
  return found.length > 0 ? found : undefined;
}

/**
 * Send a notification: a channel, its recipients — a member, or for email an address (a member's, or
 * any if a platform operator allowed it) through `notifications.send`; everyone holding a role, or
 * everyone, through `notifications.sendToAudience`, with the number of people it reaches shown
 * before sending — a template of the organisation's —
 * or a subject and body written here — its variables, and optionally a time. Atrium's own templates
 * and the variables it fills in are never offered nor sent; the org's hourly email quota shows as a
 * wait on the button.
 */
export function SendNotificationPage() {
  const [formKey, setFormKey] = useState(0);
  const [result, setResult] = useState<ReactNode>(null);
  return (
    <div>
      {result && <ResultNotice message={result} onDismiss={() => setResult(null)} />}
      <div className="panel">
        <SendForm
          key={formKey}
          onSent={(result) => {
            if (result.kind === 'audience') {
              const { sent } = result;
              setResult(
                <>
                  {sent.alreadySent ? 'Already queued' : 'Queued'} for{' '}
                  <strong>
                    {sent.recipients} {sent.recipients === 1 ? 'person' : 'people'}
                  </strong>
                  .{' '}
                  <Link to={`/admin/notifications?sendId=${encodeURIComponent(sent.sendId)}`}>
                    Follow their delivery
                  </Link>
                </>,
              );
              setFormKey((key) => key + 1);
              return;
            }
            const { sent } = result;
            setResult(
              <>
                {sent.status === 'scheduled' ? 'Scheduled' : 'Queued'}{' '}
                <strong>{sent.redacted ? 'a sensitive notification' : `“${sent.subject}”`}</strong> (
                {CHANNEL_LABEL[sent.channel]}).{' '}
                <Link to={`/admin/notifications/${sent.id}`}>Follow its delivery</Link>
              </>,
            );
            setFormKey((key) => key + 1);
          }}
        />
      </div>
    </div>
  );
}

function SendForm({ onSent }: { onSent: (sent: Sent) => void }) {
  const [channel, setChannel] = useState<NotificationChannel>('in_app');
  const [recipientKind, setRecipientKind] = useState<RecipientKind>('member');
  const [role, setRole] = useState('');
  // One id per send, chosen here: a repeated request (a double click, a lost answer) queues nothing twice.
  const [sendId] = useState(() => crypto.randomUUID());
  const roleOptions = useRoleOptions();
  const [userId, setUserId] = useState('');
  const [email, setEmail] = useState('');
  const [contentKind, setContentKind] = useState<'template' | 'raw'>('template');
  const [templateKey, setTemplateKey] = useState('');
  const [locale, setLocale] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [variables, setVariables] = useState<VariableRow[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const [scheduleAt, setScheduleAt] = useState('');
  const [sensitive, setSensitive] = useState(false);
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});

  const templates = useQuery(api.notifications.templates.list.queryOptions({ channel }));
  const send = useMutation({
    mutationFn: async (
      input: { kind: 'one'; input: SendInput } | { kind: 'audience'; input: AudienceInput },
    ): Promise<Sent> =>
      input.kind === 'one'
        ? { kind: 'one', sent: await trpc.notifications.send.mutate(input.input) }
        : { kind: 'audience', sent: await trpc.notifications.sendToAudience.mutate(input.input) },
    onSuccess: onSent,
  });
  const errors: FieldErrors = { ...fieldErrorsOf(send.error), ...localErrors };
  // An address is for email only.
  const effectiveRecipient: RecipientKind =
    channel === 'in_app' && recipientKind === 'email' ? 'member' : recipientKind;
  const audience: Audience | null =
    effectiveRecipient === 'everyone'
      ? { everyone: true }
      : effectiveRecipient === 'role' && role
        ? { role }
        : null;
  const reach = useQuery({
    ...api.notifications.audienceReach.queryOptions({ audience: audience ?? { everyone: true } }),
    enabled: audience !== null,
  });
  // The hourly quota counts emails only: in-app notifications may still go out meanwhile.
  const quotaWait = useRetryCountdown(send.error);
  const wait = channel === 'email' && describeError(send.error).code === 'RATE_LIMITED' ? quotaWait : 0;

  const rowsOfKey = (key: string): Template[] => (templates.data ?? []).filter((t) => t.key === key);
  // Atrium's own emails (sign-up, passwords, invitations) are sent by their flows only.
  const templateKeys = [
    ...new Set((templates.data ?? []).filter((t) => !t.sentByAtrium).map((t) => t.key)),
  ].sort();
  // What Atrium fills in itself, per the templates the API describes (orgName, name).
  const platformFilled = new Set(
    (templates.data ?? []).flatMap((t) => t.variables.filter((name) => !t.senderVariables.includes(name))),
  );
  const selectedRows = rowsOfKey(templateKey);
  const locales = [...new Set(selectedRows.map((t) => t.locale))].sort();
  const declared = [...new Set(selectedRows.flatMap((t) => t.variables))].sort();
  // The text the preview renders: the chosen translation of the template, or what is written here.
  const previewSource =
    contentKind === 'template'
      ? (selectedRows.find((t) => t.locale === locale) ??
        selectedRows.find((t) => t.locale === 'en') ??
        selectedRows[0])
      : { subject, body };
  const usedVariables = previewSource
    ? [...new Set([...placeholderNames(previewSource.subject), ...placeholderNames(previewSource.body)])]
    : [];

  // The email as the worker will send it, rendered by the API (debounced while typing).
  const chosenTemplate =
    contentKind === 'template' && previewSource && 'id' in previewSource ? previewSource : null;
  const typedValues = Object.fromEntries(
    variables
      .map((row) => [row.name.trim(), row.value] as const)
      .filter(
        ([name, value]) => VARIABLE_NAME.test(name) && !platformFilled.has(name) && value.trim() !== '',
      ),
  );
  const renderInput = useDebounced(
    chosenTemplate
      ? { templateId: chosenTemplate.id, variables: typedValues }
      : contentKind === 'raw' && (subject.trim() || body.trim())
        ? { channel, subject, body, variables: typedValues }
        : null,
    400,
  );

  const addVariable = (name = '', value = '') => {
    setVariables((rows) => [...rows, { key: nextKey, name, value }]);
    setNextKey((key) => key + 1);
  };

  const chooseTemplate = (key: string) => {
    setTemplateKey(key);
    setLocale('');
    // Offer a row for each variable the template uses that the API does not fill in itself.
    const wanted = [...new Set(rowsOfKey(key).flatMap((t) => t.senderVariables))];
    setVariables((rows) => {
      const kept = rows.filter(
        (row) => row.name.trim() !== '' && (row.value !== '' || wanted.includes(row.name)),
      );
      const missing = wanted.filter((name) => !kept.some((row) => row.name === name));
      const added = missing.map((name, index) => ({ key: nextKey + index, name, value: '' }));
      return [...kept, ...added];
    });
    setNextKey((value) => value + wanted.length);
  };

  const submit = () => {
    const names = variables.map((row) => row.name.trim()).filter(Boolean);
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    const problems: FieldErrors = {};
    const reserved = [...new Set(names.filter((name) => platformFilled.has(name)))];
    const variableProblems = [
      ...(duplicates.length > 0 ? [`Each name once: ${[...new Set(duplicates)].join(', ')}`] : []),
      ...reserved.map((name) => `“${name}” is filled in by Atrium: remove that row`),
    ];
    if (variableProblems.length > 0) problems.variables = variableProblems;
    // Every placeholder the content uses needs a value; Atrium fills in its own.
    const values = new Map(variables.map((row) => [row.name.trim(), row.value]));
    for (const name of usedVariables) {
      if (platformFilled.has(name)) continue;
      if ((values.get(name) ?? '').trim() === '')
        problems[`variables.${name}`] = ['Fill in a value: the message uses it'];
    }
    if (contentKind === 'template' && !templateKey) problems.templateKey = ['Choose a template'];
    setLocalErrors(problems);
    if (Object.keys(problems).length > 0) return;

    const variableValues = Object.fromEntries(
      variables.filter((row) => row.name.trim()).map((row) => [row.name.trim(), row.value]),
    );
    const content: Pick<SendInput, 'templateKey' | 'locale' | 'subject' | 'body' | 'scheduleAt'> = {};
    if (contentKind === 'template') {
      content.templateKey = templateKey;
      if (locale) content.locale = locale;
    } else {
      content.subject = subject;
      content.body = body;
    }
    if (scheduleAt) content.scheduleAt = new Date(scheduleAt);
    if (effectiveRecipient === 'role' || effectiveRecipient === 'everyone') {
      if (!audience) {
        setLocalErrors({ audience: ['Choose a role'] });
        return;
      }
      send.mutate({
        kind: 'audience',
        input: { sendId, channel, audience, variables: variableValues, ...content },
      });
      return;
    }
    const input: SendInput = {
      channel,
      to: effectiveRecipient === 'member' ? { userId: userId.trim() } : { email: email.trim() },
      variables: variableValues,
      ...content,
    };
    if (sensitive) input.sensitive = true;
    send.mutate({ kind: 'one', input });
  };

  return (
    <Form
      error={send.error}
      className="form"
      noValidate
      aria-label="Send a notification"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <SelectField
        label="Channel"
        value={channel}
        onChange={(event) => {
          const next = event.target.value === 'email' ? 'email' : 'in_app';
          setChannel(next);
          setTemplateKey('');
          setLocale('');
        }}
        errors={errors.channel}
      >
        <option value="in_app">{CHANNEL_LABEL.in_app} (the member's inbox and bell)</option>
        <option value="email">{CHANNEL_LABEL.email}</option>
      </SelectField>

      <fieldset className="field segmented">
        <legend className="field__label">Send to</legend>
        {(
          [
            ['member', 'A member'],
            ['role', 'Everyone with a role'],
            ['everyone', 'Everyone in the organisation'],
            ...(channel === 'email' ? [['email', 'An email address']] : []),
          ] as Array<[RecipientKind, string]>
        ).map(([kind, label]) => (
          <label className="segmented__option" key={kind}>
            <input
              type="radio"
              name="recipient-kind"
              checked={effectiveRecipient === kind}
              onChange={() => setRecipientKind(kind)}
            />
            <span>{label}</span>
          </label>
        ))}
      </fieldset>
      {effectiveRecipient === 'member' && (
        <MemberPicker value={userId} onChange={setUserId} errors={errorsUnder(errors, 'to')} />
      )}
      {effectiveRecipient === 'email' && (
        <TextField
          label="Email address"
          type="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          errors={errorsUnder(errors, 'to')}
          hint="A member's address. Other addresses only when a platform operator has allowed it for your organisation."
        />
      )}
      {effectiveRecipient === 'role' && (
        <SelectField
          label="Role"
          name="audienceRole"
          value={role}
          onChange={(event) => setRole(event.target.value)}
          errors={errorsUnder(errors, 'audience')}
        >
          <option value="">Choose a role</option>
          {roleOptions.names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </SelectField>
      )}
      {effectiveRecipient === 'everyone' && errorsUnder(errors, 'audience') && (
        <ul className="field__errors">
          {errorsUnder(errors, 'audience')?.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {audience && (
        <p className="muted" role="status" data-testid="audience-reach">
          {reach.isError
            ? 'Could not count the people it reaches.'
            : reach.data
              ? reach.data.recipients > reach.data.max
                ? `More than ${reach.data.max} people: one send reaches at most ${reach.data.max}. Choose a role instead.`
                : `It reaches ${reach.data.recipients} ${reach.data.recipients === 1 ? 'person' : 'people'} (active members${
                    'role' in audience ? ` with the role ${audience.role}` : ''
                  }), one notification each${channel === 'email' ? ', each counted in the hourly email limit' : ''}.`
              : 'Counting the people it reaches…'}
        </p>
      )}

      <fieldset className="field segmented">
        <legend className="field__label">Content</legend>
        <label className="segmented__option">
          <input
            type="radio"
            name="content-kind"
            checked={contentKind === 'template'}
            onChange={() => setContentKind('template')}
          />
          <span>From a template</span>
        </label>
        <label className="segmented__option">
          <input
            type="radio"
            name="content-kind"
            checked={contentKind === 'raw'}
            onChange={() => setContentKind('raw')}
          />
          <span>Write subject and body</span>
        </label>
      </fieldset>
      {contentKind === 'template' ? (
        <>
          {templates.isError && <ErrorMessage error={templates.error} title="Could not load the templates" />}
          <SelectField
            label="Template"
            value={templateKey}
            onChange={(event) => chooseTemplate(event.target.value)}
            errors={errors.templateKey}
            hint={
              declared.length > 0 ? (
                <>
                  Variables:{' '}
                  {declared.map((name, index) => (
                    <span key={name}>
                      {index > 0 && ', '}
                      <code>{name}</code>
                    </span>
                  ))}
                  . <code>name</code> and <code>orgName</code> are filled in for you.
                </>
              ) : (
                'Sign-up, password and invitation emails are sent by Atrium itself, so they are not offered here.'
              )
            }
          >
            <option value="">{templates.isPending ? 'Loading templates…' : 'Choose a template'}</option>
            {templateKeys.map((key) => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </SelectField>
          {templateKey && (
            <SelectField
              label="Locale"
              value={locale}
              onChange={(event) => setLocale(event.target.value)}
              errors={errors.locale}
              hint="The translation to use; without one, English."
            >
              <option value="">Default</option>
              {locales.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </SelectField>
          )}
        </>
      ) : (
        <>
          <TextField
            label="Subject"
            value={subject}
            onChange={(event) => setSubject(event.target.value)}
            errors={errors.subject}
          />
          <TextAreaField
            label="Body"
            rows={6}
            value={body}
            onChange={(event) => setBody(event.target.value)}
            errors={errors.body}
            hint="Plain text. {{variable}} placeholders are replaced by the variables below (escaped)."
          />
        </>
      )}

      <fieldset className={`field${errorsUnder(errors, 'variables') ? ' field--invalid' : ''}`}>
        <legend className="field__label">Variables</legend>
        {variables.length === 0 ? (
          <p className="field__hint">None. Add a name and value for each placeholder the content uses.</p>
        ) : (
          <ol className="kv-rows">
            {variables.map((row, index) => (
              <li key={row.key} className="kv-rows__row">
                <TextField
                  label={`Name ${index + 1}`}
                  value={row.name}
                  onChange={(event) =>
                    setVariables((rows) =>
                      rows.map((item) =>
                        item.key === row.key ? { ...item, name: event.target.value } : item,
                      ),
                    )
                  }
                />
                <TextField
                  label={`Value ${index + 1}`}
                  value={row.value}
                  onChange={(event) =>
                    setVariables((rows) =>
                      rows.map((item) =>
                        item.key === row.key ? { ...item, value: event.target.value } : item,
                      ),
                    )
                  }
                />
                <button
                  type="button"
                  className="button button--quiet"
                  aria-label={`Remove variable ${index + 1}`}
                  onClick={() => setVariables((rows) => rows.filter((item) => item.key !== row.key))}
                >
                  Remove
                </button>
              </li>
            ))}
          </ol>
        )}
        <div>
          <button type="button" className="button button--quiet" onClick={() => addVariable()}>
            Add a variable
          </button>
        </div>
        {errorsUnder(errors, 'variables') && (
          <ul className="field__errors">
            {errorsUnder(errors, 'variables')?.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        )}
      </fieldset>

      <TextField
        label="Send at"
        type="datetime-local"
        value={scheduleAt}
        onChange={(event) => setScheduleAt(event.target.value)}
        errors={errors.scheduleAt}
        hint="Optional, in your time zone. Empty: send now."
      />
      {audience === null && (
        <SensitiveCheckbox
          checked={sensitive}
          onChange={setSensitive}
          label="Sensitive content"
          description="It carries a secret: stored encrypted and never shown in these lists."
        />
      )}

      {previewSource && (previewSource.subject || previewSource.body) && (
        <NotificationPreview
          subject={previewSource.subject}
          body={previewSource.body}
          values={Object.fromEntries(variables.map((row) => [row.name.trim(), row.value]))}
          filledByAtrium={platformFilled}
        />
      )}
      {channel === 'email' && renderInput && (
        <RenderedPreview input={renderInput} title="The email as sent" />
      )}

      {send.isError && (
        <ErrorMessage
          error={send.error}
          title="Could not send the notification"
          inlineFields={Object.keys(errors).filter(
            (field) =>
              ['channel', 'templateKey', 'locale', 'subject', 'body', 'scheduleAt'].includes(field) ||
              field === 'to' ||
              field.startsWith('to.') ||
              field === 'audience' ||
              field.startsWith('audience.') ||
              field === 'variables' ||
              field.startsWith('variables.'),
          )}
        />
      )}
      <div className="form__actions">
        <button type="submit" className="button" disabled={send.isPending || wait > 0}>
          {send.isPending
            ? 'Sending…'
            : `${scheduleAt ? 'Schedule notification' : 'Send notification'}${
                wait > 0 ? ` (wait ${formatDuration(wait)})` : ''
              }`}
        </button>
      </div>
    </Form>
  );
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function placeholderNames(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

/**
 * The message as the recipient will read it: placeholders replaced by the values typed so far, a
 * value still missing marked, and what Atrium fills in itself (the recipient's name, the
 * organisation's) labelled as such.
 */
function NotificationPreview({
  subject,
  body,
  values,
  filledByAtrium,
}: {
  subject: string;
  body: string;
  values: Record<string, string>;
  filledByAtrium: Set<string>;
}) {
  const render = (text: string): ReactNode[] => {
    const parts: ReactNode[] = [];
    let last = 0;
    for (const match of text.matchAll(PLACEHOLDER)) {
      const index = match.index ?? 0;
      parts.push(text.slice(last, index));
      const name = match[1] ?? '';
      const value = values[name];
      if (filledByAtrium.has(name)) {
        parts.push(
          <span key={index} className="preview__auto" title="Filled in by Atrium for each recipient">
            [{name}]
          </span>,
        );
      } else if (value === undefined || value.trim() === '') {
        parts.push(
          <mark key={index} className="preview__missing" data-missing={name}>
            {name} missing
          </mark>,
        );
      } else {
        parts.push(value);
      }
      last = index + match[0].length;
    }
    parts.push(text.slice(last));
    return parts;
  };
  return (
    <section className="panel preview" aria-label="Preview" data-testid="send-preview">
      <h3 className="field__label">Preview</h3>
      <p className="preview__subject" data-testid="preview-subject">
        {render(subject)}
      </p>
      <p className="preview__body" data-testid="preview-body">
        {render(body)}
      </p>
    </section>
  );
}

/**
 * Picks the member a notification goes to: searched by name or email for holders of `users.manage`
 * (who may list users), otherwise entered as a user id.
 */
function MemberPicker({
  value,
  onChange,
  errors,
}: {
  value: string;
  onChange: (userId: string) => void;
  errors: string[] | undefined;
}) {
  const session = useSession();
  const [q, setQ] = useState('');
  // The chosen member stays choosable while another search shows other people.
  const [chosenLabel, setChosenLabel] = useState('');
  const canList = session.can('users.manage');
  const users = useQuery({
    ...api.users.list.queryOptions({ q: q.trim() || undefined, status: 'active', limit: 20 }),
    enabled: canList,
  });
  const items = users.data?.items ?? [];
  if (!canList) {
    return (
      <TextField
        label="Member's user id"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        errors={errors}
        hint="Listing members needs users.manage; enter the id instead."
      />
    );
  }
  return (
    <div className="member-picker">
      <TextField
        label="Find a member"
        type="search"
        placeholder="Name or email"
        value={q}
        onChange={(event) => setQ(event.target.value)}
      />
      {users.isError && <ErrorMessage error={users.error} title="Could not search members" />}
      <SelectField
        label="Member"
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
          setChosenLabel(event.target.selectedOptions[0]?.textContent ?? '');
        }}
        errors={errors}
      >
        <option value="">{users.isPending ? 'Loading members…' : 'Choose a member'}</option>
        {value && !items.some((user) => user.id === value) && (
          <option value={value}>{chosenLabel || value}</option>
        )}
        {items.map((user) => (
          <option key={user.id} value={user.id}>
            {user.name} ({user.email})
          </option>
        ))}
      </SelectField>
    </div>
  );
}
