import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type DashboardServer, serveDashboard } from '../../src/dashboard/index.js';
import type { ClaimedJob } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { useTestQueue } from '../helpers/database.js';
import { useWorkerProcesses } from '../helpers/processes.js';

/**
 * The dashboard in a real Chromium (the Debian package, which .ci/run installs), driven by
 * playwright-core. Without the browser the file is skipped, and says so.
 */
const CHROMIUM = process.env.PGPULSE_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `dashboard browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set PGPULSE_CHROMIUM)`,
  );
}
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const { db, sql, queue } = await useTestQueue();
const spawn = useWorkerProcesses(db.url, sql);
let browser: Browser;
let server: DashboardServer;
let readOnlyServer: DashboardServer;

beforeAll(async () => {
  if (!hasChromium) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless=new'],
  });
  server = await serveDashboard(queue, { port: 0 });
  readOnlyServer = await serveDashboard(queue, { port: 0, readOnly: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await readOnlyServer?.close();
});

/** A fresh page; any error the page's scripts raise fails the test. */
async function open(path: string, base = server): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('EventSource'))
      errors.push(message.text());
  });
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(new URL(path.replace(/^\//, ''), base.url).toString());
  return page;
}

/** Serious or critical accessibility violations axe-core finds on the page. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
    violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe.skipIf(!hasChromium)('the dashboard in Chromium', () => {
  test('the overview updates live when other processes send and complete jobs', async () => {
    await queue.queues.upsert('live');
    const page = await open('/');
    await expect.poll(() => page.getByTestId('connection-status').textContent()).toMatch(/live/i);
    const completed = page.getByTestId('count-live-completed');
    await expect.poll(() => completed.textContent(), { timeout: 20_000 }).toMatch(/^\s*0\s*$/);
    await spawn({ TEST_QUEUE: 'live' });
    for (let i = 0; i < 3; i++) {
      const sent = await runCli(['--database-url', db.url, 'job', 'send', 'live', `{"n":${i}}`]);
      expect(sent.code, sent.stderr).toBe(0);
    }
    await expect.poll(() => completed.textContent(), { timeout: 30_000 }).toMatch(/^\s*3\s*$/);
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  test('a lost connection shows as such, and the page reconnects by itself', async () => {
    const own = await serveDashboard(queue, { port: 0 });
    const port = Number(new URL(own.url).port);
    const page = await open('/', own);
    const status = () => page.getByTestId('connection-status').textContent();
    await expect.poll(status).toMatch(/^\s*live\s*$/);
    await own.close();
    await expect.poll(status, { timeout: 20_000 }).toMatch(/reconnecting/);
    const again = await serveDashboard(queue, { port });
    try {
      await expect.poll(status, { timeout: 30_000 }).toMatch(/^\s*live\s*$/);
    } finally {
      await page.close();
      await again.close();
    }
  });

  test('a dead job is retried from its page and completes', async () => {
    const { id } = await queue.send('retry-me', { order: 7 }, { maxAttempts: 1 });
    const [claimed] = await queue.claim('retry-me');
    await queue.fail(claimed as ClaimedJob, new Error('card declined'));
    const page = await open(`/jobs/${id}`);
    await expect.poll(() => page.getByTestId('job-state').first().textContent()).toMatch(/dead/);
    await page.getByTestId('job-action-retry').click();
    await expect.poll(() => page.getByTestId('job-state').first().textContent()).toMatch(/pending/);
    const worker = queue.work('retry-me', async () => 'paid');
    await expect
      .poll(async () => (await queue.getJob(id))?.state, { timeout: 20_000 })
      .toBe('completed');
    await worker.stop();
    await page.reload();
    await expect
      .poll(() => page.getByTestId('job-state').first().textContent())
      .toMatch(/completed/);
    await page.close();
  });

  test('purge refuses without the typed confirmation', async () => {
    await queue.sendBatch('purge-ui', [{ payload: 1 }, { payload: 2 }]);
    const page = await open('/queues/purge-ui');
    await page.getByTestId('purge-button').click();
    const submit = page.getByTestId('purge-submit');
    await expect.poll(() => submit.isDisabled()).toBe(true);
    await page.getByTestId('purge-confirm-input').fill('purge-u');
    expect(await submit.isDisabled()).toBe(true);
    expect((await queue.stats('purge-ui')).counts.pending).toBe(2);
    await page.getByTestId('purge-confirm-input').fill('purge-ui');
    await expect.poll(() => submit.isDisabled()).toBe(false);
    await submit.click();
    await expect.poll(async () => (await queue.stats('purge-ui')).counts.pending).toBe(0);
    await page.close();
  });

  test('a hostile payload renders as text and runs nothing', async () => {
    const hostile = {
      html: '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">',
      link: 'javascript:window.__pwned = 3',
    };
    const { id } = await queue.send('hostile', hostile);
    const page = await open(`/jobs/${id}`);
    const payload = page.getByTestId('job-payload');
    await expect.poll(() => payload.textContent()).toContain('<script>window.__pwned = 1</script>');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.close();
  });

  test('a read-only dashboard offers no mutation', async () => {
    const { id } = await queue.send('ro-ui', {}, { maxAttempts: 1 });
    const [claimed] = await queue.claim('ro-ui');
    await queue.fail(claimed as ClaimedJob, new Error('x'));
    const mutating =
      '[data-testid^="job-action-"], [data-testid="purge-button"], [data-testid^="dead-redrive"], [data-testid="settings-save"], button:has-text("Pause"), button:has-text("Resume"), button:has-text("Trigger")';
    for (const path of [`/jobs/${id}`, '/queues/ro-ui', '/dead', '/schedules']) {
      const page = await open(path, readOnlyServer);
      await page.waitForSelector('main h1');
      // The live stream never goes idle: wait for the page's reads, at most a few seconds.
      await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);
      expect(await page.locator(mutating).count(), path).toBe(0);
      await page.close();
    }
  });

  test('no serious accessibility violation on any page', async () => {
    const { id } = await queue.send('a11y', { to: 'ada@example.com' });
    await queue.schedules.set('nightly', { queue: 'a11y', cron: '0 3 * * *' });
    const flow = await queue.flow([
      { ref: 'a', queue: 'a11y', payload: {} },
      { ref: 'b', queue: 'a11y', payload: {}, dependsOn: ['a'] },
    ]);
    const pages: string[] = [
      '/',
      '/queues/a11y',
      `/jobs/${id}`,
      '/dead',
      '/schedules',
      '/flows',
      `/flows/${flow.flowId}`,
      '/workers',
    ];
    for (const path of pages) {
      const page = await open(path);
      await page.waitForSelector('main h1');
      await page.waitForLoadState('networkidle').catch(() => undefined);
      expect(await axeViolations(page), path).toEqual([]);
      expect((page as Page & { errors: string[] }).errors, path).toEqual([]);
      await page.close();
    }
  });
});

describe('pgpulse dashboard (the command)', () => {
  test('a non-loopback bind without auth refuses to start', async () => {
    const run = await runCli([
      '--database-url',
      db.url,
      'dashboard',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/without authentication/);
  });
});
