/**
 * The web console's Deployments page with 500 deployments in its history: time to first render (first
 * contentful paint) and to interactive (the history list hydrated, its handlers attached) in headless
 * Chromium, and the JavaScript a first visit downloads, gzipped.
 *
 * The stack is the e2e's (gateway and deployer as processes, the console's production build served as
 * `npm start` serves it). The history is seeded straight into the deployer's read model table `deployments`
 * of the stack's own schema (500 rows of one service, as the projection writes them): deploying 500 times
 * would measure the deployer, not the page.
 *
 * Run with `npm run bench:web`; the last line is a JSON summary.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { Pool } from 'pg';
import { chromium } from 'playwright-core';
import { testServices } from '@platform/testing';
import { startConsoleStack } from '../apps/web/src/e2e/test-support/console-stack';

const DEPLOYMENTS = 500;
const RUNS = 7;
const TARGET_TTI_MS = 1000;
const TARGET_JS_GZ_KB = 200;
/** The rows of the history table. */
const ROWS = 'table[aria-label="Deployment history"] tbody tr';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const round = (value: number) => Math.round(value * 10) / 10;

async function main(): Promise<void> {
  execFileSync('bash', [path.resolve(__dirname, '../scripts/ensure-chromium.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  console.error('· building the console and starting the stack…');
  const stack = await startConsoleStack('webbench');
  const pool = new Pool({ connectionString: testServices.databaseUrl, max: 2 });
  try {
    const call = async <T>(method: string, route: string, token: string | undefined, body?: unknown): Promise<T> => {
      const response = await fetch(`${stack.gatewayUrl}${route}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const email = `bench-${randomUUID().slice(0, 8)}@example.com`;
    const password = 'correct horse battery staple';
    const signup = await call<{ token: string; user: { id: string }; workspace: { id: string } }>(
      'POST',
      '/v1/auth/signup',
      undefined,
      {
        email,
        password,
        workspaceName: 'Bench',
      },
    );
    const { projectId } = await call<{ projectId: string }>('POST', '/v1/projects', signup.token, { name: 'shop' });
    for (let i = 0; ; i++) {
      const response = await fetch(`${stack.gatewayUrl}/v1/projects/${projectId}`, {
        headers: { authorization: `Bearer ${signup.token}` },
      });
      await response.body?.cancel();
      if (response.ok) break;
      if (i > 100) throw new Error('the project never showed');
      await sleep(100);
    }
    const { serviceId } = await call<{ serviceId: string }>(
      'POST',
      `/v1/projects/${projectId}/services`,
      signup.token,
      { name: 'web', port: 3000 },
    );
    for (let i = 0; ; i++) {
      const response = await fetch(`${stack.gatewayUrl}/v1/services/${serviceId}`, {
        headers: { authorization: `Bearer ${signup.token}` },
      });
      await response.body?.cancel();
      if (response.ok) break;
      if (i > 100) throw new Error('the service never showed');
      await sleep(100);
    }

    // 500 finished deployments, one a minute back from now, a few failed, each on two servers.
    const started = Date.now();
    const servers = [randomUUID(), randomUUID()];
    await pool.query(
      `INSERT INTO ${stack.schemas.deployments}.deployments
         (id, workspace_id, service_id, status, image_tag, source, rollback_of, servers, failure_reason, requested_by, requested_at, finished_at, duration_ms)
       SELECT id, $1, $2, CASE WHEN n % 17 = 0 THEN 'failed' ELSE 'succeeded' END, 'deploy_' || substr(replace(id::text, '-', ''), 1, 8),
              jsonb_build_object('type', 'image', 'image', 'registry.example.com/shop/web:1.' || n),
              NULL, $3::jsonb, CASE WHEN n % 17 = 0 THEN 'health check failed on a server' END, $4,
              now() - n * interval '1 minute', now() - n * interval '1 minute' + interval '9 seconds', 9000 + n
         FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $5::int) AS n) AS seed`,
      [
        signup.workspace.id,
        serviceId,
        JSON.stringify(
          Object.fromEntries(
            servers.map((id, index) => [
              id,
              { status: 'switched', reason: null, url: `http://10.0.0.${index + 1}:80` },
            ]),
          ),
        ),
        signup.user.id,
        DEPLOYMENTS,
      ],
    );
    console.error(`· seeded ${DEPLOYMENTS} deployments in ${Date.now() - started} ms`);

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    // The session cookie, set for the console's origin as the login page gets it; each run starts from it.
    const setup = await browser.newContext();
    const login = await setup.request.post(`${stack.consoleUrl}/v1/auth/login`, { data: { email, password } });
    if (!login.ok()) throw new Error(`login: HTTP ${login.status()}`);
    const storageState = await setup.storageState();
    await setup.close();
    // Interactive = the history list's effects have run (React hydrated it): it marks itself data-interactive.
    const interactiveProbe = `
        window.__interactiveAt = undefined;
        new MutationObserver((_, observer) => {
          if (document.querySelector('[data-interactive="true"]')) { window.__interactiveAt = performance.now(); observer.disconnect(); }
        }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-interactive'] });
      `;
    const url = `${stack.consoleUrl}/deployments?serviceId=${serviceId}`;

    const runs: {
      firstRender: number;
      tti: number;
      jsGzip: number;
      jsRaw: number;
      scripts: number;
      rows: number;
      serverMs: number;
    }[] = [];
    for (let run = 0; run <= RUNS; run++) {
      // Every run is a first visit: a fresh context (no cache) holding only the session cookie.
      const context = await browser.newContext({ storageState, viewport: { width: 1280, height: 800 } });
      await context.addInitScript({ content: interactiveProbe });
      const page = await context.newPage();
      const bodies: Promise<Buffer>[] = [];
      page.on('response', (response) => {
        if (response.request().resourceType() === 'script') bodies.push(response.body());
      });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction('window.__interactiveAt !== undefined', undefined, { timeout: 30_000 });
      // Evaluated in the page (a string: this file is typed for Node.js, not the DOM).
      const timing = await page.evaluate<{ firstRender: number; tti: number; serverMs: number; rows: number }>(`(() => {
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        const navigation = performance.getEntriesByType('navigation')[0];
        return {
          firstRender: paint ? paint.startTime : NaN,
          tti: window.__interactiveAt,
          serverMs: navigation.responseStart - navigation.requestStart,
          rows: document.querySelectorAll(${JSON.stringify(ROWS)}).length,
        };
      })()`);
      const scripts = await Promise.all(bodies);
      // The page works, not just paints: "Load more" fetches the next page of the 500.
      await page.getByRole('button', { name: 'Load more' }).click();
      await page
        .waitForFunction(`document.querySelectorAll(${JSON.stringify(ROWS)}).length > ${timing.rows}`, undefined, {
          timeout: 15_000,
        })
        .catch(async (error: unknown) => {
          throw new Error(
            `"Load more" added no rows; the page says: ${(await page.locator('.toasts').textContent()) ?? ''}`,
            { cause: error },
          );
        });
      await context.close();
      const result = {
        ...timing,
        scripts: scripts.length,
        jsRaw: scripts.reduce((sum, body) => sum + body.length, 0),
        jsGzip: scripts.reduce((sum, body) => sum + gzipSync(body).length, 0),
      };
      console.error(
        `· run ${run}${run === 0 ? ' (warm-up, not counted)' : ''}: first render ${round(result.firstRender)} ms, interactive ${round(result.tti)} ms, ` +
          `server ${round(result.serverMs)} ms, ${result.rows} rows, ${result.scripts} scripts ${round(result.jsGzip / 1024)} kB gzipped`,
      );
      if (run > 0) runs.push(result);
    }
    await browser.close();

    const tti = round(median(runs.map((run) => run.tti)));
    const firstRender = round(median(runs.map((run) => run.firstRender)));
    const jsGzKb = round(median(runs.map((run) => run.jsGzip)) / 1024);
    const summary = {
      page: '/deployments?serviceId=…',
      deployments_in_history: DEPLOYMENTS,
      rows_first_page: runs[0].rows,
      runs: runs.length,
      first_render_ms: firstRender,
      tti_ms: tti,
      tti_p_max_ms: round(Math.max(...runs.map((run) => run.tti))),
      server_response_ms: round(median(runs.map((run) => run.serverMs))),
      first_load_js_kb: jsGzKb,
      first_load_js_gz_kb: jsGzKb,
      first_load_js_raw_kb: round(median(runs.map((run) => run.jsRaw)) / 1024),
      first_load_scripts: runs[0].scripts,
      tti_target_ms: TARGET_TTI_MS,
      js_target_kb: TARGET_JS_GZ_KB,
      within_targets: tti < TARGET_TTI_MS && jsGzKb < TARGET_JS_GZ_KB,
    };
    console.log(JSON.stringify(summary));
  } finally {
    await pool.end();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
