import { deflateSync } from 'node:zlib';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { signInWithApi } from './session.ts';

const PASSWORD = 'copper meadow signal 17';
const PUBLISHER = { name: 'Pia Publisher', email: 'pia@datasets-e2e.example', roles: ['publisher'] };
const UI = { timeout: 15_000 };

/** A real PNG of one colour (so the browser decodes it), built with zlib. */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describeInBrowser('datasets: ingest wizard and the viewer of every item type, in Chromium', () => {
  const stack = useE2eStack({ name: 'datasets' });
  const { open, screenshotOnFailure } = stack;

  beforeAll(async () => {
    const org = await createTestOrg(stack.database.db, { name: 'Datasets E2E' });
    await createTestUser(stack.database.db, { orgId: org.id, ...PUBLISHER, password: PASSWORD });
  });

  async function openItem(page: Page, title: string) {
    await page.getByRole('link', { name: title, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor(UI);
  }

  it('ingests one item of each type (uploads with progress, per-item errors, publish), then views each', async () => {
    screenshotOnFailure('datasets');
    const page = await open();
    await signInWithApi(page, { email: PUBLISHER.email, password: PASSWORD });
    await page.goto('/datasets/new');
    await page.getByLabel('Name').fill('Harbour survey');
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.getByTestId('draft-created').waitFor(UI);

    await page.getByTestId('ingest-files').setInputFiles([
      { name: 'before.png', mimeType: 'image/png', buffer: png(40, 30, [200, 40, 40]) },
      { name: 'after.png', mimeType: 'image/png', buffer: png(40, 30, [40, 40, 200]) },
      { name: 'harbour.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(20_000, 7) },
      { name: 'guide.mp3', mimeType: 'audio/mpeg', buffer: Buffer.alloc(12_000, 3) },
    ]);
    const uploads = page.getByTestId('upload-list').locator('li');
    await expect.poll(() => uploads.count(), UI).toBe(4);
    await expect.poll(() => page.locator('[data-phase="done"]').count(), UI).toBe(4);
    await expect
      .poll(
        () =>
          page
            .locator('progress')
            .evaluateAll((bars) => bars.map((bar) => (bar as HTMLProgressElement).value)),
        UI,
      )
      .toEqual([1, 1, 1, 1]);

    // A broken item: nothing is published, and the problem is named per item.
    await page.getByTestId('suggest-manifest').click();
    const manifest = page.getByLabel('Manifest (JSON)');
    const suggested = JSON.parse(await manifest.inputValue()) as {
      items: Array<{ type: string; title: string; payload: Record<string, unknown> }>;
    };
    expect(suggested.items.map((item) => item.type).sort()).toEqual([
      'audio_with_captions',
      'image_pair_compare',
      'image_ranked_gallery',
      'video_with_timeline',
    ]);
    await manifest.fill(
      JSON.stringify({ items: [...suggested.items, { type: 'hologram', title: 'Broken', payload: {} }] }),
    );
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await expect.poll(() => page.getByTestId('item-errors').textContent(), UI).toContain('Item 5 “Broken”');

    // Timeline and captions worth seeking, then publish for real.
    const items = suggested.items.map((item) => {
      if (item.type === 'video_with_timeline')
        return {
          ...item,
          title: 'Harbour video',
          payload: {
            ...item.payload,
            timeline: [
              { atSeconds: 0, label: 'Start' },
              { atSeconds: 2, label: 'Ferry leaves' },
            ],
          },
        };
      if (item.type === 'audio_with_captions')
        return {
          ...item,
          title: 'Harbour guide',
          payload: {
            ...item.payload,
            captions: [
              { startSeconds: 0, endSeconds: 1, text: 'Welcome aboard' },
              { startSeconds: 1, endSeconds: 3, text: 'Look left' },
            ],
          },
        };
      return item;
    });
    await manifest.fill(JSON.stringify({ items }));
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Harbour survey' }).waitFor(UI);
    for (const label of [
      'Image pair (1)',
      'Ranked gallery (1)',
      'Video with timeline (1)',
      'Audio with captions (1)',
    ])
      await page.getByRole('button', { name: label }).waitFor(UI);
    await screenshot(page, 'datasets-published');

    const datasetUrl = page.url();
    await openItem(page, 'before.png and after.png');
    const pair = page.getByTestId('viewer-image-pair');
    await expect
      .poll(
        () =>
          pair
            .locator('img')
            .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth)),
        UI,
      )
      .toEqual([40, 40]);
    await pair.getByRole('slider').fill('20');
    expect(await pair.locator('.compare__after').getAttribute('style')).toContain('inset(0px 80% 0px 0px)');

    await page.goto(datasetUrl);
    await openItem(page, 'Gallery');
    await expect.poll(() => page.getByTestId('viewer-ranked-gallery').locator('li').count(), UI).toBe(2);

    await page.goto(datasetUrl);
    await openItem(page, 'Harbour video');
    const video = page.getByTestId('video-player');
    await expect.poll(() => video.getAttribute('src'), UI).toMatch(/\/objects\/.+sig=/);
    await page.getByRole('button', { name: /Ferry leaves/ }).click();
    await expect.poll(() => video.evaluate((el) => (el as HTMLVideoElement).currentTime), UI).toBe(2);

    await page.goto(datasetUrl);
    await openItem(page, 'Harbour guide');
    const audio = page.getByTestId('audio-player');
    await expect.poll(() => audio.getAttribute('src'), UI).toMatch(/\/objects\/.+sig=/);
    await page.getByRole('button', { name: /Look left/ }).click();
    await expect.poll(() => page.getByTestId('caption-now').textContent(), UI).toBe('Look left');
  });
});
