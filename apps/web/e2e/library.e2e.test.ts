import { useProviderServers } from '@atrium/testkit';
import { createTestOrg, createTestUser } from '@atrium/testkit/factories';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, screenshot, useE2eStack } from './harness.ts';
import { signInWithApi } from './session.ts';

const PASSWORD = 'harbour lantern orbit 42';
const CREATOR = { name: 'Cleo Creator', email: 'cleo@library-e2e.example', roles: ['creator'] };
const EDITOR = { name: 'Eddie Editor', email: 'eddie@library-e2e.example', roles: ['editor'] };
const OPERATOR = {
  name: 'Otto Operator',
  email: 'otto@library-e2e.example',
  roles: ['viewer'],
  platformRole: 'operator' as const,
};
const UI = { timeout: 10_000 };

describeInBrowser('library: import, publish, find with a typo, watch', () => {
  // Started first, so the API below is pointed at these local stand-ins for YouTube's endpoints.
  const providers = useProviderServers();
  const stack = useE2eStack({
    name: 'library',
    worker: true,
    apiEnv: {
      get YOUTUBE_API_KEY() {
        return providers.youtubeApiKey;
      },
      get YOUTUBE_API_BASE_URL() {
        return providers.config.youtubeApiBaseUrl;
      },
      get YOUTUBE_OEMBED_URL() {
        return providers.config.youtubeOembedUrl;
      },
    },
  });
  let orgSlug = '';

  beforeAll(async () => {
    const org = await createTestOrg(stack.database.db, { name: 'Library E2E' });
    orgSlug = org.slug;
    for (const member of [CREATOR, EDITOR, OPERATOR]) {
      await createTestUser(stack.database.db, { orgId: org.id, ...member, password: PASSWORD });
    }
  });

  it('a creator imports a YouTube link, an editor publishes it, a visitor finds it misspelt and plays it', async () => {
    stack.screenshotOnFailure('library');
    const creator = await stack.open();
    await signInWithApi(creator, { email: CREATOR.email, password: PASSWORD });
    await creator.goto('/creator/content');
    await creator.getByLabel('Video or track address').fill('https://www.youtube.com/watch?v=dQw4w9WgXcQ');
    await creator.getByRole('button', { name: 'Import', exact: true }).click();
    await creator.getByTestId('import-result').waitFor(UI);
    const row = creator.getByRole('row', { name: /Never Gonna Give You Up/ });
    await row.waitFor(UI);
    expect(await row.textContent()).toContain('Draft');

    const editor = await stack.open();
    await signInWithApi(editor, { email: EDITOR.email, password: PASSWORD });
    await editor.goto('/review/content');
    const waiting = editor.getByRole('row', { name: /Never Gonna Give You Up/ });
    await waiting.getByRole('button', { name: 'Publish' }).click();
    await editor.getByTestId('content-review-empty').waitFor(UI);

    const visitor = await stack.open();
    await visitor.goto(`/o/${orgSlug}`);
    // "Astely": two letters swapped; the worker indexes within a second, the search forgives the typo.
    await visitor.getByLabel('Search the library').fill('rick astely');
    const hit = visitor.getByRole('link', { name: /Never Gonna Give You Up/ });
    await hit.waitFor(UI);
    await expect.poll(() => visitor.getByTestId('library-total').textContent(), UI).toBe('1 result');
    await screenshot(visitor, 'library-search');
    await hit.click();
    const embed = visitor.getByTestId('media-embed');
    await embed.waitFor(UI);
    expect(await embed.getAttribute('data-provider')).toBe('youtube');
    expect(await embed.getAttribute('src')).toBe('https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ');
    await screenshot(visitor, 'library-content');
  });

  it('an operator rebuilds the search index from Ops and watches it finish live', async () => {
    stack.screenshotOnFailure('reindex');
    const page = await stack.open();
    await signInWithApi(page, { email: OPERATOR.email, password: PASSWORD });
    await page.goto('/ops/search-index');
    await page.getByRole('button', { name: 'Rebuild the search index' }).click();
    const progress = page.getByTestId('reindex-progress');
    await expect
      .poll(() => progress.getByRole('status').textContent(), UI)
      .toMatch(/^Done: 1 published item/);
    await screenshot(page, 'ops-search-index');
  });
});
