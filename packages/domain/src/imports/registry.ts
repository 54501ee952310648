import { ExternalServiceError } from '../errors.ts';
import { MAX_IMPORT_URL_LENGTH, parseImportUrl, unsupportedUrl } from './import-url.ts';
import type { ImportedMedia, MediaProvider, ProviderDeps } from './media-provider.ts';
import { soundcloudProvider } from './soundcloud.ts';
import { vimeoProvider } from './vimeo.ts';
import { youtubeProvider } from './youtube.ts';

/** Every provider, asked in this order. Adding one: its file, and a line here. */
export const MEDIA_PROVIDERS: readonly MediaProvider[] = [youtubeProvider, vimeoProvider, soundcloudProvider];

/** Bounds of what an import hands to the content create flow (contents.title is 1..255). */
export const IMPORTED_MEDIA_LIMITS = { title: 255, authorName: 200, description: 5_000 } as const;

export function findMediaProvider(
  url: URL,
  providers: readonly MediaProvider[] = MEDIA_PROVIDERS,
): MediaProvider | undefined {
  return providers.find((provider) => provider.supports(url));
}

/**
 * The metadata of the media at a user-given address (SPEC §4 imports.byUrl): the first provider that
 * supports the URL fetches it from its own endpoints. Unknown address → 422 UNSUPPORTED_URL; media
 * the provider does not have → 422 MEDIA_NOT_FOUND; provider down, slow or unreadable → 502.
 */
export async function fetchMediaMetadata(
  deps: ProviderDeps & { providers?: readonly MediaProvider[] },
  input: string,
): Promise<ImportedMedia> {
  const url = parseImportUrl(input);
  const provider = findMediaProvider(url, deps.providers);
  if (!provider) {
    throw unsupportedUrl('This address is not a YouTube, Vimeo or SoundCloud video or track');
  }
  return normaliseImportedMedia(await provider.fetchMetadata(url, deps));
}

/**
 * Trims what a provider wrote to what contents hold: whitespace collapsed in titles and names,
 * lengths bounded, a thumbnail only when it is an http(s) URL, a duration only when it is a sane
 * number of seconds. A provider answering without any title has answered wrongly.
 */
export function normaliseImportedMedia(media: ImportedMedia): ImportedMedia {
  const line = (text: string | undefined, max: number) => {
    const clean = text?.replace(/\s+/g, ' ').trim();
    return clean ? truncate(clean, max) : undefined;
  };
  const title = line(media.title, IMPORTED_MEDIA_LIMITS.title);
  if (!title) {
    throw new ExternalServiceError(
      'BAD_GATEWAY',
      media.provider,
      `${media.provider} answered without a title`,
    );
  }
  const authorName = line(media.authorName, IMPORTED_MEDIA_LIMITS.authorName);
  const description = media.description?.trim()
    ? truncate(media.description.trim(), IMPORTED_MEDIA_LIMITS.description)
    : undefined;
  const thumbnailUrl = media.thumbnailUrl && isHttpUrl(media.thumbnailUrl) ? media.thumbnailUrl : undefined;
  const durationSeconds =
    media.durationSeconds !== undefined &&
    Number.isInteger(media.durationSeconds) &&
    media.durationSeconds > 0 &&
    media.durationSeconds <= 10 * 365 * 86_400
      ? media.durationSeconds
      : undefined;
  return {
    provider: media.provider,
    externalUrl: media.externalUrl,
    title,
    mediaType: media.mediaType,
    ...(authorName ? { authorName } : {}),
    ...(thumbnailUrl ? { thumbnailUrl } : {}),
    ...(durationSeconds ? { durationSeconds } : {}),
    ...(description ? { description } : {}),
  };
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function isHttpUrl(text: string): boolean {
  if (text.length > MAX_IMPORT_URL_LENGTH) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}
