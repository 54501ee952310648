import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (`apt-get install -y chromium`) through playwright-core:
 * `npx playwright install` cannot download browsers on our machines. CHROMIUM_PATH overrides it.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Playwright adds `--headless` and a fresh `--user-data-dir` (a temporary profile it deletes on
 * close) itself, and rejects a `--user-data-dir` argument outside launchPersistentContext. Every
 * page below also gets its own browser context, so no cookie or storage leaks between pages.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why browser tests cannot run here, or null when they can. */
export function chromiumUnavailableReason(): string | null {
  return existsSync(CHROMIUM_PATH)
    ? null
    : `Chromium not found at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`;
}

let shared: Promise<Browser> | null = null;

/** The test file's browser, launched on first use; `closeBrowser()` in afterAll. */
export function launchBrowser(): Promise<Browser> {
  shared ??= chromium
    .launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS })
    .catch((error: unknown) => {
      shared = null;
      throw error;
    });
  return shared;
}

export async function closeBrowser(): Promise<void> {
  const browser = shared;
  shared = null;
  await (await browser?.catch(() => null))?.close();
}

export interface PageOptions {
  viewport?: { width: number; height: number };
}

/**
 * A page in a fresh context whose relative URLs resolve against `baseUrl` (`page.goto('/library')`).
 * Uncaught page errors and console errors are echoed to the test output with a `[browser]` prefix.
 */
export async function newPage(baseUrl: string, options: PageOptions = {}): Promise<Page> {
  const browser = await launchBrowser();
  const context: BrowserContext = await browser.newContext({
    baseURL: baseUrl,
    viewport: options.viewport ?? { width: 1280, height: 860 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[browser] page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`[browser] console error: ${message.text()}`);
  });
  // Closing the page closes its context; after closeBrowser() both are gone already.
  page.on('close', () => {
    context.close().catch(() => undefined);
  });
  return page;
}
