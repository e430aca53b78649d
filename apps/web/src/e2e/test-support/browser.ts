import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

const repoRoot = path.resolve(__dirname, '../../../../..');
/** Screenshots and measurements (gitignored). */
export const resultsDir = path.join(repoRoot, 'test-results/web');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/**
 * A refusal of the API that the page handles and shows (a 4xx of `/v1/…`): Chromium logs every failed
 * request as a console error, but for these the page is doing its job, not failing.
 */
function isHandledApiRefusal(message: ConsoleMessage): boolean {
  if (!/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return false;
  try {
    return new URL(message.location().url).pathname.startsWith('/v1/');
  } catch {
    return false;
  }
}

export interface BrowserSession {
  readonly context: BrowserContext;
  /** Console errors, uncaught exceptions and unhandled rejections of every page of this session. */
  readonly problems: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh profile of its own (its own cookies: one person). */
export async function openBrowser(label: string): Promise<BrowserSession> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), `platform-web-${label}-`));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const problems: string[] = [];
  // Chromium reports unhandled rejections only as exceptions in its log; this turns them into console errors too.
  await context.addInitScript({
    content:
      "addEventListener('unhandledrejection', (event) => console.error('unhandled rejection: ' + String(event.reason)));",
  });
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error' && !isHandledApiRefusal(message)) {
        problems.push(`${page.url()}: console error: ${message.text()} (${message.location().url})`);
      }
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: uncaught: ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    problems,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(resultsDir, { recursive: true });
  const width = page.viewportSize()?.width ?? DESKTOP.width;
  await page.screenshot({ path: path.join(resultsDir, `${name}-${width}.png`), fullPage: true });
}

/** Loads `url` in a fresh page and sums the JavaScript it fetched, gzipped (what a first visit downloads). */
export async function firstLoadJavaScript(
  session: BrowserSession,
  url: string,
): Promise<{ files: number; gzipBytes: number; rawBytes: number }> {
  const page = await session.newPage();
  const bodies: Promise<Buffer>[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') bodies.push(response.body());
  });
  // 'load' waits for every script the page starts with; 'networkidle' never comes, the event stream stays open.
  await page.goto(url, { waitUntil: 'load' });
  const scripts = await Promise.all(bodies);
  await page.close();
  return {
    files: scripts.length,
    rawBytes: scripts.reduce((sum, body) => sum + body.length, 0),
    gzipBytes: scripts.reduce((sum, body) => sum + gzipSync(body).length, 0),
  };
}
