import { z } from 'zod';
import { ExternalServiceError } from '../errors.ts';
import { bareHost } from './import-url.ts';
import type { MediaProvider } from './media-provider.ts';
import { endpoint, fetchProviderJson, mediaNotFound, parseProviderBody } from './provider-http.ts';

/** Vimeo, through oEmbed (which carries the duration and the description). */
const NAME = 'vimeo';
const VIDEO_ID = /^\d{1,12}$/;
/** The second segment of an unlisted video's address (vimeo.com/<id>/<hash>). */
const PRIVACY_HASH = /^[0-9a-f]{6,20}$/;

/** The video id (and the unlisted hash, when the address has one); null when no single video is meant. */
export function vimeoVideo(url: URL): { id: string; hash?: string } | null {
  const host = bareHost(url);
  const segments = url.pathname.split('/').filter(Boolean);
  let id: string | undefined;
  let hash: string | undefined;
  if (host === 'player.vimeo.com') {
    if (segments[0] === 'video' && segments.length === 2) id = segments[1];
    hash = url.searchParams.get('h') ?? undefined;
  } else if (host === 'vimeo.com' || host === 'www.vimeo.com') {
    const [first, second] = segments;
    if (segments.length <= 2 && VIDEO_ID.test(first ?? '')) {
      id = first;
      hash = second;
    } else if (first === 'channels' && segments.length === 3) id = segments[2];
    else if ((first === 'groups' || first === 'album' || first === 'showcase') && segments.length === 4) {
      if (segments[2] === 'videos' || segments[2] === 'video') id = segments[3];
    }
  }
  if (!id || !VIDEO_ID.test(id)) return null;
  if (hash !== undefined && !PRIVACY_HASH.test(hash)) return null;
  return hash ? { id, hash } : { id };
}

const ZOembed = z.object({
  title: z.string(),
  author_name: z.string().optional(),
  thumbnail_url: z.url().optional(),
  duration: z.number().int().nonnegative().optional(),
  description: z.string().optional(),
});

export const vimeoProvider: MediaProvider = {
  name: NAME,

  supports: (url) => vimeoVideo(url) !== null,

  async fetchMetadata(url, { config }) {
    const video = vimeoVideo(url);
    if (!video) throw mediaNotFound(NAME, 'is not a Vimeo video address');
    const externalUrl = `https://vimeo.com/${video.id}${video.hash ? `/${video.hash}` : ''}`;
    const response = await fetchProviderJson(
      NAME,
      endpoint(config.vimeoOembedUrl, '', { url: externalUrl }),
      config,
    );
    if (response.status === 404) throw mediaNotFound(NAME);
    // 403: private, or embedding limited to other sites.
    if (response.status === 401 || response.status === 403) {
      throw mediaNotFound(NAME, 'is private or cannot be embedded');
    }
    if (response.status !== 200) {
      throw new ExternalServiceError('BAD_GATEWAY', NAME, `Vimeo oEmbed answered HTTP ${response.status}`);
    }
    const oembed = parseProviderBody(NAME, ZOembed, response.body);
    return {
      provider: NAME,
      externalUrl,
      title: oembed.title,
      mediaType: 'video',
      ...(oembed.author_name ? { authorName: oembed.author_name } : {}),
      ...(oembed.thumbnail_url ? { thumbnailUrl: oembed.thumbnail_url } : {}),
      ...(oembed.duration ? { durationSeconds: oembed.duration } : {}),
      ...(oembed.description ? { description: oembed.description } : {}),
    };
  },
};
