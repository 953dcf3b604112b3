import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { chromium, type BrowserContext } from 'playwright-core';
import { DEAD_LETTER_BOARD_NAME } from '../../src/platform/admin-ui/dead-letter-board.adapter.js';
import { EventBusStats } from '../../src/platform/events/index.js';
import { bearer, devToken } from '../support/auth/dev-tokens.js';
import { projectRoot } from '../support/child-app.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { WidgetsFeature } from '../events/fixtures/widgets.feature.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const shots = join(projectRoot, 'test-results', 'ops');
const deadLetters = (app: RunningApp) => app.app.get(EventBusStats, { strict: false }).deadLetterCount();

describe('browser: /docs and /admin/queues render in headless Chromium', () => {
  it('has Debian chromium (.ci/run installs it)', () => {
    // Fails loudly rather than skipping: a missing browser must not pass as "nothing to test".
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  });

  let app: RunningApp;
  let profile: string;
  let browser: BrowserContext | undefined;
  beforeAll(async () => {
    app = await bootInProcess('ops_browser', { APP_ROLE: 'all' }, [(role) => WidgetsFeature.forRole(role)]);
    profile = mkdtempSync(join(tmpdir(), 'keel-chromium-'));
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  async function open(headers: Record<string, string> = {}): Promise<BrowserContext> {
    await browser?.close();
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      extraHTTPHeaders: headers,
      viewport: { width: 1280, height: 900 },
    });
    return browser;
  }

  it('refuses /admin/queues without a token (401) and without the admin role (403)', async () => {
    expect((await fetch(`${app.url}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${app.url}/admin/queues`, { headers: await bearer('someone') })).status).toBe(403);
  });

  it('shows Bull Board with every subscriber queue, and the dead letters, to an admin', async () => {
    // One dead letter: the flaky subscriber fails all 3 attempts while its fault switch is on.
    const db = app.app.get<Connection>(getConnectionToken());
    await db.collection('test_faults').insertOne({ _id: 'flaky' as never, on: true });
    const admin = { authorization: `Bearer ${await devToken('ops-admin', { roles: ['admin'] })}` };
    const posted = await fetch(`${app.url}/test/widgets`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'test.widget.broken' }),
    });
    expect(posted.status).toBe(202);
    const deadline = Date.now() + 15_000;
    while ((await deadLetters(app)) === 0) {
      if (Date.now() > deadline) throw new Error('no dead letter was recorded');
      await new Promise((r) => setTimeout(r, 200));
    }

    const page = (await open(admin)).pages()[0]!;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${app.url}/admin/queues`, { waitUntil: 'networkidle' });
    expect(res?.status()).toBe(200);
    for (const queue of ['events.{test.audit}', 'events.{test.mailer}', 'events.{test.flaky}']) {
      await page.getByText(queue, { exact: false }).first().waitFor({ timeout: 15_000 });
    }
    await page.getByText('dead letters').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'bull-board.png') });

    await page.goto(`${app.url}/admin/queues/queue/${encodeURIComponent(DEAD_LETTER_BOARD_NAME)}?status=failed`, {
      waitUntil: 'networkidle',
    });
    await page.getByText('fault injected', { exact: false }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'bull-board-dead-letters.png') });
    expect(errors).toEqual([]);
  });

  it('shows the OpenAPI UI at /docs', async () => {
    const page = (await open()).pages()[0]!;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${app.url}/docs`, { waitUntil: 'networkidle' });
    expect(res?.status()).toBe(200);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15_000 });
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('keel API');
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'docs.png') });
    expect(errors).toEqual([]);
  });
});
