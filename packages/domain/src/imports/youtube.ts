import { z } from 'zod';
import { ExternalServiceError } from '../errors.ts';
import { bareHost } from './import-url.ts';
import { parseIso8601Duration } from './iso8601-duration.ts';
import type { ImportedMedia, MediaProvider } from './media-provider.ts';
import { endpoint, fetchProviderJson, mediaNotFound, parseProviderBody } from './provider-http.ts';

/**
 * YouTube: the Data API v3 (`videos?part=snippet,contentDetails`) when YOUTUBE_API_KEY is set — it
 * gives the duration and the description — else oEmbed (title, channel, thumbnail).
 */
const NAME = 'youtube';
const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const SITE_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);
/** Paths whose next segment is the video id: /shorts/<id>, /embed/<id>, /live/<id>, /v/<id>. */
const ID_PATHS = new Set(['shorts', 'embed', 'live', 'v', 'e']);

/** The 11-character video id of any address YouTube serves a single video at; null otherwise. */
export function youtubeVideoId(url: URL): string | null {
  const host = bareHost(url);
  const segments = url.pathname.split('/').filter(Boolean);
  let id: string | null | undefined = null;
  if (host === 'youtu.be' || host === 'www.youtu.be') id = segments[0];
  else if (SITE_HOSTS.has(host)) {
    if (segments.length === 1 && segments[0] === 'watch') id = url.searchParams.get('v');
    else if (segments.length >= 2 && ID_PATHS.has(segments[0] ?? '')) id = segments[1];
  }
  return id && VIDEO_ID.test(id) ? id : null;
}

const ZThumbnail = z.object({ url: z.url() });
const ZVideoListResponse = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      snippet: z.object({
        title: z.string(),
        description: z.string().optional(),
        channelTitle: z.string().optional(),
        thumbnails: z
          .object({
            default: ZThumbnail.optional(),
            medium: ZThumbnail.optional(),
            high: ZThumbnail.optional(),
            standard: ZThumbnail.optional(),
            maxres: ZThumbnail.optional(),
          })
          .optional(),
      }),
      contentDetails: z.object({ duration: z.string().optional() }).optional(),
    }),
  ),
});

const ZOembed = z.object({
  title: z.string(),
  author_name: z.string().optional(),
  thumbnail_url: z.url().optional(),
});

export const youtubeProvider: MediaProvider = {
  name: NAME,

  supports: (url) => youtubeVideoId(url) !== null,

  async fetchMetadata(url, { config }) {
    const id = youtubeVideoId(url);
    if (!id) throw mediaNotFound(NAME, 'is not a YouTube video address');
    const externalUrl = `https://www.youtube.com/watch?v=${id}`;

    if (config.youtubeApiKey) {
      const request = endpoint(config.youtubeApiBaseUrl, 'videos', {
        part: 'snippet,contentDetails',
        id,
        key: config.youtubeApiKey,
      });
      const response = await fetchProviderJson(NAME, request, config);
      // 400 (key not valid) and 403 (quota exceeded, API disabled) are ours to fix, not the user's.
      if (response.status !== 200) {
        throw new ExternalServiceError(
          'BAD_GATEWAY',
          NAME,
          `YouTube Data API answered HTTP ${response.status}`,
        );
      }
      const video = parseProviderBody(NAME, ZVideoListResponse, response.body).items[0];
      if (!video) throw mediaNotFound(NAME);
      const { snippet } = video;
      const thumbnails = snippet.thumbnails;
      const thumbnail =
        thumbnails?.maxres ??
        thumbnails?.standard ??
        thumbnails?.high ??
        thumbnails?.medium ??
        thumbnails?.default;
      const duration = video.contentDetails?.duration;
      const seconds = duration === undefined ? null : parseIso8601Duration(duration);
      return {
        provider: NAME,
        externalUrl,
        title: snippet.title,
        mediaType: 'video',
        ...(snippet.channelTitle ? { authorName: snippet.channelTitle } : {}),
        ...(thumbnail ? { thumbnailUrl: thumbnail.url } : {}),
        // Live streams report P0D: no duration rather than a zero-length video.
        ...(seconds ? { durationSeconds: seconds } : {}),
        ...(snippet.description ? { description: snippet.description } : {}),
      } satisfies ImportedMedia;
    }

    const response = await fetchProviderJson(
      NAME,
      endpoint(config.youtubeOembedUrl, '', { url: externalUrl, format: 'json' }),
      config,
    );
    // oEmbed: 404 (no such video), 400 (an id YouTube does not accept), 401/403 (private, or the
    // owner disabled embedding — an embed is what Atrium would show).
    if (response.status === 404 || response.status === 400) throw mediaNotFound(NAME);
    if (response.status === 401 || response.status === 403) {
      throw mediaNotFound(NAME, 'is private or cannot be embedded');
    }
    if (response.status !== 200) {
      throw new ExternalServiceError('BAD_GATEWAY', NAME, `YouTube oEmbed answered HTTP ${response.status}`);
    }
    const oembed = parseProviderBody(NAME, ZOembed, response.body);
    return {
      provider: NAME,
      externalUrl,
      title: oembed.title,
      mediaType: 'video',
      ...(oembed.author_name ? { authorName: oembed.author_name } : {}),
      ...(oembed.thumbnail_url ? { thumbnailUrl: oembed.thumbnail_url } : {}),
    };
  },
};
