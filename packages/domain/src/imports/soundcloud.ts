import { z } from 'zod';
import { ExternalServiceError } from '../errors.ts';
import { bareHost } from './import-url.ts';
import type { MediaProvider } from './media-provider.ts';
import { endpoint, fetchProviderJson, mediaNotFound, parseProviderBody } from './provider-http.ts';

/**
 * SoundCloud tracks and playlists, through oEmbed (audio; no duration there). Short links
 * (on.soundcloud.com) are not supported: resolving them means following a redirect to wherever it
 * points, which an import never does.
 */
const NAME = 'soundcloud';
const HOSTS = new Set(['soundcloud.com', 'www.soundcloud.com', 'm.soundcloud.com']);
const SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/i;
/** First path segments that are SoundCloud's own pages, not user names. */
const RESERVED = new Set([
  'discover',
  'stream',
  'search',
  'upload',
  'you',
  'charts',
  'stations',
  'settings',
  'messages',
  'notifications',
  'pages',
  'terms-of-use',
  'pro',
  'mobile',
  'imprint',
]);

/**
 * The canonical path of a track (/<user>/<track>) or playlist (/<user>/sets/<playlist>); null for
 * anything else (profiles, SoundCloud's own pages).
 */
export function soundcloudPath(url: URL): string | null {
  if (!HOSTS.has(bareHost(url))) return null;
  const segments = url.pathname.split('/').filter(Boolean);
  const [user, second, third] = segments;
  if (!user || RESERVED.has(user.toLowerCase()) || !SLUG.test(user)) return null;
  if (segments.length === 2 && second && second !== 'sets' && SLUG.test(second)) return `/${user}/${second}`;
  if (segments.length === 3 && second === 'sets' && third && SLUG.test(third))
    return `/${user}/sets/${third}`;
  return null;
}

const ZOembed = z.object({
  title: z.string(),
  author_name: z.string().optional(),
  thumbnail_url: z.url().optional(),
  description: z.string().nullish(),
});

export const soundcloudProvider: MediaProvider = {
  name: NAME,

  supports: (url) => soundcloudPath(url) !== null,

  async fetchMetadata(url, { config }) {
    const path = soundcloudPath(url);
    if (!path) throw mediaNotFound(NAME, 'is not a SoundCloud track address');
    const externalUrl = `https://soundcloud.com${path.toLowerCase()}`;
    const response = await fetchProviderJson(
      NAME,
      endpoint(config.soundcloudOembedUrl, '', { format: 'json', url: externalUrl }),
      config,
    );
    if (response.status === 404) throw mediaNotFound(NAME);
    if (response.status === 401 || response.status === 403) {
      throw mediaNotFound(NAME, 'is private or cannot be embedded');
    }
    if (response.status !== 200) {
      throw new ExternalServiceError(
        'BAD_GATEWAY',
        NAME,
        `SoundCloud oEmbed answered HTTP ${response.status}`,
      );
    }
    const oembed = parseProviderBody(NAME, ZOembed, response.body);
    return {
      provider: NAME,
      externalUrl,
      title: oembed.title,
      mediaType: 'audio',
      ...(oembed.author_name ? { authorName: oembed.author_name } : {}),
      ...(oembed.thumbnail_url ? { thumbnailUrl: oembed.thumbnail_url } : {}),
      ...(oembed.description ? { description: oembed.description } : {}),
    };
  },
};
