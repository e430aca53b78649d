/**
 * Activity shows history: a person who opens it sees what happened before they came (from `GET /v1/events/history`,
 * not from what this browser saw live), after a reload too, and can filter it.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { eventually } from '@platform/testing';
import { openBrowser, type BrowserSession } from './test-support/browser';
import { startConsoleStack, type ConsoleStack } from './test-support/console-stack';

const repoRoot = path.resolve(__dirname, '../../../..');
const email = `history-${randomUUID().slice(0, 8)}@example.com`;
const password = 'correct horse battery staple';

let stack: ConsoleStack;
let browser: BrowserSession;
let page: Page;

beforeAll(async () => {
  execFileSync('bash', [path.join(repoRoot, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
  stack = await startConsoleStack('activity', { distDir: 'dist/e2e-activity' });
  browser = await openBrowser('activity');
  page = await browser.newPage();
  page.setDefaultTimeout(15_000);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

/** A call to the API as a script would make it, with the session token signup gave. */
async function api(token: string, method: string, apiPath: string, body?: unknown) {
  const response = await fetch(`${stack.gatewayUrl}${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Activity', () => {
  it('shows the events of before the page was opened, after a reload too, and filters them', async () => {
    const signup = await fetch(`${stack.gatewayUrl}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, workspaceName: 'History' }),
    });
    const { token } = (await signup.json()) as { token: string };
    // Two things done from a script, before anyone opens the console.
    expect((await api(token, 'POST', '/v1/projects', { name: 'shop' })).status).toBe(202);
    const config = {
      name: 'nightly',
      serviceId: randomUUID(),
      source: { type: 'image', image: 'nginx:1.27' },
      serverIds: [randomUUID()],
    };
    expect((await api(token, 'POST', '/v1/deploy-configs', config)).status).toBe(202);
    await eventually(async () => expect((await api(token, 'GET', '/v1/events/history')).body.items).toHaveLength(2));

    await page.goto(`${stack.consoleUrl}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL(`${stack.consoleUrl}/`, { waitUntil: 'commit' });
    // The Overview's Recent activity has them too.
    await page.getByRole('link', { name: 'Deploy config “nightly” created' }).waitFor();

    await page.goto(`${stack.consoleUrl}/activity`);
    const feed = page.getByRole('list', { name: 'Activity' });
    await feed.getByRole('link', { name: 'Deploy config “nightly” created' }).waitFor();
    await feed.getByText('Project created').waitFor();

    // After a reload, and with nothing kept by this browser: the page loads them from the API again.
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await feed.getByRole('link', { name: 'Deploy config “nightly” created' }).waitFor();
    expect(await feed.getByRole('listitem').count()).toBe(2);

    // Filtered by type: only the project's event.
    // By role: React may still hold a hidden copy of a streamed page, which a label would find too.
    await page.getByRole('textbox', { name: 'Event type' }).fill('ProjectCreated');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/type=ProjectCreated/, { waitUntil: 'commit' });
    await eventually(async () => expect(await feed.getByRole('listitem').allInnerTexts()).toHaveLength(1));
    await feed.getByText('Project created').waitFor();

    // And then live: a change made now appears without a reload (the filter cleared).
    await page.goto(`${stack.consoleUrl}/activity`);
    await feed.getByText('Project created').waitFor();
    expect((await api(token, 'POST', '/v1/projects', { name: 'admin' })).status).toBe(202);
    await eventually(async () => expect(await feed.getByRole('listitem').count()).toBe(3));

    // The owner's Audit log: who changed what, the script's changes included.
    await page.goto(`${stack.consoleUrl}/settings/audit`);
    const audit = page.getByRole('table', { name: 'Audit log' });
    await audit.getByRole('row').filter({ hasText: 'Create deploy config' }).filter({ hasText: email }).waitFor();
    expect(await audit.getByRole('row').filter({ hasText: 'Create project' }).count()).toBe(2);
    expect(browser.problems).toEqual([]);
  }, 180_000);
});
