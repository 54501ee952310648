import { type RouterOutputs, trpc } from '../../lib/trpc.ts';

export type FileView = RouterOutputs['files']['confirmUpload'];

/**
 * Uploads one file the way the API asks: `files.upload` signs a PUT for exactly its size, the bytes go
 * straight to storage (with progress), then `files.confirmUpload` has the server type and scan them.
 */
export async function uploadFile(file: File, onProgress: (fraction: number) => void): Promise<FileView> {
  const { file: pending, upload } = await trpc.files.upload.mutate({
    name: file.name,
    contentType: file.type || 'application/octet-stream',
    byteSize: file.size,
  });
  await new Promise<void>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    for (const [name, value] of Object.entries(upload.headers)) {
      if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new Error(`The store refused the file (HTTP ${xhr.status})`));
    xhr.onerror = () => reject(new Error('The upload was interrupted; check the connection and try again'));
    xhr.send(file);
  });
  return trpc.files.confirmUpload.mutate({ id: pending.id });
}
