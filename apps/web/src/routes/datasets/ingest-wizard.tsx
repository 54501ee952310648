import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextAreaField, TextField } from '../../components/form-field.tsx';
import { describeError, fieldErrorsOf } from '../../lib/errors.ts';
import { plural } from '../../lib/plural.ts';
import { useRealtimeEvents } from '../../lib/realtime.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';

type Dataset = RouterOutputs['ingest']['createDataset'];

interface UploadState {
  key: string;
  name: string;
  size: number;
  contentType: string;
  assetId?: string;
  phase: 'hashing' | 'waiting' | 'uploading' | 'done' | 'failed';
  /** 0–1 while uploading. */
  progress: number;
  error?: string;
}

interface ItemError {
  index: number;
  title: string;
  errors: Array<{ path: string; message: string }>;
}

/** Files requested per `ingest.requestUploads` call, and uploads running at once. */
const BATCH = 100;
const PARALLEL_UPLOADS = 3;

async function sha256Hex(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** PUTs a file to its signed URL, reporting progress (fetch cannot report upload progress; XHR can). */
function put(
  upload: { url: string; method: 'PUT'; headers: Record<string, string> },
  file: File,
  onProgress: (fraction: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    for (const [name, value] of Object.entries(upload.headers)) {
      // The browser sets Content-Length itself and refuses to be told.
      if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else {
        let message = `The store refused the file (HTTP ${xhr.status})`;
        try {
          const body = JSON.parse(xhr.responseText) as { error?: { message?: string } };
          if (body.error?.message) message = body.error.message;
        } catch {
          // Not JSON (S3 answers XML): the status says enough.
        }
        reject(new Error(message));
      }
    };
    xhr.onerror = () => reject(new Error('The upload was interrupted; check the connection and try again'));
    xhr.send(file);
  });
}

function kindOf(contentType: string): 'image' | 'video' | 'audio' | 'document' {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('video/')) return 'video';
  if (contentType.startsWith('audio/')) return 'audio';
  return 'document';
}

/** A first manifest from the uploads: one item per video and audio, the images as a pair and a gallery. */
function suggestManifest(uploads: UploadState[]): string {
  const done = uploads.filter((upload) => upload.phase === 'done' && upload.assetId);
  const images = done.filter((upload) => kindOf(upload.contentType) === 'image');
  const items: unknown[] = [];
  const [first, second] = images;
  if (first && second)
    items.push({
      type: 'image_pair_compare',
      title: `${first.name} and ${second.name}`,
      payload: {
        beforeAssetId: first.assetId,
        afterAssetId: second.assetId,
        beforeLabel: 'Before',
        afterLabel: 'After',
      },
    });
  if (images.length >= 2)
    items.push({
      type: 'image_ranked_gallery',
      title: 'Gallery',
      payload: {
        images: images.map((image, index) => ({
          assetId: image.assetId,
          rank: index + 1,
          caption: image.name,
        })),
      },
    });
  for (const upload of done) {
    const kind = kindOf(upload.contentType);
    if (kind === 'video')
      items.push({
        type: 'video_with_timeline',
        title: upload.name,
        payload: { videoAssetId: upload.assetId, timeline: [{ atSeconds: 0, label: 'Start' }] },
      });
    if (kind === 'audio')
      items.push({
        type: 'audio_with_captions',
        title: upload.name,
        payload: {
          audioAssetId: upload.assetId,
          captions: [{ startSeconds: 0, endSeconds: 2, text: 'Caption' }],
        },
      });
  }
  return JSON.stringify({ items }, null, 2);
}

/**
 * The ingest wizard (SPEC §5, §11): 1. describe the dataset (a draft), 2. upload its files straight to
 * storage with per-file progress, 3. describe its items in a manifest and publish — every problem is
 * listed per item, and nothing is published until there are none.
 */
