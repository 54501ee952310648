import { UnprocessableError, ValidationError } from '../errors.ts';

/** The reason an import URL is refused: no provider serves it, or it is not one we would ever read. */
export const UNSUPPORTED_URL = 'UNSUPPORTED_URL';
export const MAX_IMPORT_URL_LENGTH = 2_048;

export function unsupportedUrl(message: string): UnprocessableError {
  return new UnprocessableError(message, { reason: UNSUPPORTED_URL });
}

/**
 * What a user typed, as a URL a provider may look at. Not a URL at all, too long, or holding control
 * characters: 400 (bad input). A URL no provider could serve — another scheme, or credentials in it —
 * is refused like any unknown address: 422 with reason UNSUPPORTED_URL.
 */
export function parseImportUrl(input: string): URL {
  const text = input.trim();
  if (text.length === 0 || text.length > MAX_IMPORT_URL_LENGTH) {
    throw new ValidationError('Enter a media address of at most 2048 characters', {
      url: [`must be 1 to ${MAX_IMPORT_URL_LENGTH} characters`],
    });
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new ValidationError('The address contains control characters', {
      url: ['contains control characters'],
    });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError('Enter a full address, starting with https://', {
      url: ['is not a valid URL'],
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw unsupportedUrl('Only http(s) addresses can be imported');
  }
  if (url.username || url.password) {
    throw unsupportedUrl('Addresses with a user name or password cannot be imported');
  }
  return url;
}

/** The host name in lower case, without a trailing dot: what providers compare against. */
export function bareHost(url: URL): string {
  return url.hostname.toLowerCase().replace(/\.$/, '');
}
