import { useProviderServers } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import type { MediaProvider, ProviderConfig } from '../../src/imports/media-provider.ts';
import { providerConfigFromEnv, ZImportProviderEnv } from '../../src/imports/media-provider.ts';
import { fetchMediaMetadata, findMediaProvider, MEDIA_PROVIDERS } from '../../src/imports/registry.ts';
import { soundcloudPath } from '../../src/imports/soundcloud.ts';
import { vimeoVideo } from '../../src/imports/vimeo.ts';
import { youtubeVideoId } from '../../src/imports/youtube.ts';

/**
 * Import by URL (SPEC §4) against local servers that speak the providers' real protocol: the YouTube
 * Data API v3 and the YouTube, Vimeo and SoundCloud oEmbed endpoints, over real sockets.
 */
const servers = useProviderServers();

function config(overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return { ...servers.config, timeoutMs: 1_000, maxResponseBytes: 512 * 1024, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the import to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('recognising addresses', () => {
  it.each([
    ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://youtube.com/watch?v=dQw4w9WgXcQ&list=PL123&t=42s', 'dQw4w9WgXcQ'],
    ['https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['http://www.youtube.com/watch?v=dQw4w9WgXcQ#t=10', 'dQw4w9WgXcQ'],
    ['https://youtu.be/dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://youtu.be/dQw4w9WgXcQ?si=abcDEF&t=3', 'dQw4w9WgXcQ'],
    ['https://www.youtube.com/shorts/jNQXAC9IVRw', 'jNQXAC9IVRw'],
    ['https://www.youtube.com/embed/jNQXAC9IVRw?start=5', 'jNQXAC9IVRw'],
    ['https://www.youtube-nocookie.com/embed/jNQXAC9IVRw', 'jNQXAC9IVRw'],
    ['https://www.youtube.com/live/jfKfPfyJRdk?feature=shared', 'jfKfPfyJRdk'],
    ['https://music.youtube.com/watch?v=dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
    ['https://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ', 'dQw4w9WgXcQ'],
  ])('YouTube %s → %s', (address, id) => {
    expect(youtubeVideoId(new URL(address))).toBe(id);
    expect(findMediaProvider(new URL(address))?.name).toBe('youtube');
  });

  it.each([
    'https://www.youtube.com/watch?v=short',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ!',
    'https://www.youtube.com/watch',
    'https://www.youtube.com/@RickAstleyYT',
    'https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI',
    'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw',
    'https://youtu.be/',
    'https://notyoutube.com/watch?v=dQw4w9WgXcQ',
    'https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ',
    'https://evil.example/youtu.be/dQw4w9WgXcQ',
  ])('no YouTube video in %s', (address) => {
    expect(youtubeVideoId(new URL(address))).toBeNull();
  });

  it('reads Vimeo ids, unlisted hashes and player addresses', () => {
    expect(vimeoVideo(new URL('https://vimeo.com/76979871'))).toEqual({ id: '76979871' });
    expect(vimeoVideo(new URL('https://www.vimeo.com/288344114/0b4c3ffc1b'))).toEqual({
      id: '288344114',
      hash: '0b4c3ffc1b',
    });
    expect(vimeoVideo(new URL('https://player.vimeo.com/video/288344114?h=0b4c3ffc1b'))).toEqual({
      id: '288344114',
      hash: '0b4c3ffc1b',
    });
    expect(vimeoVideo(new URL('https://vimeo.com/channels/staffpicks/76979871'))).toEqual({ id: '76979871' });
    expect(vimeoVideo(new URL('https://vimeo.com/groups/shortfilms/videos/76979871'))).toEqual({
      id: '76979871',
    });
    for (const address of [
      'https://vimeo.com/',
      'https://vimeo.com/staff',
      'https://vimeo.com/76979871/not-a-hash!',
      'https://vimeo.com.evil.example/76979871',
    ]) {
      expect(vimeoVideo(new URL(address))).toBeNull();
    }
  });

  it('reads SoundCloud tracks and playlists, not profiles or SoundCloud’s own pages', () => {
    expect(soundcloudPath(new URL('https://soundcloud.com/forss/flickermood'))).toBe('/forss/flickermood');
    expect(soundcloudPath(new URL('https://m.soundcloud.com/forss/flickermood?in=x'))).toBe(
      '/forss/flickermood',
    );
    expect(soundcloudPath(new URL('https://soundcloud.com/forss/sets/soulhack'))).toBe(
      '/forss/sets/soulhack',
    );
    for (const address of [
      'https://soundcloud.com/forss',
      'https://soundcloud.com/discover/sets/charts',
      'https://soundcloud.com/forss/flickermood/comments/123',
      'https://on.soundcloud.com/aBcD1',
    ]) {
      expect(soundcloudPath(new URL(address))).toBeNull();
    }
  });
});

describe('fetching metadata', () => {
  it('YouTube with an API key: the Data API videos list, duration parsed, largest thumbnail', async () => {
    servers.clearRequests();
    const media = await fetchMediaMetadata(
      { config: config({ youtubeApiKey: servers.youtubeApiKey }) },
      'https://youtu.be/dQw4w9WgXcQ?si=share',
    );
    expect(media).toEqual({
      provider: 'youtube',
      externalUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      title: 'Rick Astley - Never Gonna Give You Up (Official Video) (4K Remaster)',
      authorName: 'Rick Astley',
      thumbnailUrl: 'https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg',
      durationSeconds: 214,
      mediaType: 'video',
      description:
        'The official video for “Never Gonna Give You Up” by Rick Astley.\n\nNever: The Autobiography 📚 OUT NOW!',
    });
    expect(servers.requests).toEqual([
      {
        server: 'youtubeApi',
        path: '/youtube/v3/videos',
        query: { part: 'snippet,contentDetails', id: 'dQw4w9WgXcQ', key: servers.youtubeApiKey },
      },
    ]);
  });

  it('YouTube with an API key: a day-long duration, and no duration for a live stream (P0D)', async () => {
    const deps = { config: config({ youtubeApiKey: servers.youtubeApiKey }) };
    servers.addYouTubeVideo({
      id: 'LongStream1',
      title: '26 hours of rain',
      channelTitle: 'Rain',
      description: '',
      duration: 'P1DT2H',
    });
    expect((await fetchMediaMetadata(deps, 'https://youtu.be/LongStream1')).durationSeconds).toBe(93_600);
    const live = await fetchMediaMetadata(deps, 'https://www.youtube.com/live/jfKfPfyJRdk');
    expect(live.durationSeconds).toBeUndefined();
    expect(live.title).toBe('lofi hip hop radio 📚 - beats to relax/study to');
  });

  it('YouTube without an API key: oEmbed with the canonical address (no duration, no description)', async () => {
    servers.clearRequests();
    const media = await fetchMediaMetadata(
      { config: config() },
      'https://www.youtube.com/shorts/jNQXAC9IVRw',
    );
    expect(media).toEqual({
      provider: 'youtube',
      externalUrl: 'https://www.youtube.com/watch?v=jNQXAC9IVRw',
      title: 'Me at the zoo',
      authorName: 'jawed',
      thumbnailUrl: 'https://i.ytimg.com/vi/jNQXAC9IVRw/hqdefault.jpg',
      mediaType: 'video',
    });
    expect(servers.requests).toEqual([
      {
        server: 'youtubeOembed',
        path: '/oembed',
        query: { url: 'https://www.youtube.com/watch?v=jNQXAC9IVRw', format: 'json' },
      },
    ]);
  });

  it('Vimeo: oEmbed with duration and description; unlisted videos keep their hash', async () => {
    expect(
      await fetchMediaMetadata({ config: config() }, 'https://vimeo.com/channels/staffpicks/76979871'),
    ).toEqual({
      provider: 'vimeo',
      externalUrl: 'https://vimeo.com/76979871',
      title: 'The New Vimeo Player (You Know, For Videos)',
      authorName: 'Vimeo',
      thumbnailUrl:
        'https://i.vimeocdn.com/video/452001751-8216e0571c251a09d7a8387550942d89f7f86f6398f8ed886e639b0dd50d3c90-d_295x166?region=us',
      durationSeconds: 62,
      mediaType: 'video',
      description:
        'It may look (mostly) the same on the surface, but under the hood we totally rebuilt our player.',
    });
    const unlisted = await fetchMediaMetadata(
      { config: config() },
      'https://player.vimeo.com/video/288344114?h=0b4c3ffc1b',
    );
    expect(unlisted).toMatchObject({
      externalUrl: 'https://vimeo.com/288344114/0b4c3ffc1b',
      durationSeconds: 1_234,
    });
  });

  it('SoundCloud: oEmbed, audio, canonical address without query or mobile host', async () => {
    servers.clearRequests();
    expect(
      await fetchMediaMetadata({ config: config() }, 'https://m.soundcloud.com/forss/flickermood?utm=x'),
    ).toEqual({
      provider: 'soundcloud',
      externalUrl: 'https://soundcloud.com/forss/flickermood',
      title: 'Flickermood by Forss',
      authorName: 'Forss',
      thumbnailUrl: 'https://i1.sndcdn.com/artworks-000067273316-smsiqx-t500x500.jpg',
      mediaType: 'audio',
      description: 'From the Soulhack album, released in 2003.',
    });
    expect(servers.requests[0]?.query).toEqual({
      format: 'json',
      url: 'https://soundcloud.com/forss/flickermood',
    });
  });

  it('bounds what providers wrote: titles to 255 characters, whitespace collapsed', async () => {
    servers.addVimeoVideo({
      id: '999000999',
      title: `  A   very\nlong ${'title '.repeat(80)}`,
      authorName: ' Studio\tNorth ',
      description: 'd',
      duration: 5,
    });
    const media = await fetchMediaMetadata({ config: config() }, 'https://vimeo.com/999000999');
    expect([...media.title]).toHaveLength(255);
    expect(media.title.startsWith('A very long title title')).toBe(true);
    expect(media.title.endsWith('…')).toBe(true);
    expect(media.authorName).toBe('Studio North');
  });
});

describe('refusals and provider failures', () => {
  it('refuses an address no provider serves with 422 UNSUPPORTED_URL, without any request', async () => {
    servers.clearRequests();
    for (const address of [
      'https://example.com/video.mp4',
      'https://www.youtube.com/@RickAstleyYT',
      'http://169.254.169.254/latest/meta-data/',
      'https://on.soundcloud.com/aBcD1',
      'ftp://youtube.com/watch?v=dQw4w9WgXcQ',
      'https://user:secret@www.youtube.com/watch?v=dQw4w9WgXcQ',
    ]) {
      const error = await failure(fetchMediaMetadata({ config: config() }, address));
      expect(error.code).toBe('UNPROCESSABLE');
      expect(error.details).toMatchObject({ reason: 'UNSUPPORTED_URL' });
    }
    expect(servers.requests).toEqual([]);
  });

  it('refuses input that is not a usable URL with 400 VALIDATION_ERROR', async () => {
    for (const input of [
      '',
      'not a url',
      `https://youtu.be/${'a'.repeat(2_100)}`,
      'https://youtu.be/dQw4\u0000w9WgXcQ',
    ]) {
      const error = await failure(fetchMediaMetadata({ config: config() }, input));
      expect(error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('answers 422 MEDIA_NOT_FOUND for unknown, private and non-embeddable media', async () => {
    const cases: Array<[string, Partial<ProviderConfig>]> = [
      ['https://www.youtube.com/watch?v=AAAAAAAAAAA', {}],
      ['https://www.youtube.com/watch?v=AAAAAAAAAAA', { youtubeApiKey: servers.youtubeApiKey }],
      ['https://youtu.be/Pr1vateV1d0', {}],
      ['https://youtu.be/Pr1vateV1d0', { youtubeApiKey: servers.youtubeApiKey }],
      ['https://vimeo.com/123', {}],
      ['https://vimeo.com/111111111', {}],
      ['https://vimeo.com/288344114/ffffffffff', {}],
      ['https://soundcloud.com/forss/no-such-track', {}],
    ];
    for (const [address, overrides] of cases) {
      const error = await failure(fetchMediaMetadata({ config: config(overrides) }, address));
      expect(error.code, address).toBe('UNPROCESSABLE');
      expect(error.details, address).toMatchObject({ reason: 'MEDIA_NOT_FOUND' });
    }
  });

  it('treats a rejected API key as the provider failing (502), not the user', async () => {
    const error = await failure(
      fetchMediaMetadata({ config: config({ youtubeApiKey: 'wrong-key' }) }, 'https://youtu.be/dQw4w9WgXcQ'),
    );
    expect(error).toMatchObject({ code: 'BAD_GATEWAY', details: { service: 'youtube' } });
  });

  const addresses = {
    youtubeApi: 'https://youtu.be/dQw4w9WgXcQ',
    youtubeOembed: 'https://youtu.be/dQw4w9WgXcQ',
    vimeo: 'https://vimeo.com/76979871',
    soundcloud: 'https://soundcloud.com/forss/flickermood',
  } as const;
  const service = {
    youtubeApi: 'youtube',
    youtubeOembed: 'youtube',
    vimeo: 'vimeo',
    soundcloud: 'soundcloud',
  };

  for (const server of ['youtubeApi', 'youtubeOembed', 'vimeo', 'soundcloud'] as const) {
    it(`${server}: down, slow, 500, garbage, wrong shape and oversize answers are 502 BAD_GATEWAY, in bounded time`, async () => {
      const deps = {
        config: config({
          timeoutMs: 300,
          ...(server === 'youtubeApi' ? { youtubeApiKey: servers.youtubeApiKey } : {}),
        }),
      };
      for (const fault of ['down', 'slow', 'error500', 'garbage', 'wrongShape', 'oversized'] as const) {
        await servers.setFault(server, fault);
        const started = Date.now();
        const error = await failure(fetchMediaMetadata(deps, addresses[server]));
        expect(error.code, fault).toBe('BAD_GATEWAY');
        expect(error.details, fault).toEqual({ service: service[server] });
        expect(Date.now() - started, fault).toBeLessThan(1_500);
      }
      await servers.setFault(server, 'none');
      await expect(fetchMediaMetadata(deps, addresses[server])).resolves.toMatchObject({
        provider: service[server],
      });
    });
  }

  it('reads every provider’s not-found fault (404 for everything) as MEDIA_NOT_FOUND', async () => {
    await servers.setFault('all', 'notFound');
    for (const address of Object.values(addresses)) {
      const error = await failure(fetchMediaMetadata({ config: config() }, address));
      expect(error.details).toMatchObject({ reason: 'MEDIA_NOT_FOUND' });
    }
  });
});

describe('the registry', () => {
  it('asks providers in order; a new provider is one object and one entry', async () => {
    const dailymotion: MediaProvider = {
      name: 'dailymotion',
      supports: (url) => url.hostname === 'www.dailymotion.com' && url.pathname.startsWith('/video/'),
      fetchMetadata: async (url) => ({
        provider: 'dailymotion',
        externalUrl: `https://www.dailymotion.com${url.pathname}`,
        title: 'A Dailymotion video',
        mediaType: 'video',
      }),
    };
    const providers = [...MEDIA_PROVIDERS, dailymotion];
    expect(
      await fetchMediaMetadata({ config: config(), providers }, 'https://www.dailymotion.com/video/x8abc12'),
    ).toMatchObject({ provider: 'dailymotion', title: 'A Dailymotion video' });
    expect(MEDIA_PROVIDERS.map((p) => p.name)).toEqual(['youtube', 'vimeo', 'soundcloud']);
  });

  it('reads its configuration from the env with the providers’ real endpoints as defaults', () => {
    expect(providerConfigFromEnv(ZImportProviderEnv.parse({}))).toEqual({
      youtubeApiKey: undefined,
      youtubeApiBaseUrl: 'https://www.googleapis.com/youtube/v3',
      youtubeOembedUrl: 'https://www.youtube.com/oembed',
      vimeoOembedUrl: 'https://vimeo.com/api/oembed.json',
      soundcloudOembedUrl: 'https://soundcloud.com/oembed',
      timeoutMs: 5_000,
      maxResponseBytes: 524_288,
    });
    expect(ZImportProviderEnv.safeParse({ VIMEO_OEMBED_URL: 'file:///etc/passwd' }).success).toBe(false);
  });
});
