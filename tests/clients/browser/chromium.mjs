// Debian's Chromium, headless, for the browser checks: the flags this kind of
// machine needs (no sandbox as root; no background networking, whose
// connections a closed network refuses) and a fresh profile each time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

/** The Chromium binary: CHROMIUM, or Debian's. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * A persistent context in a new profile, with `options` for playwright's
 * `launchPersistentContext`; `close()` closes it and removes the profile.
 */
export async function launch(options = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'relgate-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
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
    ...options,
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * Lets `context`'s requests and WebSockets to `origin` through and refuses
 * every other one, recording its URL in `blocked` (a check fails on any).
 */
export async function blockOtherOrigins(context, origin, blocked) {
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let reqOrigin;
    try {
      reqOrigin = new URL(url).origin;
    } catch {
      reqOrigin = 'invalid';
    }
    if (reqOrigin === origin) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    if (new URL(ws.url()).origin.replace(/^ws/, 'http') === origin) return ws.connectToServer();
    blocked.push(ws.url());
    return ws.close();
  });
}
