import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalObjectStorage,
  type LocalObjectStorage,
} from '../../src/platform/local-object-storage.ts';
import { createObjectKey } from '../../src/platform/object-storage.ts';
import { sniffBytes, sniffContentType } from '../../src/platform/sniff-content-type.ts';

const ORG = '3e1f0a9b-7c4d-4e2a-b5f6-8d9c0e1f2a3b';

/** A 64-bit little-endian ELF header (x86-64 executable), padded: what `file` calls an ELF binary. */
function elfExecutable(): Uint8Array {
  const bytes = new Uint8Array(4096);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]);
  bytes.set([0x02, 0x00, 0x3e, 0x00, 0x01, 0x00, 0x00, 0x00], 16); // e_type EXEC, e_machine x86-64, e_version 1
  return bytes;
}

/** A DOS stub with a PE header offset, as every Windows .exe starts. */
function peExecutable(): Uint8Array {
  const bytes = new Uint8Array(1024);
  bytes.set([0x4d, 0x5a]); // MZ
  bytes.set([0x80, 0x00, 0x00, 0x00], 0x3c); // e_lfanew → 0x80
  bytes.set([0x50, 0x45, 0x00, 0x00, 0x4c, 0x01], 0x80); // PE\0\0, machine i386
  return bytes;
}

const PNG = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
  0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
]);

describe('sniffContentType', () => {
  let root: string;
  let storage: LocalObjectStorage;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atrium-sniff-'));
    storage = createLocalObjectStorage({
      root,
      signingKey: 'sniff-test-signing-key-0123456789abcdef',
      baseUrl: 'http://127.0.0.1:1/objects',
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const stored = async (fileName: string, bytes: Uint8Array, declared: string) => {
    const key = createObjectKey({ orgId: ORG, fileName });
    await storage.put(key, bytes, { contentType: declared });
    return key;
  };

  it('types an executable named .png and declared image/png by its bytes', async () => {
    const elf = await stored('holiday.png', elfExecutable(), 'image/png');
    expect(await sniffContentType(storage, elf)).toEqual({
      contentType: 'application/x-elf',
      by: 'signature',
      extension: 'elf',
    });
    const pe = await stored('cat.png', peExecutable(), 'image/png');
    expect(await sniffContentType(storage, pe)).toMatchObject({
      contentType: 'application/x-msdownload',
      by: 'signature',
      extension: 'exe',
    });
  });

  it('recognises a real PNG whatever it was called', async () => {
    const key = await stored('notes.txt', PNG, 'text/plain');
    expect(await sniffContentType(storage, key)).toEqual({
      contentType: 'image/png',
      by: 'signature',
      extension: 'png',
    });
  });

  it('calls UTF-8 text text/plain, HTML and SVG included, and never a type a browser executes', async () => {
    for (const text of [
      'name,score\nAda,3\nBob,5\n',
      '<!doctype html><script>alert(document.cookie)</script>',
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
      `Grüße — 你好 ${'é'.repeat(3000)}`, // cut in the middle of a character at 4,100 bytes
    ]) {
      const key = await stored('page.html', new TextEncoder().encode(text), 'text/html');
      expect(await sniffContentType(storage, key), text.slice(0, 30)).toEqual({
        contentType: 'text/plain; charset=utf-8',
        by: 'text',
      });
    }
  });

  it('falls back to application/octet-stream for unrecognised binary, invalid UTF-8 and empty files', async () => {
    expect(await sniffBytes(Uint8Array.from([0x00, 0x01, 0x02, 0xff, 0x10]))).toEqual({
      contentType: 'application/octet-stream',
      by: 'unknown',
    });
    expect(await sniffBytes(Uint8Array.from([0x61, 0x62, 0xc3, 0x28]))).toMatchObject({
      contentType: 'application/octet-stream',
    });
    const empty = await stored('empty.png', new Uint8Array(0), 'image/png');
    expect(await sniffContentType(storage, empty)).toMatchObject({ contentType: 'application/octet-stream' });
  });

  it('returns null when there is no object', async () => {
    expect(await sniffContentType(storage, createObjectKey({ orgId: ORG }))).toBeNull();
  });
});
