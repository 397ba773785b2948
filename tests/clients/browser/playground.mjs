// relgate's /playground (GraphiQL 5) in a real headless Chromium.
//
//   RELGATE_BASE=http://127.0.0.1:8080 [RELGATE_TOKEN=...] [SCREENSHOT=out.png] \
//     node browser/playground.mjs
//
// Opens the playground with every request to another origin blocked (and
// counted: any such attempt fails the check, the playground must work
// offline), waits for GraphiQL and its Monaco editors, runs the first tab
// (Welcome) with the execute button, and waits for the result pane to show
// `relationTypes` data. Fails on a blank page, an uncaught page error, a
// console error, a GraphQL error in the result or a failed /graphql request.
// Saves a screenshot to SCREENSHOT (default tests/clients/playground.png).
//
// Browser: Debian's Chromium (CHROMIUM, default /usr/bin/chromium; install
// with `apt-get install -y chromium`), driven by playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, blockOtherOrigins, launch } from './chromium.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.RELGATE_BASE ?? '').replace(/\/+$/, '');
const TOKEN = process.env.RELGATE_TOKEN ?? '';
const SCREENSHOT = resolve(process.env.SCREENSHOT ?? join(HERE, '..', 'playground.png'));
const TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT_MS ?? 60000);

function fail(msg) {
  console.log(`browser: FAILED - ${msg}`);
  process.exitCode = 1;
}

if (!BASE) {
  fail('set RELGATE_BASE (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  fail(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  process.exit(1);
}

const origin = new URL(BASE).origin;
const problems = [];
const blocked = [];
const consoleErrors = [];
const graphqlResponses = [];

let summary = '';

/** Runs one stage; its failure names the stage. */
async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`${name}: ${msg}`);
  }
}

