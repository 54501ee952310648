import type { z } from 'zod';
import { ExternalServiceError, UnprocessableError } from '../errors.ts';
import type { ProviderConfig } from './media-provider.ts';

/** The reason an import fails when the provider says the media is not there (or not embeddable). */
export const MEDIA_NOT_FOUND = 'MEDIA_NOT_FOUND';

export function mediaNotFound(provider: string, detail = 'does not exist or is private'): UnprocessableError {
  return new UnprocessableError(`The ${provider} media at this address ${detail}`, {
    reason: MEDIA_NOT_FOUND,
    provider,
  });
}

export interface ProviderResponse {
  status: number;
  /** The parsed JSON body of a 2xx answer; undefined otherwise. */
  body: unknown;
}

/**
 * GETs one of a provider's metadata endpoints (from configuration — never a URL a user gave) and
 * parses its JSON. Bounded: the whole exchange must finish within `timeoutMs` and the body must fit
 * `maxResponseBytes`; redirects are not followed (a metadata endpoint has no reason to send us
 * elsewhere). Whatever goes wrong on the way — refused connection, timeout, oversize or unreadable
 * body, a 5xx — is the provider's failure: ExternalServiceError('BAD_GATEWAY', provider). Other
 * statuses are returned for the provider to interpret (404: no such media).
 */
export async function fetchProviderJson(
  provider: string,
  url: URL,
  config: Pick<ProviderConfig, 'timeoutMs' | 'maxResponseBytes'>,
): Promise<ProviderResponse> {
  const fail = (message: string, cause?: unknown) =>
    new ExternalServiceError('BAD_GATEWAY', provider, `${provider} ${message}`, cause);
  const signal = AbortSignal.timeout(config.timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      signal,
      redirect: 'manual',
      headers: { accept: 'application/json', 'user-agent': 'Atrium media import' },
    });
  } catch (error) {
    throw fail(
      signal.aborted ? `did not answer within ${config.timeoutMs} ms` : 'could not be reached',
      error,
    );
  }
  if (response.status >= 300) {
    await response.body?.cancel().catch(() => {});
    if (response.status >= 500 || response.status < 400) throw fail(`answered HTTP ${response.status}`);
    return { status: response.status, body: undefined };
  }
  let text: string;
  try {
    text = await readBounded(response, config.maxResponseBytes);
  } catch (error) {
    if (error instanceof ExternalServiceError) throw error;
    throw fail(
      signal.aborted ? `did not finish answering within ${config.timeoutMs} ms` : 'dropped the answer',
      error,
    );
  }
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch (error) {
    throw fail('answered something that is not JSON', error);
  }

  async function readBounded(res: Response, maxBytes: number): Promise<string> {
    const declared = Number(res.headers.get('content-length'));
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw fail(`answered ${declared} bytes, more than the ${maxBytes} accepted`);
    }
    const reader = res.body?.getReader();
    if (!reader) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw fail(`answered more than the ${maxBytes} bytes accepted`);
      }
      chunks.push(value);
    }
    return new TextDecoder().decode(Buffer.concat(chunks));
  }
}

/** Checks a provider's JSON against the shape it documents; anything else is a bad answer. */
export function parseProviderBody<S extends z.ZodType>(
  provider: string,
  schema: S,
  body: unknown,
): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ExternalServiceError(
    'BAD_GATEWAY',
    provider,
    `${provider} answered in an unexpected shape${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}`,
  );
}

/** Appends query parameters to a configured endpoint, keeping any it already has. */
export function endpoint(base: string, path: string, params: Record<string, string>): URL {
  const url = new URL(base);
  if (path) url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url;
}
