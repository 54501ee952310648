import { z } from 'zod';

/**
 * The media provider port (SPEC §4 import by URL, docs/imports.md). A provider recognises the URLs
 * it serves and turns one into metadata by calling its own metadata endpoints — never the URL the
 * user gave: that URL is only ever a query parameter of an oEmbed request or the source of an id.
 * Adding a provider is one file implementing this port plus one line in `registry.ts`.
 */
export interface MediaProvider {
  /** Stored as `content_media.provider`. */
  readonly name: string;
  /** Pure and cheap: the registry asks every provider in turn. */
  supports(url: URL): boolean;
  /**
   * Rejects with UnprocessableError (reason MEDIA_NOT_FOUND) when the provider says the media does not
   * exist or cannot be embedded, and with ExternalServiceError('BAD_GATEWAY', name) when the provider
   * is down, too slow or answers something unreadable.
   */
  fetchMetadata(url: URL, deps: ProviderDeps): Promise<ImportedMedia>;
}

export interface ImportedMedia {
  provider: string;
  /** The canonical address of the media (e.g. https://www.youtube.com/watch?v=<id>). */
  externalUrl: string;
  title: string;
  authorName?: string;
  thumbnailUrl?: string;
  durationSeconds?: number;
  mediaType: 'video' | 'audio';
  description?: string;
}

export interface ProviderConfig {
  /** YouTube Data API v3 key; without one YouTube metadata comes from oEmbed (no duration). */
  youtubeApiKey?: string | undefined;
  /** e.g. https://www.googleapis.com/youtube/v3 (`/videos` is appended). */
  youtubeApiBaseUrl: string;
  youtubeOembedUrl: string;
  vimeoOembedUrl: string;
  soundcloudOembedUrl: string;
  /** Per provider request: connect, headers and body (default 5 s). */
  timeoutMs: number;
  /** Largest response body read from a provider (default 512 KiB). */
  maxResponseBytes: number;
}

export interface ProviderDeps {
  config: ProviderConfig;
}

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/**
 * The import settings of a process's env (API and worker), to merge into its `src/env.ts` schema.
 * The base URLs point at the real providers by default; tests and air-gapped setups point them at
 * local servers that answer the same way.
 */
export const ZImportProviderEnv = z.object({
  YOUTUBE_API_KEY: z.string().min(1).optional(),
  YOUTUBE_API_BASE_URL: httpUrl.default('https://www.googleapis.com/youtube/v3'),
  YOUTUBE_OEMBED_URL: httpUrl.default('https://www.youtube.com/oembed'),
  VIMEO_OEMBED_URL: httpUrl.default('https://vimeo.com/api/oembed.json'),
  SOUNDCLOUD_OEMBED_URL: httpUrl.default('https://soundcloud.com/oembed'),
  IMPORT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  IMPORT_PROVIDER_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(16 * 1024 * 1024)
    .default(512 * 1024),
});
export type ImportProviderEnv = z.infer<typeof ZImportProviderEnv>;

export function providerConfigFromEnv(env: ImportProviderEnv): ProviderConfig {
  return {
    youtubeApiKey: env.YOUTUBE_API_KEY,
    youtubeApiBaseUrl: env.YOUTUBE_API_BASE_URL,
    youtubeOembedUrl: env.YOUTUBE_OEMBED_URL,
    vimeoOembedUrl: env.VIMEO_OEMBED_URL,
    soundcloudOembedUrl: env.SOUNDCLOUD_OEMBED_URL,
    timeoutMs: env.IMPORT_PROVIDER_TIMEOUT_MS,
    maxResponseBytes: env.IMPORT_PROVIDER_MAX_RESPONSE_BYTES,
  };
}