let context;
let close = async () => {};
try {
  ({ context, close } = await launch({
    viewport: { width: 1400, height: 860 },
    // With a token, the playground's own requests need it; GraphiQL's
    // header editor would be the person's way, this is the test's.
    extraHTTPHeaders: TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {},
  }));

  // Every request of the pages and their workers: the server's origin goes
  // through, anything else is refused and recorded.
  await blockOtherOrigins(context, origin, blocked);

  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('pageerror', (err) => problems.push(`uncaught error in the page: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('response', async (res) => {
    if (new URL(res.url()).pathname === '/graphql') {
      graphqlResponses.push({ status: res.status(), body: await res.text().catch(() => '') });
    }
  });

  let total;
  let where = 'at the top';
  let tabCount = 0;
  await step('open /playground', async () => {
    const response = await page.goto(`${BASE}/playground`, { waitUntil: 'load' });
    if (!response || !response.ok()) throw new Error(`GET /playground answered ${response?.status()}`);
  });

  await step('GraphiQL appears (blank page?)', async () => {
    await page.locator('.graphiql-container').first().waitFor({ state: 'visible' });
    await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor({ state: 'visible' });
    const box = await page.locator('.graphiql-container').first().boundingBox();
    if (!box || box.width < 400 || box.height < 300) throw new Error(`GraphiQL is ${JSON.stringify(box)} in size`);
  });

  await step('the Welcome tab', async () => {
    // The first tab is the Welcome query; select it and check the editor shows it.
    const tabs = page.locator('.graphiql-tab');
    tabCount = await tabs.count();
    if (tabCount > 0) {
      await tabs.first().locator('button').first().click();
      const title = (await tabs.first().innerText()).trim();
      if (!/Welcome/.test(title)) throw new Error(`first tab is "${title}", not Welcome`);
    }
    await page
      .locator('.graphiql-query-editor .view-lines')
      .filter({ hasText: 'relationTypes' })
      .first()
      .waitFor({ state: 'visible' });
  });

  await step('run it', async () => {
    const answered = page.waitForResponse(
      (res) => new URL(res.url()).pathname === '/graphql' && res.request().method() === 'POST',
    );
    await page.locator('button.graphiql-execute-button').first().click();
    const res = await answered;
    if (res.status() !== 200) throw new Error(`POST /graphql answered ${res.status()}`);
    // What the server sent: data, no errors.
    let body;
    try {
      body = JSON.parse(await res.text());
    } catch {
      throw new Error('POST /graphql answered no JSON');
    }
    if (body.errors?.length) throw new Error(`the query failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
    total = body.data?.relationTypes?.totalCount;
    if (!(total >= 1)) throw new Error(`relationTypes.totalCount is ${total}`);
  });

  await step('the result pane shows the data', async () => {
    // Monaco renders only the visible lines, and relgate does not always
    // keep the selection order (totalCount sometimes comes after edges), so
    // look at the top and, if need be, at the end (Ctrl+End in the result
    // editor, as a person would scroll).
    const resultLines = page.locator('.graphiql-response .view-lines').first();
    const shownText = async () => ((await resultLines.textContent()) ?? '').replace(/\u00a0/g, ' ');
    await resultLines.filter({ hasText: '"relationTypes"' }).waitFor({ state: 'visible' });
    const top = await shownText();
    if (!top.includes('"data"')) throw new Error(`no data: ${top.slice(0, 300)}`);
    if (top.includes('"errors"')) throw new Error(`errors: ${top.slice(0, 300)}`);
    let shown = /"totalCount":\s*(\d+)/.exec(top)?.[1];
    if (shown === undefined) {
      where = 'at the end';
      await resultLines.click();
      await page.keyboard.press('Control+End');
      await resultLines.filter({ hasText: '"totalCount"' }).waitFor({ state: 'visible' });
      shown = /"totalCount":\s*(\d+)/.exec(await shownText())?.[1];
      await page.keyboard.press('Control+Home');
      await resultLines.filter({ hasText: '"relationTypes"' }).waitFor({ state: 'visible' });
    }
    if (Number(shown) !== total) throw new Error(`totalCount ${shown} shown, the server sent ${total}`);
  });

  // Let late requests (workers, fonts) show up before judging the network.
  await page.mouse.move(1, 1);
  await page.waitForTimeout(500);
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });

  await step('a subscription tab (WatchChanges) shows a change live', async () => {
    const tab = page.locator('.graphiql-tab').filter({ hasText: 'WatchChanges' }).first();
    await tab.locator('button').first().click();
    await page
      .locator('.graphiql-query-editor .view-lines')
      .filter({ hasText: 'subscription WatchChanges' })
      .first()
      .waitFor({ state: 'visible' });
    // GraphiQL picks the operation to run from the editor's cursor: put it
    // in this tab's operation, as a person clicking into it does.
    await page.locator('.graphiql-query-editor .view-line').filter({ hasText: 'relationEvents' }).first().click();
    await page.waitForTimeout(500);
    await page.locator('button.graphiql-execute-button').first().click();
    // Write from outside until the change shows (the subscription is live
    // once its socket is open; a write before that is not its to show).
    const shown = page.locator('.graphiql-response .view-lines').filter({ hasText: 'ENTITY_CREATED' }).first();
    for (let i = 0; ; i++) {
      await page.waitForTimeout(1000);
      const res = await fetch(`${BASE}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}) },
        body: JSON.stringify({
          query: `mutation { upsertEntity(input: {source: "kanka", space: "playground", kind: "character", externalId: "${700 + i}", name: "Seen Live"}) { created } }`,
        }),
      });
      if (!res.ok) throw new Error(`the write answered ${res.status}`);
      if (await shown.isVisible()) break;
      if (i >= 10) throw new Error('no change shown within 10 s of writing');
    }
  });
  summary = `GraphiQL ran the Welcome tab: relationTypes totalCount ${total} (shown ${where}), ${tabCount} tabs; WatchChanges showed a change live`;
} catch (err) {
  problems.unshift(err instanceof Error ? err.message.split('\n')[0] : String(err));
  const page = context?.pages()[0];
  if (page) {
    const shot = SCREENSHOT.replace(/\.png$/, '') + '-failed.png';
    await page.screenshot({ path: shot }).then(
      () => console.log(`browser: screenshot of the failure: ${shot}`),
      () => {},
    );
  }
} finally {
  await close();
}

// --- verdict -------------------------------------------------------------------
if (blocked.length) problems.push(`requests to other origins: ${[...new Set(blocked)].join(', ')}`);
// A blocked request also logs ERR_BLOCKED_BY_CLIENT: counted above already.
const otherConsoleErrors = consoleErrors.filter((m) => !m.includes('ERR_BLOCKED_BY_CLIENT'));
if (otherConsoleErrors.length) problems.push(`console errors: ${otherConsoleErrors.join(' | ')}`);
if (problems.length) {
  fail(problems.join('; '));
} else {
  console.log(`browser: OK - ${summary}, no request left ${origin}; screenshot ${SCREENSHOT}`);
}
