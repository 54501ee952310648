import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ChangeEvent, type ReactNode, useState } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { SelectField, TextAreaField, TextField } from '../../components/form-field.tsx';
import { type FieldErrors, fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';

type ContentView = RouterOutputs['content']['get'];

const INLINE = ['title', 'description', 'language', 'url', 'urls', 'externalUrl'];

/** A creator form: submits `mutation`, its field errors next to the inputs, the rest in a banner. */
function CreatorForm({
  mutation,
  className = 'form',
  label,
  inlineFields = INLINE,
  children,
  actions,
}: {
  mutation: { mutate: () => void; error: unknown; isError: boolean };
  className?: string;
  /** The form's heading id (`aria-labelledby`) or its name (`aria-label`). */
  label: { labelledBy: string } | { name: string };
  inlineFields?: readonly string[];
  children: ReactNode;
  /** The buttons, under the banner. */
  actions: ReactNode;
}) {
  return (
    <Form
      error={mutation.error}
      className={className}
      {...('labelledBy' in label ? { 'aria-labelledby': label.labelledBy } : { 'aria-label': label.name })}
      noValidate
      onSubmit={() => mutation.mutate()}
    >
      {children}
      {mutation.isError && <ErrorMessage error={mutation.error} inlineFields={inlineFields} />}
      <div className="form__actions">{actions}</div>
    </Form>
  );
}

interface Details {
  title: string;
  description: string;
  language: string;
}

/** Title, description and language: what creating and editing a piece both ask for. */
function useDetails(initial: Details) {
  const [details, setDetails] = useState(initial);
  const change = (key: keyof Details) => (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
    setDetails((current) => ({ ...current, [key]: event.target.value }));
  return { details, change };
}

function DetailFields({
  value: { details, change },
  errors,
}: {
  value: ReturnType<typeof useDetails>;
  errors: FieldErrors;
}) {
  return (
    <>
      <TextField
        label="Title"
        name="title"
        value={details.title}
        onChange={change('title')}
        errors={errors.title}
      />
      <TextAreaField
        label="Description"
        name="description"
        value={details.description}
        onChange={change('description')}
        errors={errors.description}
      />
      <LanguageField value={details.language} onChange={change('language')} errors={errors.language} />
    </>
  );
}

function LanguageField({
  value,
  onChange,
  errors,
}: {
  value: string;
  onChange: (event: ChangeEvent<HTMLInputElement>) => void;
  errors: readonly string[] | undefined;
}) {
  return <TextField label="Language" name="language" value={value} onChange={onChange} errors={errors} />;
}

/** Import one media address (YouTube, Vimeo, SoundCloud) as a draft. */
export function ImportOneForm() {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [language, setLanguage] = useState('en');
  const importOne = useMutation({
    mutationFn: () => trpc.imports.byUrl.mutate({ url, language }),
    onSuccess: () => {
      setUrl('');
      void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
    },
  });
  const errors = fieldErrorsOf(importOne.error);
  return (
    <CreatorForm
      mutation={importOne}
      className="form panel"
      label={{ labelledBy: 'import-one-title' }}
      actions={
        <button type="submit" className="button" disabled={importOne.isPending || !url.trim()}>
          {importOne.isPending ? 'Importing…' : 'Import'}
        </button>
      }
    >
      <h3 id="import-one-title">Import from a link</h3>
      <TextField
        label="Video or track address"
        name="url"
        value={url}
        placeholder="https://www.youtube.com/watch?v=…"
        onChange={(event) => setUrl(event.target.value)}
        errors={errors.url}
        hint="YouTube, Vimeo or SoundCloud. The title, picture and length come from there."
      />
      <LanguageField
        value={language}
        onChange={(e) => setLanguage(e.target.value)}
        errors={errors.language}
      />
      {importOne.data && (
        <p className="notice notice--info" role="status" data-testid="import-result">
          {importOne.data.created
            ? `Imported “${importOne.data.content.title}” as a draft.`
            : `“${importOne.data.content.title}” is already in the library.`}
        </p>
      )}
    </CreatorForm>
  );
}

/** Many addresses at once: a job in the background, with a progress bar and a result per address. */
export function BulkImportForm() {
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [batchId, setBatchId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () =>
      trpc.imports.bulk.mutate({
        urls: text
          .split(/\s+/)
          .map((line) => line.trim())
          .filter(Boolean),
      }),
    onSuccess: (batch) => setBatchId(batch.id),
  });
  const status = useQuery({
    ...api.imports.status.queryOptions({ id: batchId ?? '00000000-0000-0000-0000-000000000000' }),
    enabled: batchId !== null,
    refetchInterval: (query) => {
      const state = query.state.data?.status;
      if (state === 'completed' || state === 'failed') {
        void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
        return false;
      }
      return 1_000;
    },
  });
  const errors = fieldErrorsOf(start.error);
  const batch = status.data;
  return (
    <div className="panel">
      <CreatorForm
        mutation={start}
        label={{ labelledBy: 'bulk-title' }}
        actions={
          <button type="submit" className="button" disabled={start.isPending || !text.trim()}>
            Start import
          </button>
        }
      >
        <h3 id="bulk-title">Import many links</h3>
        <TextAreaField
          label="Addresses, one per line"
          name="urls"
          rows={5}
          value={text}
          onChange={(event) => setText(event.target.value)}
          errors={errors.urls}
          hint="Up to 500 at once. Each becomes a draft; addresses already in the library are skipped."
        />
      </CreatorForm>
      {batch && (
        <div data-testid="bulk-progress">
          <p role="status">
            {batch.status === 'completed'
              ? `Done: ${batch.done} of ${batch.total}.`
              : batch.status === 'failed'
                ? `Stopped: ${batch.error ?? 'the import failed'}`
                : `Importing… ${batch.done} of ${batch.total}`}
          </p>
          <progress className="progress" max={batch.total} value={batch.done} />
          {batch.results.length > 0 && (
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Address</th>
                    <th scope="col">Result</th>
                  </tr>
                </thead>
                <tbody>
                  {batch.results.map((line, index) => (
                    // Lines never reorder; the same address may appear twice.
                    // biome-ignore lint/suspicious/noArrayIndexKey: position is the identity of a result line
                    <tr key={index}>
                      <td className="ops-truncate">{line.url}</td>
                      <td>
                        {line.outcome === 'failed'
                          ? line.message
                          : line.outcome === 'created'
                            ? `Imported: ${line.title}`
                            : `Already there: ${line.title}`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

/** Create a piece by hand (a draft; media can be added by link). */
export function CreateContentForm({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const detailsValue = useDetails({ title: '', description: '', language: 'en' });
  const [mediaType, setMediaType] = useState<'video' | 'audio'>('video');
  const [externalUrl, setExternalUrl] = useState('');
  const create = useMutation({
    mutationFn: () =>
      trpc.content.create.mutate({
        ...detailsValue.details,
        ...(externalUrl.trim() ? { media: { mediaType, externalUrl } } : {}),
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
      onDone();
    },
  });
  const errors = fieldErrorsOf(create.error);
  return (
    <CreatorForm
      mutation={create}
      className="form panel"
      label={{ labelledBy: 'create-title' }}
      inlineFields={[...INLINE, 'media.externalUrl']}
      actions={<DoneActions busy={create.isPending} submitLabel="Create draft" onDone={onDone} />}
    >
      <h3 id="create-title">New content</h3>
      <DetailFields value={detailsValue} errors={errors} />
      <SelectField
        label="Media type"
        name="mediaType"
        value={mediaType}
        onChange={(e) => setMediaType(e.target.value as 'video' | 'audio')}
      >
        <option value="video">Video</option>
        <option value="audio">Audio</option>
      </SelectField>
      <TextField
        label="Media address (optional)"
        name="externalUrl"
        value={externalUrl}
        onChange={(e) => setExternalUrl(e.target.value)}
        errors={errors['media.externalUrl']}
        hint="A YouTube, Vimeo or SoundCloud link."
      />
    </CreatorForm>
  );
}

/** Edit title, description and language; a change made elsewhere meanwhile is reported, not overwritten. */
export function EditContentForm({ item, onDone }: { item: ContentView; onDone: () => void }) {
  const queryClient = useQueryClient();
  const detailsValue = useDetails({
    title: item.title,
    description: item.description,
    language: item.language,
  });
  const save = useMutation({
    mutationFn: () =>
      trpc.content.update.mutate({ id: item.id, expectedVersion: item.version, ...detailsValue.details }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
      onDone();
    },
  });
  return (
    <CreatorForm
      mutation={save}
      label={{ name: `Edit ${item.title}` }}
      actions={<DoneActions busy={save.isPending} submitLabel="Save" onDone={onDone} />}
    >
      <DetailFields value={detailsValue} errors={fieldErrorsOf(save.error)} />
    </CreatorForm>
  );
}

/** Submit, and a way back that leaves the piece as it was. */
function DoneActions({
  busy,
  submitLabel,
  onDone,
}: {
  busy: boolean;
  submitLabel: string;
  onDone: () => void;
}) {
  return (
    <>
      <button type="submit" className="button" disabled={busy}>
        {submitLabel}
      </button>
      <button type="button" className="button button--quiet" onClick={onDone}>
        Cancel
      </button>
    </>
  );
}
