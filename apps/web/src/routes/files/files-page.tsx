import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { describeError } from '../../lib/errors.ts';
import { plural } from '../../lib/plural.ts';
import { formatDateTimeWithZone } from '../../lib/time-format.ts';
import { api, trpc } from '../../lib/trpc.ts';
import { uploadFile } from './upload.ts';

function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

const SCAN_LABELS: Record<string, string> = {
  pending: 'not scanned yet',
  clean: 'clean',
  infected: 'infected — never served',
  error: 'scan failed — not served',
};

/** One file's links: an expiring download link, and public links that can be revoked. */
function FileLinks({ fileId }: { fileId: string }) {
  const queryClient = useQueryClient();
  const links = useQuery(api.files.links.queryOptions({ fileId }));
  const [made, setMade] = useState<{ label: string; url: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.files.links.queryKey({ fileId }) });
  const expiring = useMutation({
    mutationFn: () => trpc.files.createLink.mutate({ fileId, expiresIn: 3600 }),
    onSuccess: (link) =>
      setMade({
        label: `Download link, valid until ${formatDateTimeWithZone(link.expiresAt)}`,
        url: link.url,
      }),
  });
  const publicLink = useMutation({
    mutationFn: () => trpc.files.createPublicLink.mutate({ fileId }),
    onSuccess: async (link) => {
      setMade({
        label: 'Public link (works until you revoke it; shown once)',
        url: `${window.location.origin}${link.path}`,
      });
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (linkId: string) => trpc.files.revokeLink.mutate({ linkId }),
    onSuccess: refresh,
  });
  return (
    <div className="file-links">
      <div className="form__actions">
        <button
          type="button"
          className="button button--quiet"
          onClick={() => expiring.mutate()}
          disabled={expiring.isPending}
        >
          Download link (1 hour)
        </button>
        <button
          type="button"
          className="button button--quiet"
          onClick={() => publicLink.mutate()}
          disabled={publicLink.isPending}
        >
          New public link
        </button>
      </div>
      {expiring.isError && <ErrorMessage error={expiring.error} title="Could not make a download link" />}
      {publicLink.isError && <ErrorMessage error={publicLink.error} title="Could not make a public link" />}
      {revoke.isError && <ErrorMessage error={revoke.error} title="Could not revoke the link" />}
      {made && (
        <p>
          {made.label}:{' '}
          <a href={made.url} target="_blank" rel="noreferrer noopener" data-testid="made-link">
            {made.url.length > 80 ? `${made.url.slice(0, 80)}…` : made.url}
          </a>
        </p>
      )}
      {links.data && links.data.length > 0 && (
        <ul className="chip-list">
          {links.data.map((link) => (
            <li key={link.id}>
              Public link of {link.createdAt.toLocaleString()} — opened {plural(link.accessCount, 'time')}{' '}
              {link.revokedAt ? (
                <span className="tag">revoked</span>
              ) : (
                <button type="button" className="button button--quiet" onClick={() => revoke.mutate(link.id)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Files: your uploads, typed by their content and scanned, with links to share them. */
export function FilesPage() {
  const queryClient = useQueryClient();
  const pages = useCursorPages('files');
  const list = useQuery({
    ...api.files.list.queryOptions({ cursor: pages.cursor, limit: 20 }),
    placeholderData: keepPreviousData,
  });
  const [progress, setProgress] = useState<{ name: string; fraction: number; error?: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => trpc.files.delete.mutate({ id }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: api.files.list.queryKey() }),
  });

  async function onFiles(files: File[]) {
    for (const file of files) {
      setProgress({ name: file.name, fraction: 0 });
      try {
        await uploadFile(file, (fraction) => setProgress({ name: file.name, fraction }));
        setProgress(null);
      } catch (error) {
        setProgress({ name: file.name, fraction: 0, error: describeError(error).message });
      }
      await queryClient.invalidateQueries({ queryKey: api.files.list.queryKey() });
    }
  }

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page__header">
        <div>
          <h1 id="page-title">Files</h1>
          <p className="muted">
            Your uploads. Each file is identified by its content and checked for viruses before anyone can
            open it.
          </p>
        </div>
      </header>
      <section className="panel">
        <label className="file-picker">
          <span>Upload files</span>
          <input
            type="file"
            multiple
            data-testid="files-input"
            onChange={(event) => {
              const files = [...(event.target.files ?? [])];
              event.target.value = '';
              void onFiles(files);
            }}
          />
        </label>
        {progress && (
          <p>
            {progress.name}:{' '}
            <progress max={1} value={progress.fraction} aria-label={`Upload of ${progress.name}`} />{' '}
            {progress.error ? (
              <span className="error-text">{progress.error}</span>
            ) : (
              `${Math.round(progress.fraction * 100)}%`
            )}
          </p>
        )}
      </section>
      {remove.isError && <ErrorMessage error={remove.error} title="Could not delete the file" />}
      <ListPanel
        query={list}
        errorTitle="Could not load your files"
        isEmpty={(data) => data.items.length === 0 && pages.page === 1}
        empty={<p className="muted">No files yet.</p>}
        emptyTestId="files-empty"
        pager={{ label: 'files', pages }}
      >
        {(data) => (
          <DataTable
            label="Files"
            head={
              <>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Size</th>
                <th scope="col">Scan</th>
                <th scope="col">Actions</th>
              </>
            }
          >
            {data.items.map((file) => (
              <tr key={file.id} data-testid="file-row">
                <th scope="row">
                  {file.name}
                  {open === file.id && file.scanStatus === 'clean' && <FileLinks fileId={file.id} />}
                </th>
                <td>
                  <code>{file.contentType ?? 'not uploaded'}</code>
                </td>
                <td>{formatSize(file.byteSize)}</td>
                <td>
                  <span className="tag">{SCAN_LABELS[file.scanStatus] ?? file.scanStatus}</span>
                </td>
                <td className="table__nowrap">
                  {file.scanStatus === 'clean' && (
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() => setOpen(open === file.id ? null : file.id)}
                    >
                      {open === file.id ? 'Hide links' : 'Links'}
                    </button>
                  )}
                  <button
                    type="button"
                    className="button button--quiet"
                    onClick={() => remove.mutate(file.id)}
                    disabled={remove.isPending}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
    </section>
  );
}
