/**
 * The web console end to end: Debian's Chromium drives the production build of the console in front of the
 * real gateway, deployer and provisioner (local servers: Docker and nginx on this machine). Screenshots of
 * each main page, at 1280 and 390 px, land in test-results/web/.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { createGzip } from 'node:zlib';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { packDirectory } from '@platform/archive';
import { ensureBaseImages } from '@platform/build';
import { FakeDigitalOcean } from '@platform/cloud/testing';
import {
  DESKTOP,
  firstLoadJavaScript,
  openBrowser,
  PHONE,
  resultsDir,
  screenshot,
  type BrowserSession,
} from './test-support/browser';
import { eventually, freePort } from '@platform/testing';
import { startConsoleStack, type ConsoleStack } from './test-support/console-stack';

const repoRoot = path.resolve(__dirname, '../../../..');
const password = 'correct horse battery staple';
const owner = { email: `owner-${randomUUID().slice(0, 8)}@example.com`, workspace: 'Acme' };
const viewer = { email: `viewer-${randomUUID().slice(0, 8)}@example.com`, workspace: 'Viewer home' };
const serviceId = randomUUID();
const serverId = randomUUID();

let stack: ConsoleStack;
/** DigitalOcean as the provisioner sees it: checks every request against the official API document. */
let digitalOcean: FakeDigitalOcean;
let ownerBrowser: BrowserSession;
let viewerBrowser: BrowserSession | undefined;
let page: Page;
/** examples/hello packed as a .tar.gz, as a person would upload it. */
let helloArchive: Buffer;

/** `GET /v1/me` with a token, straight at the gateway: what a program holding that token gets. */
async function meStatus(token: string): Promise<number> {
  const response = await fetch(`${stack.gatewayUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  return response.status;
}

/** `GET /` through a server's edge with the service's hostname as Host, on a new connection. */
function viaEdge(ip: string, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: ip, port: 80, path: '/', headers: { host, connection: 'close' }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(`${res.statusCode ?? 0} ${body}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(`error ${error.message}`));
    req.end();
  });
}

/**
 * Most navigations here are client-side (the App Router); waiting for a 'load' event that only full page
 * loads fire would wait forever, so waits end when the new URL is committed.
 */
async function logIn(target: Page, email: string): Promise<void> {
  await target.goto(`${stack.consoleUrl}/login`);
  await target.getByLabel('Email').fill(email);
  await target.getByLabel('Password').fill(password);
  await target.getByLabel('Password').press('Enter');
  await target.waitForURL(`${stack.consoleUrl}/`, { waitUntil: 'commit' });
}

