import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { SelectField, TextAreaField, TextField } from '../../components/form-field.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';

type ContentView = RouterOutputs['content']['get'];

const INLINE = ['title', 'description', 'language', 'url', 'urls', 'externalUrl'];

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
    <form
      className="form panel"
      aria-labelledby="import-one-title"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        importOne.mutate();
      }}
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
      <TextField
        label="Language"
        name="language"
        value={language}
        onChange={(e) => setLanguage(e.target.value)}
        errors={errors.language}
      />
      {importOne.isError && <ErrorMessage error={importOne.error} inlineFields={INLINE} />}
      {importOne.data && (
        <p className="notice notice--info" role="status" data-testid="import-result">
          {importOne.data.created
            ? `Imported “${importOne.data.content.title}” as a draft.`
            : `“${importOne.data.content.title}” is already in the library.`}
        </p>
      )}
      <div className="form__actions">
        <button type="submit" className="button" disabled={importOne.isPending || !url.trim()}>
          {importOne.isPending ? 'Importing…' : 'Import'}
        </button>
      </div>
    </form>
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
      <form
        className="form"
        aria-labelledby="bulk-title"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          start.mutate();
        }}
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
        {start.isError && <ErrorMessage error={start.error} inlineFields={INLINE} />}
        <div className="form__actions">
          <button type="submit" className="button" disabled={start.isPending || !text.trim()}>
            Start import
          </button>
        </div>
      </form>
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
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [language, setLanguage] = useState('en');
  const [mediaType, setMediaType] = useState<'video' | 'audio'>('video');
  const [externalUrl, setExternalUrl] = useState('');
  const create = useMutation({
    mutationFn: () =>
      trpc.content.create.mutate({
        title,
        description,
        language,
        ...(externalUrl.trim() ? { media: { mediaType, externalUrl } } : {}),
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
      onDone();
    },
  });
  const errors = fieldErrorsOf(create.error);
  return (
    <form
      className="form panel"
      aria-labelledby="create-title"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate();
      }}
    >
      <h3 id="create-title">New content</h3>
      <TextField
        label="Title"
        name="title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        errors={errors.title}
      />
      <TextAreaField
        label="Description"
        name="description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        errors={errors.description}
      />
      <TextField
        label="Language"
        name="language"
        value={language}
        onChange={(e) => setLanguage(e.target.value)}
        errors={errors.language}
      />
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
      {create.isError && (
        <ErrorMessage error={create.error} inlineFields={[...INLINE, 'media.externalUrl']} />
      )}
      <div className="form__actions">
        <button type="submit" className="button" disabled={create.isPending}>
          Create draft
        </button>
        <button type="button" className="button button--quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Edit title, description and language; a change made elsewhere meanwhile is reported, not overwritten. */
export function EditContentForm({ item, onDone }: { item: ContentView; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [title, setTitle] = useState(item.title);
  const [description, setDescription] = useState(item.description);
  const [language, setLanguage] = useState(item.language);
  const save = useMutation({
    mutationFn: () =>
      trpc.content.update.mutate({
        id: item.id,
        expectedVersion: item.version,
        title,
        description,
        language,
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: api.creators.pathKey() });
      onDone();
    },
  });
  const errors = fieldErrorsOf(save.error);
  return (
    <form
      className="form"
      aria-label={`Edit ${item.title}`}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <TextField
        label="Title"
        name="title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        errors={errors.title}
      />
      <TextAreaField
        label="Description"
        name="description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        errors={errors.description}
      />
      <TextField
        label="Language"
        name="language"
        value={language}
        onChange={(e) => setLanguage(e.target.value)}
        errors={errors.language}
      />
      {save.isError && <ErrorMessage error={save.error} inlineFields={INLINE} />}
      <div className="form__actions">
        <button type="submit" className="button" disabled={save.isPending}>
          Save
        </button>
        <button type="button" className="button button--quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