export function IngestWizard() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const draftId = params.get('draft');
  const existing = useQuery({
    ...api.datasets.get.queryOptions({ id: draftId ?? '' }),
    enabled: Boolean(draftId),
  });
  const [created, setCreated] = useState<Dataset | null>(null);
  const dataset = created ?? (existing.data?.status === 'draft' ? existing.data : null);

  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [uploads, setUploads] = useState<UploadState[]>([]);
  const [manifest, setManifest] = useState('');
  const [manifestProblem, setManifestProblem] = useState<string | null>(null);

  const create = useMutation({
    mutationFn: () =>
      trpc.ingest.createDataset.mutate({
        name,
        description,
        tags: tags
          .split(',')
          .map((tag) => tag.trim())
          .filter(Boolean),
      }),
    onSuccess: (value) => setCreated(value),
  });

  const patch = (key: string, change: Partial<UploadState>) =>
    setUploads((current) =>
      current.map((upload) => (upload.key === key ? { ...upload, ...change } : upload)),
    );

  async function uploadFiles(files: File[]) {
    if (!dataset) return;
    const entries = files.map((file, index) => ({
      file,
      state: {
        key: `${Date.now()}-${index}-${file.name}`,
        name: file.name,
        size: file.size,
        contentType: file.type || 'application/octet-stream',
        phase: 'hashing' as const,
        progress: 0,
      },
    }));
    setUploads((current) => [...current, ...entries.map((entry) => entry.state)]);
    for (let offset = 0; offset < entries.length; offset += BATCH) {
      const batch = entries.slice(offset, offset + BATCH);
      const hashes = await Promise.all(batch.map((entry) => sha256Hex(entry.file)));
      for (const entry of batch) patch(entry.state.key, { phase: 'waiting' });
      let signed: Awaited<ReturnType<typeof trpc.ingest.requestUploads.mutate>>;
      try {
        signed = await trpc.ingest.requestUploads.mutate({
          datasetId: dataset.id,
          files: batch.map((entry, index) => ({
            name: entry.file.name,
            contentType: entry.state.contentType,
            byteSize: entry.file.size,
            sha256: hashes[index] ?? '',
          })),
        });
      } catch (error) {
        for (const entry of batch)
          patch(entry.state.key, { phase: 'failed', error: describeError(error).message });
        continue;
      }
      const queue = batch.map((entry, index) => ({ entry, signed: signed.uploads[index] }));
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const { entry, signed: one } = next;
          if (!one) continue;
          patch(entry.state.key, { phase: 'uploading', assetId: one.assetId });
          try {
            await put(one.upload, entry.file, (progress) => patch(entry.state.key, { progress }));
            patch(entry.state.key, { phase: 'done', progress: 1 });
          } catch (error) {
            patch(entry.state.key, { phase: 'failed', error: (error as Error).message });
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_UPLOADS }, worker));
    }
  }

  const publish = useMutation({
    mutationFn: (parsed: { items: unknown[] }) =>
      trpc.ingest.publish.mutate({ datasetId: dataset?.id ?? '', manifest: parsed as never }),
    onSuccess: async (value) => {
      await queryClient.invalidateQueries();
      void navigate(`/datasets/${value.id}`);
    },
  });
  const itemErrors = (describeError(publish.error).details?.items ?? []) as ItemError[];
  // Big manifests: the API reports how many files it has checked (to this user only).
  const [checked, setChecked] = useState<{ done: number; total: number } | null>(null);
  useRealtimeEvents((event) => {
    if (event.type !== 'datasets.publishProgress') return;
    const progress = event.payload as { datasetId?: string; phase?: string; done?: number; total?: number };
    if (progress.datasetId !== dataset?.id || progress.phase !== 'checking') return;
    setChecked({ done: progress.done ?? 0, total: progress.total ?? 0 });
  });

  const onPublish = (event: FormEvent) => {
    event.preventDefault();
    setManifestProblem(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifest);
    } catch (error) {
      setManifestProblem(`The manifest is not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { items?: unknown }).items)) {
      setManifestProblem('The manifest is an object with an "items" list.');
      return;
    }
    setChecked(null);
    publish.mutate(parsed as { items: unknown[] });
  };

  const busyUploading = uploads.some((upload) => ['hashing', 'waiting', 'uploading'].includes(upload.phase));

  return (
    <section className="page" aria-labelledby="page-title">
      <p>
        <Link to="/datasets">← Datasets</Link>
      </p>
      <header className="page__header">
        <div>
          <h1 id="page-title">New dataset</h1>
          <p className="muted">Describe it, upload its files, then list its items and publish.</p>
        </div>
      </header>

      <section className="panel" aria-labelledby="step-1">
        <h2 id="step-1">1. Describe the dataset</h2>
        {dataset ? (
          <p data-testid="draft-created">
            Draft <strong>{dataset.name}</strong> is ready. It stays a draft, visible to publishers only,
            until you publish it; unpublished drafts are deleted after a few days.
          </p>
        ) : (
          <Form
            error={create.error}
            className="form"
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate();
            }}
          >
            <TextField
              label="Name"
              name="name"
              required
              value={name}
              onChange={(event) => setName(event.target.value)}
              errors={fieldErrorsOf(create.error).name}
            />
            <TextAreaField
              label="Description"
              name="description"
              value={description}
              onChange={(event) => setDescription(event.target.value)}
              errors={fieldErrorsOf(create.error).description}
            />
            <TextField
              label="Tags"
              name="tags"
              hint="Separated by commas"
              value={tags}
              onChange={(event) => setTags(event.target.value)}
            />
            {create.isError && (
              <ErrorMessage
                error={create.error}
                title="Could not create the dataset"
                inlineFields={['name', 'description']}
              />
            )}
            <div className="form__actions">
              <button type="submit" className="button" disabled={create.isPending || !name.trim()}>
                {create.isPending ? 'Creating…' : 'Create draft'}
              </button>
            </div>
          </Form>
        )}
      </section>

      {dataset && (
        <section className="panel" aria-labelledby="step-2">
          <h2 id="step-2">2. Upload files</h2>
          <p className="muted">
            Images, video and audio. Each file goes straight to storage and is checked against its
            fingerprint.
          </p>
          <label className="file-picker">
            <span>Choose files</span>
            <input
              type="file"
              multiple
              data-testid="ingest-files"
              onChange={(event) => {
                const files = [...(event.target.files ?? [])];
                event.target.value = '';
                void uploadFiles(files);
              }}
            />
          </label>
          {uploads.length > 0 && (
            <ul className="upload-list" data-testid="upload-list">
              {uploads.map((upload) => (
                <li key={upload.key} className="upload-list__item" data-phase={upload.phase}>
                  <span className="upload-list__name">{upload.name}</span>
                  <progress
                    max={1}
                    value={upload.phase === 'done' ? 1 : upload.progress}
                    aria-label={`Upload of ${upload.name}`}
                  />
                  <span className="upload-list__state">
                    {upload.phase === 'hashing' && 'Fingerprinting…'}
                    {upload.phase === 'waiting' && 'Waiting…'}
                    {upload.phase === 'uploading' && `${Math.round(upload.progress * 100)}%`}
                    {upload.phase === 'done' && 'Uploaded'}
                    {upload.phase === 'failed' && <span className="error-text">{upload.error}</span>}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      {dataset && (
        <section className="panel" aria-labelledby="step-3">
          <h2 id="step-3">3. Items and publish</h2>
          <p className="muted">
            Each item has a <code>type</code> (<code>image_pair_compare</code>,{' '}
            <code>image_ranked_gallery</code>, <code>video_with_timeline</code> or{' '}
            <code>audio_with_captions</code>), a <code>title</code> and a <code>payload</code> naming the
            uploaded files by id. Start from the suggestion and edit it.
          </p>
          <Form error={publish.error} className="form" noValidate onSubmit={onPublish}>
            <div className="form__actions">
              <button
                type="button"
                className="button button--quiet"
                disabled={busyUploading || !uploads.some((upload) => upload.phase === 'done')}
                onClick={() => setManifest(suggestManifest(uploads))}
                data-testid="suggest-manifest"
              >
                Suggest items from the uploads
              </button>
            </div>
            <TextAreaField
              label="Manifest (JSON)"
              name="manifest"
              rows={16}
              value={manifest}
              onChange={(event) => setManifest(event.target.value)}
              spellCheck={false}
            />
            {manifestProblem && (
              <p className="error-text" role="alert">
                {manifestProblem}
              </p>
            )}
            {publish.isError && (
              <ErrorMessage error={publish.error} title="Nothing was published" inlineFields={[]} />
            )}
            {itemErrors.length > 0 && (
              <ol className="item-errors" data-testid="item-errors" aria-label="Problems per item">
                {itemErrors.map((item) => (
                  <li key={item.index}>
                    <strong>
                      Item {item.index + 1}
                      {item.title ? ` “${item.title}”` : ''}
                    </strong>
                    <ul>
                      {item.errors.map((problem) => (
                        <li key={`${problem.path}:${problem.message}`}>
                          <code>{problem.path}</code>: {problem.message}
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ol>
            )}
            {publish.isPending && checked && (
              <p aria-live="polite">
                Checked {checked.done.toLocaleString()} of {plural(checked.total, 'file')}{' '}
                <progress max={checked.total} value={checked.done} aria-label="Files checked" />
              </p>
            )}
            <div className="form__actions">
              <button
                type="submit"
                className="button"
                disabled={publish.isPending || busyUploading || !manifest.trim()}
              >
                {publish.isPending ? 'Checking every file and publishing…' : 'Publish'}
              </button>
            </div>
          </Form>
        </section>
      )}
    </section>
  );
}