beforeAll(async () => {
  execFileSync('bash', [path.join(repoRoot, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
  const pack = async () => buffer(packDirectory(path.join(repoRoot, 'examples/hello')).pipe(createGzip()));
  digitalOcean = await FakeDigitalOcean.start();
  // Its droplets are on this machine, where no agent answers (a port nobody listens on): a snapshot's build fails
  // at its (short) deadline, which the console shows live.
  digitalOcean.addressOf = () => '127.0.0.1';
  [stack, helloArchive] = await Promise.all([
    startConsoleStack('web', {
      provisioner: true,
      webhooks: true,
      provisionerEnv: {
        DIGITALOCEAN_API_URL: digitalOcean.url,
        PLATFORM_PUBLIC_ADDRESS: '127.0.0.1',
        DIGITALOCEAN_AGENT_PORT: String(await freePort()),
        SNAPSHOT_DEADLINE_MS: '8000',
        // What cloud-init would install on a stock image; the fake's droplets run nothing.
        AGENT_RELEASE_URL: 'https://127.0.0.1:9/platform-agent.tar.gz',
        AGENT_RELEASE_SHA256: '0'.repeat(64),
      },
    }),
    pack(),
    ensureBaseImages(['node']),
  ]);
  ownerBrowser = await openBrowser('owner');
  page = await ownerBrowser.newPage();
  page.setDefaultTimeout(15_000);
}, 240_000);

afterAll(async () => {
  await viewerBrowser?.close();
  await ownerBrowser?.close();
  await stack?.stop();
  await digitalOcean?.close();
}, 60_000);

describe('web console', () => {
  it('signs up, shows the empty state, and creates, edits and deletes a deploy config while the activity feed follows live', async () => {
    await page.goto(`${stack.consoleUrl}/signup`);
    await screenshot(page, 'signup');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill('too short');
    await page.getByLabel('Workspace name').fill(owner.workspace);
    await page.getByRole('button', { name: 'Create account' }).click();
    // The API's own message, under the field it is about.
    await page.getByText('Must be at least 10 characters').waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL(`${stack.consoleUrl}/`, { waitUntil: 'commit' });
    await page.getByRole('heading', { name: owner.workspace, level: 1 }).waitFor();
    await page.getByText('Live', { exact: true }).filter({ visible: true }).waitFor();
    // A new workspace: the Overview shows how to start, and no services table.
    await page.getByRole('heading', { name: 'Getting started' }).waitFor();
    expect(await page.getByRole('table', { name: 'Services' }).count()).toBe(0);
    await screenshot(page, 'overview');

    await page.getByRole('link', { name: 'Deploy configs' }).click();
    await page.getByText('No deploy configs yet').waitFor();
    await screenshot(page, 'deploy-configs-empty');

    await page.getByRole('link', { name: 'Create your first deploy config' }).click();
    await page.waitForURL(`${stack.consoleUrl}/deploy-configs/new`, { waitUntil: 'commit' });
    await page.getByLabel('Name').fill('web');
    await page.getByLabel('Service id').fill(serviceId);
    await page.getByLabel('Image reference').fill('Not An Image');
    await page.getByLabel('Server ids').fill(serverId);
    await page.getByRole('button', { name: 'Create deploy config' }).click();
    await page.getByText(/must be an image reference/i).waitFor();
    // Focus lands on the field the API refused.
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('image');
    await screenshot(page, 'deploy-config-errors');

    await page.getByLabel('Image reference').fill('nginx:1.27');
    await page.getByLabel('Image reference').press('Enter');
    await page.waitForURL(`${stack.consoleUrl}/deploy-configs`, { waitUntil: 'commit' });
    await page.getByRole('link', { name: 'web', exact: true }).waitFor();
    await page.getByText('nginx:1.27').waitFor();
    await screenshot(page, 'deploy-configs');

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('link', { name: 'Deploy config “web” created' }).waitFor();
    await page.evaluate(() => Object.assign(globalThis, { stillTheSamePage: true }));

    // Someone edits the config in another tab; the activity page shows it without a reload.
    const editor = await ownerBrowser.newPage();
    await editor.goto(`${stack.consoleUrl}/deploy-configs`);
    await editor.getByRole('link', { name: 'Edit web' }).click();
    await editor.getByLabel('Image reference').fill('nginx:1.28');
    await editor.getByRole('button', { name: 'Save changes' }).click();
    await editor.waitForURL(`${stack.consoleUrl}/deploy-configs`, { waitUntil: 'commit' });
    await editor.getByText('nginx:1.28').waitFor();
    await editor.close();
    await page.getByRole('link', { name: 'Deploy config “web” updated' }).waitFor();
    expect(await page.evaluate(() => (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    await screenshot(page, 'activity');

    await page.getByRole('link', { name: 'Deploy configs' }).click();
    await page.getByRole('button', { name: 'Delete web' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “web”?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete web' }).click();
    await dialog.getByRole('button', { name: 'Delete deploy config' }).click();
    await page.getByText('No deploy configs yet').waitFor();
    await page.getByText('Deploy config “web” deleted.').waitFor();

    // Two more, through the API from the page (same origin, the session cookie): the list pages with a cursor.
    // One after the other: commands are handled concurrently, so only this makes 'worker' the newer one.
    for (const name of ['api', 'worker']) {
      await page.evaluate(
        async ({ name, serviceId, serverId }) => {
          const response = await fetch('/v1/deploy-configs', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              name,
              serviceId,
              source: { type: 'git', url: 'https://github.com/acme/app', ref: 'main' },
              serverIds: [serverId],
            }),
          });
          if (response.status !== 202) throw new Error(`create ${name}: HTTP ${response.status}`);
        },
        { name, serviceId, serverId },
      );
      // It arrives on the event stream, and the open list shows it without a reload.
      await page.getByRole('link', { name, exact: true }).waitFor();
    }
    await page.goto(`${stack.consoleUrl}/deploy-configs?limit=1`);
    await page.getByRole('link', { name: 'worker', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'api', exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByRole('link', { name: 'api', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
  }, 60_000);

  it('creates an API token that is shown once, copies it, and revokes it', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(`${stack.consoleUrl}/settings/members`, { waitUntil: 'commit' });
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByText('No API tokens yet').waitFor();
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByLabel('Name').fill('ci');
    await page.getByLabel('Name').press('Enter');

    const secret = page.getByLabel('The new API token');
    await secret.waitFor();
    const token = (await secret.textContent()) ?? '';
    expect(token).toMatch(/^plt_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    ).toBe(token);
    await screenshot(page, 'api-token-created');
    expect(await meStatus(token)).toBe(200);

    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: 'ci', exact: true }).waitFor();
    expect(await page.content()).not.toContain(token);
    await screenshot(page, 'api-tokens');

    await page.getByRole('button', { name: 'Revoke ci' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('No API tokens yet').waitFor();
    expect(await meStatus(token)).toBe(401);
  }, 30_000);

  it('adds a webhook whose secret is shown once, sends it a test event, and redelivers it from the delivery log', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.end('thanks');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    try {
      await page.goto(`${stack.consoleUrl}/settings/webhooks`);
      await page.getByRole('heading', { name: 'No webhooks yet' }).waitFor();
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      await page.getByLabel('URL').fill(url);
      await page.getByRole('checkbox', { name: 'DeploymentFailed' }).uncheck();
      await page.getByRole('button', { name: 'Add endpoint' }).last().click();
      const shown = page.getByLabel('The signing secret', { exact: true });
      await shown.waitFor();
      const secret = (await shown.textContent()) ?? '';
      expect(secret).toMatch(/^whsec_/);
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByRole('cell', { name: url, exact: true }).waitFor();
      expect(await page.content()).not.toContain(secret);
      expect(await page.getByRole('table', { name: 'Webhook endpoints' }).textContent()).toContain(
        'DeploymentSucceeded',
      );

      await page.getByRole('button', { name: 'Send test' }).click();
      await eventually(() => expect(received).toHaveLength(1));
      expect(new Webhook(secret).verify(received[0].body, received[0].headers as Record<string, string>)).toMatchObject(
        {
          type: 'WebhookTest',
        },
      );
      await page.getByRole('button', { name: 'Deliveries' }).click();
      const log = page.getByRole('table', { name: 'Deliveries' });
      // The answer is recorded just after it arrives: the log is refreshed until it shows it.
      await eventually(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await log.getByText('succeeded').waitFor({ timeout: 1000 });
      }, 10_000);
      await screenshot(page, 'webhook-deliveries');
      await log.getByRole('button', { name: 'Redeliver' }).click();
      await eventually(() => expect(received).toHaveLength(2));
      expect(received[1].headers['webhook-id']).toBe(received[0].headers['webhook-id']);
      await page.keyboard.press('Escape');
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  }, 60_000);

  it("adds a member, showing the API's refusals, and a viewer sees no mutating buttons while the API refuses anyway", async () => {
    const signup = await fetch(`${stack.gatewayUrl}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: viewer.email, password, workspaceName: viewer.workspace }),
    });
    expect(signup.status).toBe(201);

    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Email', { exact: true }).fill('nobody@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('No account uses nobody@example.com; ask them to sign up first, then add them').waitFor();
    await page.getByLabel('Email', { exact: true }).fill(viewer.email);
    await page.getByLabel('Email', { exact: true }).press('Enter');
    await page.getByRole('cell', { name: viewer.email, exact: true }).waitFor();
    await screenshot(page, 'members');

    viewerBrowser = await openBrowser('viewer');
    const viewerPage = await viewerBrowser.newPage();
    viewerPage.setDefaultTimeout(15_000);
    await logIn(viewerPage, viewer.email);
    await viewerPage.getByRole('heading', { name: viewer.workspace, level: 1 }).waitFor();
    await viewerPage.getByRole('button', { name: /Switch workspace/ }).click();
    await viewerPage.getByRole('button', { name: `${owner.workspace} viewer` }).click();
    await viewerPage.getByRole('heading', { name: owner.workspace, level: 1 }).waitFor();

    await viewerPage.getByRole('link', { name: 'Deploy configs' }).click();
    await viewerPage.getByRole('link', { name: 'worker', exact: true }).waitFor();
    expect(await viewerPage.getByRole('link', { name: /New deploy config|Edit/ }).count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    await screenshot(viewerPage, 'deploy-configs-as-viewer');
    await viewerPage.goto(`${stack.consoleUrl}/deploy-configs/new`);
    await viewerPage.getByText('Your role cannot create deploy configs').waitFor();
    await viewerPage.goto(`${stack.consoleUrl}/settings/members`);
    await viewerPage.getByRole('cell', { name: owner.email, exact: true }).waitFor();
    expect(await viewerPage.getByRole('button', { name: /Remove|Add member/ }).count()).toBe(0);
    expect(await viewerPage.getByRole('combobox').count()).toBe(0);
    await screenshot(viewerPage, 'members-as-viewer');
    await viewerPage.getByRole('link', { name: 'Cloud providers' }).click();
    await viewerPage.getByLabel('DigitalOcean: not connected').waitFor();
    await viewerPage.getByText('An owner or admin saves and removes their tokens').waitFor();
    expect(await viewerPage.locator('input[type="password"]').count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: /Save token|Disconnect/ }).count()).toBe(0);
    await screenshot(viewerPage, 'providers-as-viewer');

    // The buttons are hidden for clarity; the API is what refuses.
    const workspaceId = await viewerPage.evaluate(async () => {
      const response = await fetch('/v1/me');
      return ((await response.json()) as { workspaces: { id: string; role: string }[] }).workspaces.find(
        (workspace) => workspace.role === 'viewer',
      )?.id;
    });
    const refusal = await viewerPage.evaluate(
      async ({ workspaceId, serviceId, serverId }) => {
        const response = await fetch('/v1/deploy-configs', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-workspace-id': workspaceId ?? '' },
          body: JSON.stringify({
            name: 'sneaky',
            serviceId,
            source: { type: 'image', image: 'nginx:1.27' },
            serverIds: [serverId],
          }),
        });
        return { status: response.status, body: (await response.json()) as { error: { code: string } } };
      },
      { workspaceId, serviceId, serverId },
    );
    expect(refusal).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });

    // A page whose data the API refuses shows the API's message.
    const missing = randomUUID();
    await viewerPage.goto(`${stack.consoleUrl}/deploy-configs/${missing}`);
    // While the page streams in, the old and the new content may briefly both be there.
    await viewerPage.getByRole('alert').getByText(`Deploy config ${missing} does not exist`).first().waitFor();
    await screenshot(viewerPage, 'api-error');

    await page.getByLabel(`Role of ${viewer.email}`).selectOption('member');
    await page.getByText(`${viewer.email} is now member.`).waitFor();
    await page.getByRole('button', { name: `Remove ${viewer.email}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove member' }).click();
    await page.getByRole('cell', { name: viewer.email, exact: true }).waitFor({ state: 'detached' });
  }, 60_000);

  it('invites someone by a link shown once: they sign up with it and join, and the link then works no more', async () => {
    const invited = `invited-${randomUUID().slice(0, 8)}@example.com`;
    // Still on Settings → Members, where the previous test left the owner.
    await page.getByText('People join this instance by invitation').waitFor();
    await page.getByLabel('Invite role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    const link = (await page.getByLabel('The invitation link', { exact: true }).textContent()) ?? '';
    expect(link).toMatch(new RegExp(`^${stack.consoleUrl}/signup\\?invite=pli_`));
    await screenshot(page, 'invitation-link');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    const invitations = page.getByRole('table', { name: 'Invitations' });
    await invitations.getByText('pending').waitFor();
    // Shown once: the list never holds the secret.
    expect(await invitations.textContent()).not.toContain(link.split('invite=')[1]);

    const invitedBrowser = await openBrowser('invited');
    try {
      const invitedPage = await invitedBrowser.newPage();
      invitedPage.setDefaultTimeout(15_000);
      await invitedPage.goto(link);
      await invitedPage.getByRole('heading', { name: 'Join your team' }).waitFor();
      expect(await invitedPage.getByLabel('Workspace name').count()).toBe(0);
      await invitedPage.getByLabel('Email').fill(invited);
      await invitedPage.getByLabel('Password').fill(password);
      await invitedPage.getByRole('button', { name: 'Create account and join' }).click();
      await invitedPage.waitForURL(`${stack.consoleUrl}/`, { waitUntil: 'commit' });
      await invitedPage.getByRole('heading', { name: owner.workspace, level: 1 }).waitFor();
    } finally {
      await invitedBrowser.close();
    }
    const again = await fetch(`${stack.gatewayUrl}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `late-${invited}`,
        password,
        invite: decodeURIComponent(link.split('invite=')[1]),
      }),
    });
    expect(again.status).toBe(409);

    await page.reload();
    await page.getByRole('cell', { name: invited, exact: true }).waitFor();
    await page.getByRole('table', { name: 'Invitations' }).getByText('used').waitFor();
  }, 60_000);

  it('logs out and back in', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${stack.consoleUrl}/login`, { waitUntil: 'commit' });
    await screenshot(page, 'login');
    await page.goto(`${stack.consoleUrl}/deploy-configs`);
    await page.waitForURL(`${stack.consoleUrl}/login`, { waitUntil: 'commit' });
    await logIn(page, owner.email);
    await page.getByRole('heading', { name: owner.workspace, level: 1 }).waitFor();
  }, 30_000);

  it('provisions a local server, uploads and deploys the sample app live, deploys v2, and rolls back to v1 from the history', async () => {
    // Infrastructure: provision a local server; its status follows the event stream without a reload.
    await page.getByRole('link', { name: 'Infrastructure' }).click();
    await page.getByText('No servers yet').waitFor();
    await page.evaluate(() => Object.assign(globalThis, { stillTheSamePage: 'infrastructure' }));
    await page.getByRole('button', { name: 'Provision a server' }).first().click();
    await page.getByLabel('Server name').fill('edge-1');
    await page.getByRole('button', { name: 'Provision server' }).click();
    await page
      .getByLabel('Status of edge-1: provisioning')
      .or(page.getByLabel('Status of edge-1: booting'))
      .or(page.getByLabel('Status of edge-1: ready'))
      .first()
      .waitFor();
    await page.getByLabel('Status of edge-1: ready').waitFor({ timeout: 90_000 });
    expect(await page.evaluate(() => (globalThis as { stillTheSamePage?: string }).stillTheSamePage)).toBe(
      'infrastructure',
    );
    const row = page.locator('tr[data-server="edge-1"]');
    const ip = ((await row.locator('td[data-label="IP"]').textContent()) ?? '').trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await screenshot(page, 'infrastructure-ready');

    // Delete asks first and spells out the force option; cancelled here.
    await page.getByRole('button', { name: 'Delete edge-1' }).click();
    const deleteDialog = page.getByRole('dialog', { name: 'Delete “edge-1”?' });
    await deleteDialog.getByText(/Force: also delete the cloud server/).waitFor();
    await screenshot(page, 'server-delete-dialog');
    await deleteDialog.getByRole('button', { name: 'Cancel' }).click();
    await deleteDialog.waitFor({ state: 'hidden' });

    // Projects and services: environment values are shown masked, never as written.
    await page.getByRole('link', { name: 'Projects & services' }).click();
    await page.getByText('No projects yet').waitFor();
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByLabel('Project name').fill('demo');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'demo', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'New service' }).click();
    await page.getByLabel('Service name').fill('hello');
    await page.getByLabel('Port').fill('3000');
    await page.getByLabel('Health check path').fill('/health');
    await page.getByLabel('Environment values').fill('VERSION=v1\nAPI_SECRET=hunter2-do-not-show');
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();
    await page.getByText('API_SECRET=').waitFor();
    expect(await page.content()).not.toContain('hunter2-do-not-show');
    await page.getByRole('button', { name: 'Edit hello' }).click();
    await page.getByLabel('Remove API_SECRET').check();
    await page.getByRole('button', { name: 'Save service' }).click();
    await page.getByText('Service “hello” saved.').waitFor();
    await page.getByText('API_SECRET=').waitFor({ state: 'detached' });
    const hostname = ((await page.locator('td[data-label="Hostname"]').first().textContent()) ?? '').trim();
    expect(hostname).toContain('hello');
    await screenshot(page, 'projects');

    // Deploy: the archive dropped on the file input, the only ready server chosen; the live log reaches "succeeded".
    await page.getByRole('link', { name: 'Deploy', exact: true }).click();
    await page
      .getByLabel('Source archive')
      .setInputFiles({ name: 'hello.tar.gz', mimeType: 'application/gzip', buffer: helloArchive });
    await page.getByText('hello.tar.gz (').waitFor();
    await page.getByRole('checkbox', { name: /edge-1/ }).check();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const liveLog = page.getByLabel('Live log');
    await liveLog.getByText(/uploaded hello\.tar\.gz/).waitFor();
    await liveLog.getByText(/deployment succeeded/).waitFor({ timeout: 120_000 });
    await page.getByLabel('edge-1: switched').waitFor();
    await page.getByRole('status', { name: 'Your app' }).getByText(`http://${hostname}`).first().waitFor();
    await screenshot(page, 'deploy-succeeded');
    const firstDeployment =
      ((await page.getByRole('link', { name: 'Details' }).getAttribute('href')) ?? '').split('/').pop() ?? '';
    expect(await viaEdge(ip, hostname)).toMatch(/^200 v1 /);

    // A second version, with an extra environment value; the upload is reused.
    await page.getByLabel('Extra environment values').fill('VERSION=v2');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await liveLog.getByText(/deployment succeeded/).waitFor({ timeout: 120_000 });
    expect(await liveLog.getByText(/uploaded hello/).count()).toBe(0);
    expect(await viaEdge(ip, hostname)).toMatch(/^200 v2 /);

    // The history: both, newest first; roll back to the first from it, with confirmation, and watch it live.
    await page.getByRole('link', { name: 'Deployments', exact: true }).click();
    const history = page.getByRole('table', { name: 'Deployment history' });
    await history.locator('tbody tr').nth(1).waitFor();
    expect(await history.locator('tbody tr').count()).toBe(2);
    const firstTag = `deploy_${firstDeployment.replace(/-/g, '').slice(0, 8)}`;
    await page.getByRole('button', { name: `Roll back to ${firstTag}` }).click();
    await page
      .getByRole('dialog', { name: `Roll back to ${firstTag}?` })
      .getByRole('button', { name: 'Roll back' })
      .click();
    const rollbackRow = history.locator('tbody tr').filter({ hasText: `rollback of ${firstDeployment.slice(0, 8)}` });
    await rollbackRow.waitFor();
    await rollbackRow.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 });
    expect(await viaEdge(ip, hostname)).toMatch(/^200 v1 /);
    await screenshot(page, 'deployments-history');

    // Details with the full log.
    await page.getByRole('link', { name: firstDeployment.slice(0, 8), exact: true }).click();
    await page.getByRole('heading', { name: `Deployment ${firstDeployment.slice(0, 8)}`, level: 1 }).waitFor();
    await page
      .getByLabel('Deployment log')
      .getByText(/\[build/)
      .first()
      .waitFor();
    await screenshot(page, 'deployment-details');

    // The Overview: the service runs, opens at its link, runs the rolled-back version on edge-1; no Getting started.
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const serviceRow = page.getByRole('table', { name: 'Services' }).locator('tr[data-service="hello"]');
    await serviceRow.getByLabel('Status of hello: running').waitFor();
    const serviceLink = serviceRow.getByRole('link', { name: `http://${hostname}`, exact: true });
    expect(await serviceLink.getAttribute('href')).toBe(`http://${hostname}`);
    await serviceRow.locator('td[data-label="Deployed"]').getByRole('link', { name: firstTag }).waitFor();
    expect(((await serviceRow.locator('td[data-label="Servers"]').textContent()) ?? '').trim()).toBe('edge-1');
    expect(await page.getByRole('heading', { name: 'Getting started' }).count()).toBe(0);
    await screenshot(page, 'overview-deployed');
  }, 240_000);

  it("connects DigitalOcean on the providers page: a refused token shows the API's message, the saved one is never shown, and snapshots offer its regions", async () => {
    // Before a token: building a snapshot is disabled and says what to do first; DigitalOcean's catalogue says to save a token.
    await page.getByRole('link', { name: 'Infrastructure' }).click();
    const snapshots = page.locator('#snapshots');
    await snapshots.getByText('No snapshots yet').waitFor();
    expect(await snapshots.getByRole('button', { name: 'Build a snapshot' }).isDisabled()).toBe(true);
    await snapshots.getByText('Snapshots are DigitalOcean images: connect DigitalOcean first').waitFor();
    await page.getByRole('button', { name: 'Provision a server' }).first().click();
    const provision = page.getByRole('dialog', { name: 'Provision a server' });
    await provision.getByLabel('Provider').selectOption('digitalocean');
    await provision.getByRole('alert').getByRole('link', { name: 'Settings → Cloud providers' }).waitFor();
    await screenshot(page, 'provision-digitalocean-without-token');
    await provision.getByRole('button', { name: 'Cancel' }).click();
    await snapshots.getByRole('link', { name: 'Settings → Cloud providers' }).click();
    await page.waitForURL(`${stack.consoleUrl}/settings/providers`, { waitUntil: 'commit' });

    const card = page.locator('section[data-provider="digitalocean"]');
    await card.getByLabel('DigitalOcean: not connected').waitFor();
    await screenshot(page, 'providers-not-connected');
    const field = card.getByLabel('DigitalOcean API token');
    expect(await field.getAttribute('type')).toBe('password');

    // A token DigitalOcean refuses: the API's own message, under the field, which gets the focus.
    const wrongToken = `dop_v1_${'0'.repeat(64)}`;
    await field.fill(wrongToken);
    const refused = page.waitForResponse(
      (response) => response.url().endsWith('/v1/providers/digitalocean') && response.request().method() === 'PUT',
    );
    await card.getByRole('button', { name: 'Save token' }).click();
    const refusal = (await (await refused).json()) as {
      error: { code: string; message: string; details?: { path: string; message: string }[] };
    };
    expect(refusal.error.code).toBe('validation_failed');
    const shown =
      refusal.error.details?.find((detail) => detail.path === 'body.token')?.message ?? refusal.error.message;
    await card.getByText(shown[0].toUpperCase() + shown.slice(1)).waitFor();
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('token');
    await card.getByLabel('DigitalOcean: not connected').waitFor();
    await screenshot(page, 'providers-refused');

    // The token it accepts: connected, with the account's email; the field is emptied and the token is nowhere on the page.
    await field.fill(digitalOcean.token);
    await field.press('Enter');
    await card.getByLabel('DigitalOcean: connected').waitFor();
    await card.locator('dd[data-field="account"]').getByText('ops@example.test').waitFor();
    await card.getByRole('status').getByText('DigitalOcean accepted the token as ops@example.test').waitFor();
    expect(await field.inputValue()).toBe('');
    expect(await page.content()).not.toContain(digitalOcean.token);
    const inputValues = await page
      .locator('input')
      .evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value));
    expect(inputValues.filter((value) => value.includes(digitalOcean.token))).toEqual([]);
    await card.getByRole('button', { name: 'Replace token' }).waitFor();
    await screenshot(page, 'providers-connected');

    // Snapshots: building one now offers DigitalOcean's regions, fra1 among them.
    await page.getByRole('link', { name: 'Infrastructure' }).click();
    await snapshots.getByRole('button', { name: 'Build a snapshot' }).click();
    const build = page.getByRole('dialog', { name: 'Build a snapshot' });
    const region = build.getByLabel('Region');
    await region.waitFor();
    await region.locator('option[value="fra1"]').waitFor({ state: 'attached' });
    await build.getByLabel('Builder size').locator('option[value="s-1vcpu-1gb"]').waitFor({ state: 'attached' });
    await screenshot(page, 'snapshot-build-dialog');

    // Build one: the row appears and moves on live, from the event stream; the build fails (no agent answers),
    // saying where and why; deleting it asks first.
    await build.getByRole('button', { name: 'Build snapshot' }).click();
    await build.waitFor({ state: 'hidden' });
    await page.getByText('A snapshot is being built in fra1').waitFor();
    const snapshotRow = snapshots.locator('tr[data-snapshot]');
    await snapshotRow.getByText('building', { exact: true }).waitFor();
    await snapshotRow.getByRole('group', { name: 'Step 2 of 4: wait for agent' }).waitFor();
    await screenshot(page, 'snapshot-building');
    await snapshotRow.getByText('failed', { exact: true }).waitFor({ timeout: 60_000 });
    await snapshotRow
      .locator('.danger-text')
      .getByText(/within 8 s/)
      .waitFor();
    await snapshotRow.getByText(/^platform-agent-/).waitFor();
    await screenshot(page, 'snapshot-failed');
    await snapshotRow.getByRole('button', { name: /^Delete platform-agent-/ }).click();
    const deleteSnapshot = page.getByRole('dialog', { name: /^Delete “platform-agent-/ });
    await deleteSnapshot.getByRole('button', { name: 'Delete snapshot' }).click();
    await snapshots.getByText('No snapshots yet').waitFor({ timeout: 30_000 });

    // Provisioning on DigitalOcean offers its regions too, with the optional snapshot picker.
    await page.getByRole('button', { name: 'Provision a server' }).first().click();
    await provision.getByLabel('Provider').selectOption('digitalocean');
    await provision.getByLabel('Region').locator('option[value="fra1"]').waitFor({ state: 'attached' });
    await provision.getByLabel('Snapshot').waitFor();
    await provision.getByText('No ready snapshot in this region').waitFor();
    await screenshot(page, 'provision-digitalocean');
    await provision.getByRole('button', { name: 'Cancel' }).click();

    // Disconnecting asks first; the page then says so, and building snapshots waits for a token again.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Cloud providers' }).click();
    await card.getByRole('button', { name: 'Disconnect DigitalOcean' }).click();
    await page
      .getByRole('dialog', { name: 'Disconnect DigitalOcean?' })
      .getByRole('button', { name: 'Disconnect' })
      .click();
    await card.getByLabel('DigitalOcean: not connected').waitFor();
    await page.getByRole('link', { name: 'Infrastructure' }).click();
    expect(await snapshots.getByRole('button', { name: 'Build a snapshot' }).isDisabled()).toBe(true);
    expect(digitalOcean.violations).toEqual([]);
  }, 60_000);

  it('shows every main page at 1280 and 390 px, with a small first load', async () => {
    const pages = [
      ['overview', '/'],
      ['deploy-configs', '/deploy-configs'],
      ['deploy-config-new', '/deploy-configs/new'],
      ['activity', '/activity'],
      ['deploy', '/deploy'],
      ['deployments', '/deployments'],
      ['projects', '/projects'],
      ['infrastructure', '/infrastructure'],
      ['members', '/settings/members'],
      ['api-tokens', '/settings/tokens'],
      ['providers', '/settings/providers'],
      ['webhooks', '/settings/webhooks'],
    ] as const;
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      for (const [name, pathname] of pages) {
        await page.goto(`${stack.consoleUrl}${pathname}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await screenshot(page, name);
      }
    }
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
    await page.waitForURL(`${stack.consoleUrl}/activity`, { waitUntil: 'commit' });
    await page.setViewportSize(DESKTOP);

    const firstLoad = await firstLoadJavaScript(ownerBrowser, `${stack.consoleUrl}/deploy-configs`);
    const gzipKb = Math.round((firstLoad.gzipBytes / 1024) * 10) / 10;
    await writeFile(
      path.join(resultsDir, 'first-load-js.json'),
      `${JSON.stringify({ page: '/deploy-configs', ...firstLoad, gzipKb })}\n`,
    );
    console.log(
      `first load of /deploy-configs: ${firstLoad.files} scripts, ${gzipKb} kB gzipped (${Math.round(firstLoad.rawBytes / 1024)} kB raw)`,
    );
    expect(gzipKb).toBeLessThan(200);
  }, 90_000);

  it('logged no console error and no unhandled promise rejection on any page', () => {
    expect([...ownerBrowser.problems, ...(viewerBrowser?.problems ?? [])]).toEqual([]);
    expect(digitalOcean.violations).toEqual([]);
  });
});
