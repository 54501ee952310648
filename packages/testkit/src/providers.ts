import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * Local stand-ins for the media metadata providers (SPEC §0: "local HTTP servers that answer like the
 * providers"): the YouTube Data API v3 `videos` list, YouTube's, Vimeo's and SoundCloud's oEmbed
 * endpoints, each on its own loopback port, answering with the providers' real response shapes and
 * statuses for a small catalogue, plus switchable faults. Point the import configuration's base URLs
 * at `config`.
 */
export type ProviderServerName = 'youtubeApi' | 'youtubeOembed' | 'vimeo' | 'soundcloud';

/**
 * - `down`: the listener is closed and open connections dropped (connection refused), until `none`;
 * - `slow`: requests are accepted and never answered (until `none`);
 * - `error500`: HTTP 500 with the provider's error body;
 * - `garbage`: HTTP 200 whose body is not JSON (an HTML error page);
 * - `wrongShape`: HTTP 200 with JSON that is not the documented shape;
 * - `notFound`: HTTP 404 for everything;
 * - `oversized`: HTTP 200 with a 2 MiB JSON body, chunked (no Content-Length).
 */
export type ProviderFault =
  | 'none'
  | 'down'
  | 'slow'
  | 'error500'
  | 'garbage'
  | 'wrongShape'
  | 'notFound'
  | 'oversized';

export interface ProviderRequest {
  server: ProviderServerName;
  path: string;
  query: Record<string, string>;
}

export interface FakeYouTubeVideo {
  id: string;
  title: string;
  channelTitle: string;
  description: string;
  /** ISO 8601, as contentDetails.duration (`PT3M33S`; `P0D` for a live stream). */
  duration: string;
  /** Private: the Data API lists nothing, oEmbed answers 401. */
  private?: boolean;
}

export interface FakeVimeoVideo {
  id: string;
  /** Unlisted videos are addressed as vimeo.com/<id>/<hash>. */
  hash?: string;
  title: string;
  authorName: string;
  description: string;
  duration: number;
  /** Private or embedding restricted: oEmbed answers 403. */
  private?: boolean;
}

export interface FakeSoundCloudTrack {
  /** `/user/track` or `/user/sets/playlist`. */
  path: string;
  title: string;
  authorName: string;
  description: string;
}

/** The catalogue every server starts with: real, well-known media and their real metadata. */
export const PROVIDER_FIXTURES = {
  youtube: [
    {
      id: 'dQw4w9WgXcQ',
      title: 'Rick Astley - Never Gonna Give You Up (Official Video) (4K Remaster)',
      channelTitle: 'Rick Astley',
      description:
        'The official video for “Never Gonna Give You Up” by Rick Astley.\n\nNever: The Autobiography 📚 OUT NOW!',
      duration: 'PT3M34S',
    },
    {
      id: 'jNQXAC9IVRw',
      title: 'Me at the zoo',
      channelTitle: 'jawed',
      description: 'The first video on YouTube. While you wait for Part 2, listen to this great song.',
      duration: 'PT19S',
    },
    {
      id: 'L_LUpnjgPso',
      title: '10 Hours of Relaxing Fireplace Sounds',
      channelTitle: 'Calm Sounds',
      description: 'Crackling fire for sleep and study.',
      duration: 'P0DT10H0M1S',
    },
    {
      id: 'jfKfPfyJRdk',
      title: 'lofi hip hop radio 📚 - beats to relax/study to',
      channelTitle: 'Lofi Girl',
      description: 'Listen on Spotify, Apple music and more.',
      duration: 'P0D',
    },
    {
      id: 'Pr1vateV1d0',
      title: 'Private family video',
      channelTitle: 'Someone',
      description: '',
      duration: 'PT5M',
      private: true,
    },
  ] satisfies FakeYouTubeVideo[],
  vimeo: [
    {
      id: '76979871',
      title: 'The New Vimeo Player (You Know, For Videos)',
      authorName: 'Vimeo',
      description:
        'It may look (mostly) the same on the surface, but under the hood we totally rebuilt our player.',
      duration: 62,
    },
    {
      id: '288344114',
      hash: '0b4c3ffc1b',
      title: 'Unlisted rough cut',
      authorName: 'Studio North',
      description: 'For review only.',
      duration: 1_234,
    },
    {
      id: '111111111',
      title: 'Embedding disabled',
      authorName: 'Private Studio',
      description: '',
      duration: 30,
      private: true,
    },
  ] satisfies FakeVimeoVideo[],
  soundcloud: [
    {
      path: '/forss/flickermood',
      title: 'Flickermood by Forss',
      authorName: 'Forss',
      description: 'From the Soulhack album, released in 2003.',
    },
    {
      path: '/forss/sets/soulhack',
      title: 'Soulhack by Forss',
      authorName: 'Forss',
      description: 'The whole album.',
    },
  ] satisfies FakeSoundCloudTrack[],
};

export interface ProviderServers {
  /** Base URLs for the import configuration (ProviderConfig's URL fields). */
  readonly config: {
    youtubeApiBaseUrl: string;
    youtubeOembedUrl: string;
    vimeoOembedUrl: string;
    soundcloudOembedUrl: string;
  };
  /** The one key the fake Data API accepts (any other: HTTP 400 "API key not valid"). */
  readonly youtubeApiKey: string;
  /** Every request received, in order. */
  readonly requests: readonly ProviderRequest[];
  setFault(server: ProviderServerName | 'all', fault: ProviderFault): Promise<void>;
  addYouTubeVideo(video: FakeYouTubeVideo): void;
  addVimeoVideo(video: FakeVimeoVideo): void;
  addSoundCloudTrack(track: FakeSoundCloudTrack): void;
  clearRequests(): void;
}

export interface RunningProviderServers extends ProviderServers {
  stop(): Promise<void>;
}

const YOUTUBE_API_KEY = 'AIzaSyA-atrium-testkit-key-0123456789';
const SERVER_NAMES: ProviderServerName[] = ['youtubeApi', 'youtubeOembed', 'vimeo', 'soundcloud'];

interface Answer {
  status: number;
  body: string;
  contentType?: string;
}

const json = (status: number, body: unknown): Answer => ({
  status,
  body: JSON.stringify(body),
  contentType: 'application/json; charset=utf-8',
});
const text = (status: number, body: string): Answer => ({
  status,
  body,
  contentType: 'text/html; charset=utf-8',
});

export async function startProviderServers(): Promise<RunningProviderServers> {
  const youtube = new Map<string, FakeYouTubeVideo>(PROVIDER_FIXTURES.youtube.map((v) => [v.id, { ...v }]));
  const vimeo = new Map<string, FakeVimeoVideo>(PROVIDER_FIXTURES.vimeo.map((v) => [v.id, { ...v }]));
  const soundcloud = new Map<string, FakeSoundCloudTrack>(
    PROVIDER_FIXTURES.soundcloud.map((t) => [t.path, { ...t }]),
  );
  const requests: ProviderRequest[] = [];
  const faults = new Map<ProviderServerName, ProviderFault>(SERVER_NAMES.map((n) => [n, 'none']));

  const routes: Record<ProviderServerName, (path: string, query: URLSearchParams) => Answer> = {
    youtubeApi: (path, query) => {
      if (path !== '/youtube/v3/videos') return json(404, googleError(404, 'Not Found', 'notFound'));
      if (query.get('key') !== YOUTUBE_API_KEY) {
        return json(400, googleError(400, 'API key not valid. Please pass a valid API key.', 'badRequest'));
      }
      const parts = (query.get('part') ?? '').split(',');
      if (!parts.includes('snippet')) {
        return json(400, googleError(400, 'Required parameter: part', 'required'));
      }
      const ids = (query.get('id') ?? '').split(',').filter(Boolean);
      const items = ids
        .map((id) => youtube.get(id))
        .filter((v): v is FakeYouTubeVideo => v !== undefined && !v.private)
        .map((v) => youtubeVideoResource(v, parts));
      return json(200, {
        kind: 'youtube#videoListResponse',
        etag: 'YIUPVpqNjppyCWOZfL-19bLb7uk',
        items,
        pageInfo: { totalResults: items.length, resultsPerPage: items.length },
      });
    },
    youtubeOembed: (path, query) => {
      if (path !== '/oembed') return text(404, 'Not Found');
      if ((query.get('format') ?? 'json') !== 'json') return text(501, 'Not Implemented');
      let id: string | null = null;
      try {
        id = new URL(query.get('url') ?? '').searchParams.get('v');
      } catch {
        return text(400, 'Bad Request');
      }
      const video = id ? youtube.get(id) : undefined;
      if (!video) return text(404, 'Not Found');
      if (video.private) return text(401, 'Unauthorized');
      return json(200, {
        title: video.title,
        author_name: video.channelTitle,
        author_url: `https://www.youtube.com/@${video.channelTitle.replace(/\s+/g, '')}`,
        type: 'video',
        height: 113,
        width: 200,
        version: '1.0',
        provider_name: 'YouTube',
        provider_url: 'https://www.youtube.com/',
        thumbnail_height: 360,
        thumbnail_width: 480,
        thumbnail_url: `https://i.ytimg.com/vi/${video.id}/hqdefault.jpg`,
        html: `<iframe width="200" height="113" src="https://www.youtube.com/embed/${video.id}?feature=oembed" frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen title="${video.title}"></iframe>`,
      });
    },
    vimeo: (path, query) => {
      if (path !== '/api/oembed.json') return text(404, '404 Not Found');
      let segments: string[] = [];
      try {
        segments = new URL(query.get('url') ?? '').pathname.split('/').filter(Boolean);
      } catch {
        return text(404, '404 Not Found');
      }
      const video = vimeo.get(segments[0] ?? '');
      if (!video || (video.hash && video.hash !== segments[1])) return text(404, '404 Not Found');
      if (video.private) return text(403, '403 Forbidden');
      const uri = video.hash ? `/videos/${video.id}:${video.hash}` : `/videos/${video.id}`;
      return json(200, {
        type: 'video',
        version: '1.0',
        provider_name: 'Vimeo',
        provider_url: 'https://vimeo.com/',
        title: video.title,
        author_name: video.authorName,
        author_url: `https://vimeo.com/${video.authorName.toLowerCase().replace(/\s+/g, '')}`,
        is_plus: '0',
        account_type: 'staff',
        html: `<iframe src="https://player.vimeo.com/video/${video.id}?app_id=122963" width="640" height="360" frameborder="0" allow="autoplay; fullscreen; picture-in-picture; clipboard-write" title="${video.title}"></iframe>`,
        width: 640,
        height: 360,
        duration: video.duration,
        description: video.description,
        thumbnail_url: `https://i.vimeocdn.com/video/452001751-8216e0571c251a09d7a8387550942d89f7f86f6398f8ed886e639b0dd50d3c90-d_295x166?region=us`,
        thumbnail_width: 295,
        thumbnail_height: 166,
        thumbnail_url_with_play_button: `https://i.vimeocdn.com/filter/overlay?src0=https%3A%2F%2Fi.vimeocdn.com%2Fvideo%2F452001751-d_295x166&src1=http%3A%2F%2Ff.vimeocdn.com%2Fp%2Fimages%2Fcrawler_play.png`,
        upload_date: '2013-10-15 14:08:29',
        video_id: Number(video.id),
        uri,
      });
    },
    soundcloud: (path, query) => {
      if (path !== '/oembed') return json(404, soundcloudError('404 - Not Found'));
      if (query.get('format') !== 'json')
        return text(200, '<?xml version="1.0" encoding="UTF-8"?><oembed></oembed>');
      let trackPath = '';
      try {
        trackPath = new URL(query.get('url') ?? '').pathname.replace(/\/+$/, '');
      } catch {
        return json(404, soundcloudError('404 - Not Found'));
      }
      const track = soundcloud.get(trackPath);
      if (!track) return json(404, soundcloudError('404 - Not Found'));
      return json(200, {
        version: 1,
        type: 'rich',
        provider_name: 'SoundCloud',
        provider_url: 'https://soundcloud.com',
        height: 400,
        width: '100%',
        title: track.title,
        description: track.description,
        thumbnail_url: 'https://i1.sndcdn.com/artworks-000067273316-smsiqx-t500x500.jpg',
        html: `<iframe width="100%" height="400" scrolling="no" frameborder="no" src="https://w.soundcloud.com/player/?visual=true&url=https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F293&show_artwork=true"></iframe>`,
        author_name: track.authorName,
        author_url: `https://soundcloud.com${trackPath.split('/').slice(0, 2).join('/')}`,
      });
    },
  };

  const faultAnswer = (server: ProviderServerName, fault: ProviderFault): Answer | null => {
    switch (fault) {
      case 'error500':
        return server === 'youtubeApi'
          ? json(500, googleError(500, 'Internal error encountered.', 'backendError'))
          : text(500, '<html><body><h1>500 Internal Server Error</h1></body></html>');
      case 'garbage':
        return {
          status: 200,
          body: '<html><body>Service temporarily unavailable',
          contentType: 'application/json',
        };
      case 'wrongShape':
        return json(200, { status: 'ok', data: null });
      case 'notFound':
        return server === 'soundcloud'
          ? json(404, soundcloudError('404 - Not Found'))
          : text(404, 'Not Found');
      case 'oversized':
        return json(200, { title: 'x', padding: 'x'.repeat(2 * 1024 * 1024) });
      default:
        return null;
    }
  };

  const servers = new Map<
    ProviderServerName,
    { server: Server | null; port: number; sockets: Set<Socket> }
  >();

  const listen = async (name: ProviderServerName, port: number) => {
    const sockets = new Set<Socket>();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://provider.test');
      requests.push({ server: name, path: url.pathname, query: Object.fromEntries(url.searchParams) });
      const fault = faults.get(name) ?? 'none';
      if (fault === 'slow') return; // never answered; the socket is destroyed when the fault ends
      const answer =
        req.method !== 'GET'
          ? text(405, 'Method Not Allowed')
          : (faultAnswer(name, fault) ?? routes[name](url.pathname, url.searchParams));
      // An oversized answer comes chunked, without a length to refuse it by: the reader must count.
      res.writeHead(answer.status, {
        'content-type': answer.contentType ?? 'text/plain',
        ...(fault === 'oversized' ? {} : { 'content-length': Buffer.byteLength(answer.body) }),
      });
      res.end(answer.body);
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    servers.set(name, { server, port: bound, sockets });
    return bound;
  };

  const close = async (name: ProviderServerName) => {
    const entry = servers.get(name);
    if (!entry?.server) return;
    const { server } = entry;
    entry.server = null;
    for (const socket of entry.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  for (const name of SERVER_NAMES) await listen(name, 0);
  const base = (name: ProviderServerName) => `http://127.0.0.1:${servers.get(name)?.port}`;
  const config = {
    youtubeApiBaseUrl: `${base('youtubeApi')}/youtube/v3`,
    youtubeOembedUrl: `${base('youtubeOembed')}/oembed`,
    vimeoOembedUrl: `${base('vimeo')}/api/oembed.json`,
    soundcloudOembedUrl: `${base('soundcloud')}/oembed`,
  };

  return {
    config,
    youtubeApiKey: YOUTUBE_API_KEY,
    requests,
    async setFault(target, fault) {
      for (const name of target === 'all' ? SERVER_NAMES : [target]) {
        const previous = faults.get(name);
        faults.set(name, fault);
        const entry = servers.get(name);
        if (fault === 'down') await close(name);
        else if (entry && !entry.server) await listen(name, entry.port);
        // Requests a slow server was holding are dropped once it is no longer slow.
        if (previous === 'slow' && fault !== 'slow')
          for (const socket of entry?.sockets ?? []) socket.destroy();
      }
    },
    addYouTubeVideo: (video) => void youtube.set(video.id, video),
    addVimeoVideo: (video) => void vimeo.set(video.id, video),
    addSoundCloudTrack: (track) => void soundcloud.set(track.path, track),
    clearRequests: () => void requests.splice(0),
    async stop() {
      for (const name of SERVER_NAMES) await close(name);
    },
  };
}

/** Provider servers for this test file, with any fault switched off after each test. */
export function useProviderServers(): ProviderServers {
  let running: RunningProviderServers | undefined;
  beforeAll(async () => {
    running = await startProviderServers();
  });
  afterEach(async () => {
    await running?.setFault('all', 'none');
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): RunningProviderServers => {
    if (!running) throw new Error('useProviderServers(): use the servers inside a test or hook');
    return running;
  };
  return {
    get config() {
      return current().config;
    },
    get youtubeApiKey() {
      return current().youtubeApiKey;
    },
    get requests() {
      return current().requests;
    },
    setFault: (server, fault) => current().setFault(server, fault),
    addYouTubeVideo: (video) => current().addYouTubeVideo(video),
    addVimeoVideo: (video) => current().addVimeoVideo(video),
    addSoundCloudTrack: (track) => current().addSoundCloudTrack(track),
    clearRequests: () => current().clearRequests(),
  };
}

/** The body of a Google API error, as the Data API sends it. */
function googleError(code: number, message: string, reason: string) {
  return {
    error: {
      code,
      message,
      errors: [{ message, domain: 'global', reason }],
      status: code === 400 ? 'INVALID_ARGUMENT' : code === 404 ? 'NOT_FOUND' : 'INTERNAL',
    },
  };
}

function soundcloudError(message: string) {
  return { errors: [{ error_message: message }] };
}

/** A `youtube#video` resource with the parts asked for, the way the Data API shapes it. */
function youtubeVideoResource(video: FakeYouTubeVideo, parts: string[]) {
  const thumbnail = (name: string, width: number, height: number) => ({
    url: `https://i.ytimg.com/vi/${video.id}/${name}.jpg`,
    width,
    height,
  });
  return {
    kind: 'youtube#video',
    etag: `etag-${video.id}`,
    id: video.id,
    ...(parts.includes('snippet')
      ? {
          snippet: {
            publishedAt: '2009-10-25T06:57:33Z',
            channelId: 'UCuAXFkgsw1L7xaCfnd5JJOw',
            title: video.title,
            description: video.description,
            thumbnails: {
              default: thumbnail('default', 120, 90),
              medium: thumbnail('mqdefault', 320, 180),
              high: thumbnail('hqdefault', 480, 360),
              standard: thumbnail('sddefault', 640, 480),
              maxres: thumbnail('maxresdefault', 1280, 720),
            },
            channelTitle: video.channelTitle,
            tags: ['atrium', 'testkit'],
            categoryId: '10',
            liveBroadcastContent: video.duration === 'P0D' ? 'live' : 'none',
            defaultLanguage: 'en',
            localized: { title: video.title, description: video.description },
            defaultAudioLanguage: 'en',
          },
        }
      : {}),
    ...(parts.includes('contentDetails')
      ? {
          contentDetails: {
            duration: video.duration,
            dimension: '2d',
            definition: 'hd',
            caption: 'false',
            licensedContent: true,
            contentRating: {},
            projection: 'rectangular',
          },
        }
      : {}),
  };
}
