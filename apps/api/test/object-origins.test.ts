import { describe, expect, it } from 'vitest';
import { objectOrigins, WEB_APP_CSP, webAppCsp } from '../src/transport.ts';

const base = { S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: false } as const;

/** The web app's CSP lets images, media and uploads reach the object store, and nothing else more. */
describe('the web app CSP and the object store', () => {
  it('names the origin signed URLs come from, per adapter', () => {
    expect(objectOrigins({ ...base, S3_BUCKET: 'media' })).toEqual([
      'https://media.s3.eu-west-1.amazonaws.com',
    ]);
    expect(
      objectOrigins({
        ...base,
        S3_BUCKET: 'media',
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_FORCE_PATH_STYLE: true,
      }),
    ).toEqual(['http://127.0.0.1:9000']);
    expect(objectOrigins({ ...base, S3_BUCKET: 'media', S3_ENDPOINT: 'https://r2.example.com' })).toEqual([
      'https://media.r2.example.com',
    ]);
    expect(
      objectOrigins({ ...base, OBJECT_STORAGE_PUBLIC_URL: 'https://files.example.com/objects' }),
    ).toEqual(['https://files.example.com']);
    expect(objectOrigins(base)).toEqual([]);
  });

  it('adds them to img-src, media-src and connect-src only', () => {
    expect(webAppCsp([])).toBe(WEB_APP_CSP);
    const csp = webAppCsp(['https://media.s3.eu-west-1.amazonaws.com']);
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d]));
    for (const name of ['img-src', 'media-src', 'connect-src'])
      expect(directives[name]).toContain('https://media.s3.eu-west-1.amazonaws.com');
    expect(directives['script-src']).toBe("script-src 'self'");
    expect(directives['default-src']).toBe("default-src 'self'");
  });
});
