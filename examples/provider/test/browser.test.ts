/**
 * The whole demo in a real browser: Chromium (Debian's, at /usr/bin/chromium,
 * driven by playwright-core) opens the demo client, connects with Kraikub,
 * signs in and consents on the provider's pages, and sees the profile from
 * /api/me; then refreshes and revokes. A second run denies the consent.
 *
 * Screenshots of each page are written to /test-results/screenshots/ at the
 * repository root (ignored by git); copies in docs/ illustrate the README.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except
 * under CI=true, where it fails.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toNodeHandler } from '@kraikub/adapter-http/node';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClientApp } from '../../client/src/app.ts';
import { loadSettings } from '../src/config.ts';
import { demoClient, start } from '../src/main.ts';

const executablePath = '/usr/bin/chromium';
const haveChromium = existsSync(executablePath);
const onCi = process.env.CI === 'true';
const screenshots = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));
const stepTimeoutMs = 10_000;

if (!haveChromium && !onCi) {
  console.warn(
    `browser.test.ts: SKIPPED: ${executablePath} not found. Install it with ` +
      '`apt-get install -y chromium` to run the browser tests (under CI=true they fail instead).',
  );
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function close(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

if (!haveChromium && onCi) {
  test('Chromium is installed at /usr/bin/chromium (required under CI=true)', () => {
    expect.fail(`CI=true and ${executablePath} is missing: install it with apt-get install -y chromium`);
  });
}

describe.skipIf(!haveChromium)('the demo in Chromium', () => {
  let tempDir: string;
  let providerHttp: Server | undefined;
  let clientHttp: Server | undefined;
  let browser: Browser | undefined;
  let issuer: string;
  let clientBase: string;
  const contexts: BrowserContext[] = [];
  /** A failed setup, rethrown by each test so that it counts as a failed test, not a skipped one. */
  let setupError: unknown;

  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, 40_000);

  async function setUp() {
    await mkdir(screenshots, { recursive: true });
    tempDir = await mkdtemp(join(tmpdir(), 'kraikub-browser-'));

    // The provider, with the demo client registered by start() itself for the client's port.
    // The provider is reached at 127.0.0.1 and the client at localhost: two sites, as in production.
    const [providerPort, clientPort] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${providerPort}`;
    clientBase = `http://localhost:${clientPort}`;
    const provider = await start(
      loadSettings({
        PORT: String(providerPort),
        HOST: '127.0.0.1',
        ISSUER: issuer,
        CLIENTS_FILE: join(tempDir, 'clients.json'),
        DEMO: 'true',
        DEMO_CLIENT_PORT: String(clientPort),
        LOG_REQUESTS: 'false',
      }),
    );
    providerHttp = provider.http;
    // Demo mode registers the demo app (with its redirect URI on the demo port) and the MCP server's client.
    expect((await provider.clients.findClient('kraikub-demo'))?.redirectUris).toEqual([
      `${clientBase}/callback`,
    ]);

    // The demo client app (examples/client), served on node:http.
    const app = createClientApp({
      issuer,
      clientId: demoClient.id,
      clientSecret: demoClient.secret,
      baseUrl: clientBase,
    });
    clientHttp = createServer(toNodeHandler(app));
    await listen(clientHttp, clientPort);

    browser = await chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 20_000,
    });
  }

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await close(clientHttp);
    await close(providerHttp);
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    if (setupError !== undefined) throw setupError;
    if (browser === undefined) throw new Error('no browser');
    const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
    contexts.push(context);
    context.setDefaultTimeout(stepTimeoutMs);
    context.setDefaultNavigationTimeout(stepTimeoutMs);
    const page = await context.newPage();
    return page;
  }

  /** Clicks a form button and waits for the page the POST (and its redirect) ends on. */
  async function submit(page: Page, selector: string): Promise<{ message: string; error: string }> {
    const loaded = page.waitForEvent('load');
    await page.click(selector);
    await loaded;
    const read = async (id: string) =>
      (await page.locator(id).count()) === 0 ? '' : ((await page.locator(id).textContent()) ?? '');
    return { message: await read('#message'), error: await read('#error') };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`) });
  const text = async (page: Page, selector: string) => (await page.locator(selector).textContent()) ?? '';

  /** Client start → Connect → the provider's login page → signs in → the consent page. */
  async function connectAndSignIn(page: Page, username: string, password: string, shots: boolean) {
    await page.goto(clientBase);
    expect(await text(page, 'h1')).toBe('Kraikub demo app');
    expect(await text(page, 'body')).toContain('Not connected.');
    if (shots) await shot(page, 'client-start');

    await page.click('#connect');
    await page.waitForURL((url) => url.origin === issuer && url.pathname === '/login');
    expect(await text(page, 'h1')).toBe('Sign in');
    expect(await text(page, 'p.sub')).toContain('Kraikub Demo App');
    expect(await page.locator('input[name="csrf"]').getAttribute('value')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    if (shots) await shot(page, 'login');

    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('button[type="submit"]');
    await page.waitForURL((url) => url.origin === issuer && url.pathname === '/consent');
    expect(await text(page, 'h1')).toBe('Kraikub Demo App wants to access your account');
    expect(await page.locator('ul.scopes code').allTextContents()).toEqual([
      'profile',
      'email',
      'offline_access',
    ]);
  }

  test('connect, sign in, consent, see /api/me, refresh and revoke', async () => {
    const page = await newPage();
    await connectAndSignIn(page, 'alice', 'wonderland', true);
    expect(await text(page, 'p.sub')).toContain('Alice Liddell');
    await shot(page, 'consent');

    await page.click('button[value="approve"]');
    await page.waitForURL((url) => url.origin === clientBase && url.pathname === '/');
    await page.locator('#message', { hasText: 'Connected.' }).waitFor();
    expect(await page.locator('#error').count()).toBe(0);
    const profile = JSON.parse(await text(page, '#profile'));
    expect(profile).toEqual({
      sub: 'u-alice',
      name: 'Alice Liddell',
      preferred_username: 'alice',
      email: 'alice@example.com',
    });
    expect(await text(page, 'body')).toContain('Alice Liddell');
    const tokenCell = (name: string) => text(page, `#tokens tr:has(th:text-is("${name}")) td`);
    const firstAccess = await tokenCell('access_token');
    expect(firstAccess).toMatch(/^kba_.{4}….{4}$/);
    expect(await tokenCell('refresh_token')).toMatch(/^kbr_.{4}….{4}$/);
    expect(await tokenCell('token_type')).toBe('bearer');
    expect(await tokenCell('expires_in')).toBe('3600');
    expect(await tokenCell('scope')).toBe('profile email offline_access');
    await shot(page, 'client-connected');

    // Refresh: new tokens replace the old ones.
    expect(await submit(page, '#refresh')).toEqual({
      message: 'Refreshed: new access and refresh tokens.',
      error: '',
    });
    const refreshedAccess = await tokenCell('access_token');
    expect(refreshedAccess).toMatch(/^kba_.{4}….{4}$/);
    expect(refreshedAccess).not.toBe(firstAccess);
    expect(await submit(page, '#call-api')).toEqual({ message: '', error: '' });
    expect(JSON.parse(await text(page, '#profile'))).toMatchObject({ name: 'Alice Liddell' });

    // Revoke: the grant is gone, and the client's next /api/me call gets a 401 challenge.
    expect(await submit(page, '#revoke')).toEqual({
      message: 'Revoked: the grant is gone, so /api/me now answers 401.',
      error: '',
    });
    const afterRevoke = JSON.parse(await text(page, '#profile'));
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke['www-authenticate']).toContain('error="invalid_token"');

    // The revoked refresh token no longer works.
    const refreshAgain = await submit(page, '#refresh');
    expect(refreshAgain.error).toContain('invalid_grant');
  });

  test('deny on the consent page: the client shows access_denied', async () => {
    const page = await newPage();
    await connectAndSignIn(page, 'bob', 'builder', false);
    expect(await text(page, 'p.sub')).toContain('Bob Builder');

    await page.click('button[value="deny"]');
    await page.waitForURL((url) => url.origin === clientBase && url.pathname === '/');
    await page.locator('#error').waitFor();
    expect(await text(page, '#error')).toContain('access_denied');
    expect(await text(page, 'body')).toContain('Not connected.');
    expect(await page.locator('#tokens').count()).toBe(0);
    await shot(page, 'denied');
  });

  test('on a phone: no page overflows, long values wrap; after revoke the dead tokens are not shown', async () => {
    if (browser === undefined) throw setupError ?? new Error('no browser');
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true });
    contexts.push(context);
    context.setDefaultTimeout(stepTimeoutMs);
    const page = await context.newPage();
    const fits = async () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await connectAndSignIn(page, 'bob', 'builder', false);
    expect(await fits(), 'the consent page fits').toBe(true);
    await page.click('button[value="approve"]');
    await page.waitForURL((url) => url.origin === clientBase && url.pathname === '/');
    await page.locator('#message', { hasText: 'Connected.' }).waitFor();
    expect(await page.locator('meta[name="viewport"]').getAttribute('content')).toContain(
      'width=device-width',
    );
    expect(await fits(), 'the token page fits').toBe(true);
    await shot(page, 'client-connected-phone');

    await submit(page, '#revoke');
    expect(await page.locator('#tokens').count()).toBe(0);
    expect(await text(page, '#revoked')).toContain('revoked');
    expect(await text(page, 'body')).not.toMatch(/kb[ar]_/);
    expect(await fits(), 'the revoked page fits').toBe(true);
    const refused = await submit(page, '#refresh');
    expect(refused.error).toContain('invalid_grant');
    expect(await text(page, 'body')).toContain('Not connected.');
  });
});
