import { testRedisUrl, useProviderServers, useTestDatabase, waitFor } from '@atrium/testkit';
import { createTestOrg } from '@atrium/testkit/factories';
import { type RunningWorker, startWorker } from '@atrium/worker';
import { testWorkerEnv } from '@atrium/worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.ts';
import { callerAs, member } from './content-helpers.ts';
import { testApiEnv } from './helpers.ts';
import { codeOf } from './ops-helpers.ts';

/**
 * Import by URL (SPEC §4) against local servers answering like YouTube, Vimeo and SoundCloud: the
 * provider registry's metadata becomes a draft through the normal create flow; a duplicate address
 * answers the existing item; unknown addresses 422; a provider down 502 with nothing created; a bulk
 * import runs in the worker with a line per address.
 */
describe('imports.*', { timeout: 60_000 }, () => {
  const t = useTestDatabase();
  const providers = useProviderServers();
  const prefix = `t:imp:${Date.now().toString(36)}:`;
  let services: Services;
  let worker: RunningWorker;
  let orgId: string;
  let creator: Awaited<ReturnType<typeof member>>;

  const providerEnv = () => ({
    YOUTUBE_API_KEY: providers.youtubeApiKey,
    YOUTUBE_API_BASE_URL: providers.config.youtubeApiBaseUrl,
    YOUTUBE_OEMBED_URL: providers.config.youtubeOembedUrl,
    VIMEO_OEMBED_URL: providers.config.vimeoOembedUrl,
    SOUNDCLOUD_OEMBED_URL: providers.config.soundcloudOembedUrl,
    IMPORT_PROVIDER_TIMEOUT_MS: '1000',
  });

  beforeAll(async () => {
    services = await createServices(testApiEnv(t.url, { REDIS_PREFIX: prefix, ...providerEnv() }));
    worker = await startWorker(
      testWorkerEnv(t.url, {
        REDIS_PREFIX: prefix,
        REDIS_URL: testRedisUrl() ?? undefined,
        ...providerEnv(),
      }),
    );
    orgId = (await createTestOrg(t.db)).id;
    creator = await member(t.db, orgId, ['creator']);
  });
  afterAll(async () => {
    await worker?.stop();
    await services?.close();
  });

  const as = (who: { session: Parameters<typeof callerAs>[1] }) => callerAs(services, who.session);
  const contentCount = async () =>
    Number(
      (
        await t.db
          .selectFrom('contents')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('org_id', '=', orgId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('a YouTube address becomes a draft with the Data API metadata (duration in seconds) and its embed', async () => {
    const result = await as(creator).imports.byUrl({ url: 'https://youtu.be/dQw4w9WgXcQ' });
    expect(result.created).toBe(true);
    expect(result.content).toMatchObject({
      status: 'draft',
      authorId: creator.user.id,
      title: 'Rick Astley - Never Gonna Give You Up (Official Video) (4K Remaster)',
      durationSeconds: 214,
      language: 'en',
      media: { provider: 'youtube', mediaType: 'video', source: 'external' },
    });
    const events = await t.db
      .selectFrom('outbox_events')
      .select('type')
      .where('aggregate_id', '=', result.content.id)
      .execute();
    expect(events.map((e) => e.type)).toEqual(['ContentCreated']);
  });

  it('the same media again (another form of its address): the existing item, nothing new', async () => {
    const before = await contentCount();
    const again = await as(creator).imports.byUrl({
      url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10',
    });
    expect(again.created).toBe(false);
    expect(await contentCount()).toBe(before);
    // Another creator may not see that draft: 409, and it is not named.
    const other = await member(t.db, orgId, ['creator']);
    try {
      await as(other).imports.byUrl({ url: 'https://youtu.be/dQw4w9WgXcQ' });
      expect.unreachable();
    } catch (error) {
      const cause = (error as { cause?: { code?: string; details?: Record<string, unknown> } }).cause;
      expect(cause?.code).toBe('CONFLICT');
      expect(cause?.details).toEqual({ reason: 'DUPLICATE_MEDIA' });
    }
  });

  it('an unknown address is 422 UNSUPPORTED_URL; a provider down is 502 and creates nothing', async () => {
    expect(await codeOf(as(creator).imports.byUrl({ url: 'https://example.com/video/1' }))).toBe(
      'UNPROCESSABLE',
    );
    const before = await contentCount();
    await providers.setFault('vimeo', 'down');
    try {
      expect(await codeOf(as(creator).imports.byUrl({ url: 'https://vimeo.com/76979871' }))).toBe(
        'BAD_GATEWAY',
      );
    } finally {
      await providers.setFault('vimeo', 'none');
    }
    expect(await contentCount()).toBe(before);
  });

  it('imports.bulk runs in the worker: one result line per address, progress readable while it runs', async () => {
    const urls = [
      'https://vimeo.com/76979871',
      'https://soundcloud.com/forss/flickermood',
      'https://example.com/not-a-provider',
      'https://youtu.be/jNQXAC9IVRw',
      'https://youtu.be/jNQXAC9IVRw',
    ];
    const batch = await as(creator).imports.bulk({ urls });
    expect(batch).toMatchObject({ status: 'queued', total: 5, done: 0 });
    const finished = await waitFor(
      async () => {
        const status = await as(creator).imports.status({ id: batch.id });
        return status.status === 'completed' ? status : null;
      },
      { what: 'the bulk import to finish' },
    );
    expect(finished.results.map((line) => [line.url, line.outcome])).toEqual([
      [urls[0], 'created'],
      [urls[1], 'created'],
      [urls[2], 'failed'],
      [urls[3], 'created'],
      [urls[4], 'existing'],
    ]);
    expect(finished.results[2]).toMatchObject({ code: 'UNPROCESSABLE' });
    const sound = finished.results[1];
    const view = await as(creator).content.get({ id: sound && 'contentId' in sound ? sound.contentId : '' });
    expect(view.media).toMatchObject({ provider: 'soundcloud', mediaType: 'audio' });
    // Someone else's batch is not found.
    const other = await member(t.db, orgId, ['creator']);
    expect(await codeOf(as(other).imports.status({ id: batch.id }))).toBe('NOT_FOUND');
    expect(
      await codeOf(as(creator).imports.bulk({ urls: Array.from({ length: 501 }, () => urls[0] as string) })),
    ).toBe('VALIDATION_ERROR');
  });
});
