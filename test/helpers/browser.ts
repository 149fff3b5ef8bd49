/**
 * A real browser for the viewer's end-to-end tests: Debian's Chromium (never a downloaded one)
 * driven by playwright-core, headless, in a fresh profile directory removed afterwards.
 * `shot` saves a PNG under test-results/ so that a person can look at what a test saw.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian installs Chromium (`apt-get install chromium`); `SKEIN_CHROMIUM` overrides it. */
export const CHROMIUM = process.env.SKEIN_CHROMIUM ?? '/usr/bin/chromium';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** A launched browser: one profile (so one cookie jar) in a fresh temporary directory. */
export interface TestBrowser {
  context: BrowserContext;
  /** A new tab, optionally at another size or colour scheme. */
  newPage(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<Page>;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh temporary profile (`--user-data-dir`). */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with apt-get install -y chromium (or set SKEIN_CHROMIUM)`);
  const profile = mkdtempSync(join(tmpdir(), 'skein-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 800 },
    colorScheme: 'light',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async newPage(options = {}) {
      const page = await context.newPage();
      if (options.width !== undefined || options.height !== undefined) await page.setViewportSize({ width: options.width ?? 1100, height: options.height ?? 800 });
      if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of the page as test-results/<name>.png and answers its path. */
export async function shot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  // A whole-page picture is taken from the top, so that the sticky header sits where it belongs.
  if (fullPage) await page.evaluate('window.scrollTo(0, 0)');
  const path = join(RESULTS, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** The little of a page's globals the tests read inside the page (the project's types have no DOM). */
interface PageGlobals {
  document: { querySelectorAll(selector: string): { length: number }; querySelector(selector: string): { getAttribute(name: string): string | null } | null };
  location: { hash: string };
}

/**
 * Waits until `selector` matches at least `n` elements. (A function, not a string: the viewer's
 * Content-Security-Policy forbids evaluating strings in the page.)
 */
export async function waitForCount(page: Page, selector: string, n: number, timeout = 10_000): Promise<void> {
  await page.waitForFunction(([sel, min]) => (globalThis as unknown as PageGlobals).document.querySelectorAll(sel as string).length >= (min as number), [selector, n], { timeout });
}

/** Waits until the first element matching `selector` has `attribute` equal to `value`. */
export async function waitForFirst(page: Page, selector: string, attribute: string, value: string, timeout = 2000): Promise<void> {
  await page.waitForFunction(
    ([sel, attr, want]) => (globalThis as unknown as PageGlobals).document.querySelector(sel!)?.getAttribute(attr!) === want,
    [selector, attribute, value],
    { timeout },
  );
}

/** Waits until the page's URL has a fragment and `selector` matches an element. */
export async function waitForHashAnd(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((sel) => {
    const g = globalThis as unknown as PageGlobals;
    return g.location.hash !== '' && g.document.querySelector(sel) !== null;
  }, selector);
}
