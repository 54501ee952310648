import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import {
  contentDisposition,
  createObjectKey,
  dispositionFor,
  isObjectKey,
  objectKeyOrgId,
  safeObjectName,
} from '../../src/platform/object-storage.ts';

const ORG = '1f2e3d4c-5b6a-4798-8a1b-2c3d4e5f6a7b';

describe('object keys', () => {
  it('are {orgId}/{random uuid}/{safe name}, different every time', () => {
    const a = createObjectKey({ orgId: ORG, fileName: 'photo.png' });
    const b = createObjectKey({ orgId: ORG, fileName: 'photo.png' });
    expect(a).toMatch(
      new RegExp(`^${ORG}/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/photo\\.png$`),
    );
    expect(a).not.toBe(b);
    expect(isObjectKey(a)).toBe(true);
    expect(objectKeyOrgId(a)).toBe(ORG);
  });

  it('never take a path, a hidden name or header characters from the client', () => {
    expect(safeObjectName('../../etc/passwd')).toBe('passwd');
    expect(safeObjectName('C:\\Users\\ada\\Résumé (final).PDF')).toBe('Resume-final-.PDF');
    expect(safeObjectName('.htaccess')).toBe('htaccess');
    expect(safeObjectName('a\r\nb\u0000c.txt')).toBe('a-b-c.txt');
    expect(safeObjectName('日本語.png')).toBe('png');
    expect(safeObjectName('')).toBe('file');
    expect(safeObjectName('..')).toBe('file');
    const long = safeObjectName(`${'x'.repeat(300)}.jpeg`);
    expect(long).toHaveLength(100);
    expect(long.endsWith('.jpeg')).toBe(true);
    for (const name of ['../../etc/passwd', '.htaccess', '..', 'a/b', '%2e%2e']) {
      expect(isObjectKey(createObjectKey({ orgId: ORG, fileName: name }))).toBe(true);
    }
  });

  it('belong to an organisation id that is a uuid', () => {
    expect(() => createObjectKey({ orgId: '../other-org' })).toThrow(ValidationError);
    expect(() => createObjectKey({ orgId: '' })).toThrow(ValidationError);
    expect(() => objectKeyOrgId('../x')).toThrow(ValidationError);
  });
});

describe('Content-Disposition', () => {
  it('is inline only for raster images, audio and video', () => {
    expect(dispositionFor('inline', 'image/png')).toBe('inline');
    expect(dispositionFor('inline', 'video/mp4; codecs="avc1"')).toBe('inline');
    expect(dispositionFor('inline', 'audio/mpeg')).toBe('inline');
    for (const type of [
      'image/svg+xml',
      'text/html',
      'application/pdf',
      'text/plain',
      'application/xml',
      undefined,
    ]) {
      expect(dispositionFor('inline', type), String(type)).toBe('attachment');
    }
    expect(dispositionFor('attachment', 'image/png')).toBe('attachment');
  });

  it('carries any name safely: ASCII fallback plus RFC 5987 filename*', () => {
    expect(contentDisposition('attachment')).toBe('attachment');
    expect(contentDisposition('attachment', 'report.pdf')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(contentDisposition('inline', '写真 (1).jpg')).toBe(
      `inline; filename="__ (1).jpg"; filename*=UTF-8''%E5%86%99%E7%9C%9F%20%281%29.jpg`,
    );
    expect(contentDisposition('attachment', 'a"b%c;d.txt')).toBe(
      `attachment; filename="a_b_c;d.txt"; filename*=UTF-8''a%22b%25c%3Bd.txt`,
    );
    // A backslash separates paths on Windows: only the last component is a name.
    expect(contentDisposition('attachment', 'C:\\x\\y.txt')).toBe(
      `attachment; filename="y.txt"; filename*=UTF-8''y.txt`,
    );
    expect(contentDisposition('attachment', '../../secret\r\nSet-Cookie: x=1')).toBe(
      `attachment; filename="secretSet-Cookie: x=1"; filename*=UTF-8''secretSet-Cookie%3A%20x%3D1`,
    );
    // A lone surrogate cannot be percent-encoded as UTF-8; it becomes U+FFFD instead of throwing.
    expect(contentDisposition('attachment', 'a\ud800.txt')).toBe(
      `attachment; filename="a_.txt"; filename*=UTF-8''a%EF%BF%BD.txt`,
    );
  });
});
