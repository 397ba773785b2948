// relgate's graph explorer (/explorer) in a real headless Chromium.
//
//   RELGATE_BASE=http://127.0.0.1:8080 [RELGATE_TOKEN=<admin>] [EXPLORER_READ_TOKEN=<read>] \
//     [EXPLORER_SCREENSHOT=out.png] [EXPLORER_README_SCREENSHOT=playground/explorer.png] \
//     node browser/explorer.mjs
//
// Seeds a small graph through GraphQL (Kanka characters, places and groups,
// Copper records and an Umbraco page, tied together by two custom
// cross-source relation types, one private relation), then, with every
// request to another origin blocked and counted (any such attempt fails the
// check: the page must work offline):
//   - opens /explorer, enters the token, searches "Ilsa" and checks that the
//     drawn graph has the entities within depth 2 (read from cytoscape
//     through window.__explorer and the #graph data attributes);
//   - hovers a relation and checks its attributes in the tooltip;
//   - clicks a node on the rim and checks that its neighbours were added;
//   - searches by an external id and by a global id;
//   - with EXPLORER_READ_TOKEN (a token of role read), searches again and
//     checks that the private relation's far end is not drawn, and that a bad
//     token shows the server's error in the page;
//   - follows a node's playground link and checks that GraphiQL opens a tab
//     with that entity's query (whose text, run here, answers that entity).
// Fails on an uncaught page error or a console error. Screenshots:
// EXPLORER_SCREENSHOT (default tests/clients/playground-explorer.png,
// git-ignored), and EXPLORER_README_SCREENSHOT when set (the README's
// playground/explorer.png).
//
// Browser: Debian's Chromium (CHROMIUM, default /usr/bin/chromium), driven by
// playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, blockOtherOrigins, launch } from './chromium.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.RELGATE_BASE ?? '').replace(/\/+$/, '');
const ADMIN_TOKEN = process.env.RELGATE_TOKEN ?? '';
const READ_TOKEN = process.env.EXPLORER_READ_TOKEN ?? '';
const SCREENSHOT = resolve(process.env.EXPLORER_SCREENSHOT ?? join(HERE, '..', 'playground-explorer.png'));
const README_SCREENSHOT = process.env.EXPLORER_README_SCREENSHOT
  ? resolve(process.env.EXPLORER_README_SCREENSHOT)
  : '';
const TIMEOUT_MS = Number(process.env.BROWSER_TIMEOUT_MS ?? 60000);
const DEPTH = 2;

function fail(msg) {
  console.log(`explorer: FAILED - ${msg}`);
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

// --- the seed ---------------------------------------------------------------------

const SPACE = 'explorer';
const kanka = (id, kind, name) => ({ source: 'kanka', space: SPACE, kind, externalId: String(id), name });
const copper = (id, kind, name) => ({ source: 'copper', kind, externalId: String(id), name });
const umbraco = (id, kind, name) => ({ source: 'umbraco', space: 'lore-site', kind, externalId: id, name });

const E = {
  ilsa: kanka(168, 'character', 'Ilsa'),
  brom: kanka(72, 'character', 'Brom'),
  mira: kanka(301, 'character', 'Mira'),
  tarn: kanka(302, 'character', 'Tarn'),
  oswin: kanka(303, 'character', 'Oswin'),
  greyhaven: kanka(401, 'location', 'Greyhaven'),
  mill: kanka(402, 'location', 'The Old Mill'),
  guild: kanka(501, 'organisation', 'Silver Guild'),
  vell: kanka(601, 'family', 'House Vell'),
  blade: kanka(701, 'item', 'Ember Blade'),
  ada: copper(42, 'person', 'Ada Lovelace'),
  engines: copper(7, 'company', 'Analytical Engines Ltd'),
  order: copper(9, 'opportunity', 'Difference engine order'),
  page: umbraco('8b7c3a52-4d1e-4c59-9a0e-2f7d6b1c9e41', 'document', 'Ilsa, a portrait'),
  photo: umbraco('3f2a9d10-77b4-4e0c-8d55-6c1e0a4b2f93', 'media', 'ilsa.jpg'),
};

const KANKA = { source: 'kanka', alias: 'relation' };
const COPPER = { source: 'copper', alias: 'related' };
const INSPIRED = { source: 'lore', alias: 'inspiredBy' };
const ABOUT = { source: 'lore', alias: 'about' };

// [type, from, to, attributes]
const RELATIONS = [
  [KANKA, 'ilsa', 'brom', { label: 'Just Friends', attitude: 25, twoWay: true }],
  [KANKA, 'ilsa', 'greyhaven', { label: 'lives in', attitude: 60 }],
  [KANKA, 'ilsa', 'guild', { label: 'member of', colour: '#d4a017', pinned: true }],
  [KANKA, 'mira', 'ilsa', { label: 'rival', attitude: -40, colour: '#c0392b' }],
  [KANKA, 'brom', 'vell', { label: 'born into' }],
  [KANKA, 'guild', 'greyhaven', { label: 'headquartered in' }],
  [KANKA, 'tarn', 'guild', { label: 'leader of', pinned: true }],
  [KANKA, 'greyhaven', 'mill', { label: 'contains' }],
  [KANKA, 'mill', 'oswin', { label: 'haunted by', attitude: -80 }],
  [KANKA, 'vell', 'blade', { label: 'heirloom' }],
  // Oswin is three steps away but for this: only admins see him at depth 1.
  [KANKA, 'ilsa', 'oswin', { label: 'secretly sister of', isPrivate: true }],
  [INSPIRED, 'ilsa', 'ada', { label: 'inspired by' }],
  [COPPER, 'ada', 'engines', {}],
  [COPPER, 'engines', 'order', {}],
  [ABOUT, 'page', 'ilsa', { comment: 'the campaign site page' }],
  [ABOUT, 'photo', 'page', {}],
];

const ROOT = 'ilsa';

async function gql(query, variables = {}, token = ADMIN_TOKEN) {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`GraphQL: ${JSON.stringify(body.errors).slice(0, 400)}`);
  return body.data;
}

async function seed() {
  for (const [alias, name, from, to] of [
    ['inspiredBy', 'Inspired by', 'kanka', 'copper'],
    ['about', 'About', 'umbraco', 'kanka'],
  ]) {
    await gql(
      `mutation($i: CreateRelationTypeInput!) { createRelationType(input: $i) { relationType { id } } }`,
      { i: { source: 'lore', alias, name, sameSpace: false, bidirectional: false } },
    ).catch((err) => {
      // A second run on the same store: the type is there already.
      if (err.message.includes('NAME_TAKEN')) return;
      throw new Error(`createRelationType lore/${alias} (${from} -> ${to}): ${err.message}`);
    });
  }
  const ids = {};
  for (const [type, from, to, attrs] of RELATIONS) {
    const data = await gql(
      `mutation($i: RelateByKeyInput!) { relateByKey(input: $i) { relation { id from { id } to { id } } mirror { id } } }`,
      { i: { type, from: E[from], to: E[to], ...attrs } },
    ).catch((err) => {
      throw new Error(`relate ${from} -> ${to}: ${err.message}`);
    });
    ids[from] = data.relateByKey.relation.from.id;
    ids[to] = data.relateByKey.relation.to.id;
  }
  return ids;
}

/** The entities within `depth` of `from` (by key), through what `admin` may see. */
function ball(fromKeys, depth, admin) {
  const seen = new Set(fromKeys);
  let frontier = [...fromKeys];
  for (let d = 0; d < depth; d++) {
    const next = [];
    for (const k of frontier) {
      for (const [, a, b, attrs] of RELATIONS) {
        if (attrs.isPrivate && !admin) continue;
        const other = a === k ? b : b === k ? a : null;
        if (other && !seen.has(other)) {
          seen.add(other);
          next.push(other);
        }
      }
    }
    frontier = next;
  }
  return seen;
}

// --- the browser ------------------------------------------------------------------

const origin = new URL(BASE).origin;
const problems = [];
const blocked = [];
const consoleErrors = [];
const results = [];
let badTokenSent = false;

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`${name}: ${msg}`);
  }
}

/** The graph as the page holds it. */
const graphState = (page) =>
  page.evaluate(() => {
    const { cy } = window.__explorer;
    const el = document.getElementById('graph');
    return {
      ids: cy.nodes().map((n) => n.id()),
      edges: cy.edges().length,
      draws: Number(el.dataset.draws),
      busy: el.dataset.busy === 'true',
      nodes: Number(el.dataset.nodes),
    };
  });

/** Waits until the page has finished a draw after `draws` draws. */
async function drawn(page, draws) {
  await page.waitForFunction(
    (n) => {
      const el = document.getElementById('graph');
      return Number(el.dataset.draws) > n && el.dataset.busy === 'false';
    },
    draws,
    { timeout: TIMEOUT_MS },
  );
  return graphState(page);
}

async function searchFor(page, { source, space, text, token }) {
  const before = (await graphState(page)).draws;
  await page.fill('#token', token);
  await page.dispatchEvent('#token', 'change');
  await page.fill('#source', source);
  await page.fill('#space', space);
  await page.fill('#kind', '');
  await page.fill('#text', text);
  await page.selectOption('#depth', String(DEPTH));
  await page.click('#search button[type=submit]');
  return drawn(page, before);
}

/** Where node `id` is drawn, in page coordinates. */
async function nodeAt(page, id) {
  const box = await page.locator('#graph').boundingBox();
  const p = await page.evaluate((nid) => window.__explorer.cy.getElementById(nid).renderedPosition(), id);
  return { x: box.x + p.x, y: box.y + p.y };
}

const nameOf = (key) => E[key].name;
const sorted = (xs) => [...xs].sort();

let context;
let close = async () => {};
try {
  let ids;
  await step('seed through GraphQL', async () => {
    ids = await seed();
  });
  const keyOf = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));

  ({ context, close } = await launch({ viewport: { width: 1400, height: 860 } }));
  await blockOtherOrigins(context, origin, blocked);

  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('pageerror', (err) => problems.push(`uncaught error in the page: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });

  await step('open /explorer', async () => {
    const response = await page.goto(`${BASE}/explorer`, { waitUntil: 'load' });
    if (!response || !response.ok()) throw new Error(`GET /explorer answered ${response?.status()}`);
    await page.waitForFunction(() => window.__explorer?.cy, null, { timeout: TIMEOUT_MS });
    const box = await page.locator('#graph').boundingBox();
    if (!box || box.width < 400 || box.height < 300) throw new Error(`the graph is ${JSON.stringify(box)} in size`);
  });

  const admin = ball([ROOT], DEPTH, true);
  let state;
  await step(`search "${nameOf(ROOT)}" and draw depth ${DEPTH}`, async () => {
    state = await searchFor(page, { source: 'kanka', space: SPACE, text: nameOf(ROOT), token: ADMIN_TOKEN });
    const errors = await page.locator('#errors').innerText();
    if (await page.locator('#errors').isVisible()) throw new Error(`the page shows errors: ${errors}`);
    const drawnKeys = sorted(state.ids.map((id) => keyOf[id] ?? id));
    if (JSON.stringify(drawnKeys) !== JSON.stringify(sorted(admin))) {
      throw new Error(`drawn ${drawnKeys.join(',')}, expected ${sorted(admin).join(',')}`);
    }
    if (state.nodes !== admin.size) throw new Error(`data-nodes ${state.nodes}, cytoscape ${state.ids.length}`);
    if (state.edges < admin.size - 1) throw new Error(`${state.edges} edges for ${admin.size} nodes`);
    const priv = await page.evaluate(() =>
      window.__explorer.cy.edges('[?private]').map((e) => [e.data('label'), e.style('line-style')]),
    );
    if (JSON.stringify(priv) !== JSON.stringify([['secretly sister of', 'dashed']])) {
      throw new Error(`private relations drawn for an admin: ${JSON.stringify(priv)}`);
    }
    const legend = await page.locator('#legend li[data-kind]').count();
    if (legend < 4) throw new Error(`the legend lists ${legend} kinds`);
  });
  results.push(`search "${nameOf(ROOT)}": ${state.nodes} nodes, ${state.edges} edges at depth ${DEPTH}`);

  await step('hover a relation', async () => {
    const edgeId = await page.evaluate(() => {
      const e = window.__explorer.cy.edges().filter((x) => x.data('label') === 'member of');
      return e.nonempty() ? e.id() : null;
    });
    if (!edgeId) throw new Error('the "member of" relation is not drawn');
    const box = await page.locator('#graph').boundingBox();
    const mid = await page.evaluate((id) => window.__explorer.cy.getElementById(id).renderedMidpoint(), edgeId);
    await page.mouse.move(box.x + mid.x - 30, box.y + mid.y - 30);
    await page.mouse.move(box.x + mid.x, box.y + mid.y, { steps: 5 });
    const tip = page.locator('#tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    const text = await tip.innerText();
    for (const want of ['kanka/relation', 'member of', '#d4a017']) {
      if (!text.includes(want)) throw new Error(`the tooltip lacks "${want}": ${text.replace(/\n/g, ' | ')}`);
    }
    await page.mouse.move(box.x + 5, box.y + box.height - 5);
  });
  results.push('hovering a relation shows its attributes');

  // A node on the rim with neighbours beyond it: clicking it adds them.
  let rim;
  let expected;
  await step('click a node to expand it', async () => {
    rim = [...admin].find((k) => !ball([ROOT], DEPTH - 1, true).has(k) && [...ball([k], 1, true)].some((n) => !admin.has(n)));
    if (!rim) throw new Error('the seed has no node to expand');
    expected = new Set([...admin, ...ball([rim], 1, true)]);
    const before = state.draws;
    const at = await nodeAt(page, ids[rim]);
    await page.mouse.click(at.x, at.y);
    state = await drawn(page, before);
    const drawnKeys = sorted(state.ids.map((id) => keyOf[id] ?? id));
    if (JSON.stringify(drawnKeys) !== JSON.stringify(sorted(expected))) {
      throw new Error(`after clicking ${nameOf(rim)}: ${drawnKeys.join(',')}, expected ${sorted(expected).join(',')}`);
    }
    const expandedFlag = await page.evaluate((id) => window.__explorer.cy.getElementById(id).data('expanded'), ids[rim]);
    if (!expandedFlag) throw new Error(`${nameOf(rim)} is not marked expanded`);
  });
  results.push(`clicking ${nameOf(rim)} added ${expected.size - admin.size} (now ${state.nodes} nodes, ${state.edges} edges)`);

  // The screenshots: the expanded graph, the root selected.
  await page.mouse.move(1, 1);
  await page.evaluate((id) => {
    window.__explorer.cy.fit(undefined, 40);
    window.__explorer.select(id);
  }, ids[ROOT]);
  await page.waitForTimeout(400);
  for (const file of [SCREENSHOT, README_SCREENSHOT].filter(Boolean)) {
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file });
  }

  await step('search by external id and by global id', async () => {
    const rootOf = () =>
      page.evaluate(() => window.__explorer.cy.nodes('[?root]').map((n) => n.id()));
    for (const [how, form] of [
      ['external id', { source: 'kanka', space: SPACE, text: E.brom.externalId }],
      ['global id', { source: '', space: '', text: ids.brom }],
    ]) {
      await searchFor(page, { ...form, token: ADMIN_TOKEN });
      const roots = await rootOf();
      if (JSON.stringify(roots) !== JSON.stringify([ids.brom])) {
        throw new Error(`by ${how}: drawn from ${roots.map((r) => keyOf[r] ?? r).join(',')}, not Brom`);
      }
      if (await page.locator('#errors').isVisible()) {
        throw new Error(`by ${how}: the page shows ${await page.locator('#errors').innerText()}`);
      }
    }
  });
  results.push('search by external id and by global id draw that entity');

  if (READ_TOKEN) {
    await step('a read token sees no private relation', async () => {
      const reader = ball([ROOT], DEPTH, false);
      state = await searchFor(page, { source: 'kanka', space: SPACE, text: nameOf(ROOT), token: READ_TOKEN });
      const drawnKeys = sorted(state.ids.map((id) => keyOf[id] ?? id));
      if (JSON.stringify(drawnKeys) !== JSON.stringify(sorted(reader))) {
        throw new Error(`drawn ${drawnKeys.join(',')}, expected ${sorted(reader).join(',')}`);
      }
      const priv = await page.evaluate(() => window.__explorer.cy.edges('[?private]').length);
      if (priv) throw new Error(`${priv} private relations drawn`);
      results.push(`a read token: ${state.nodes} nodes, no private relation`);
    });
    await step('a bad token shows the error', async () => {
      await page.fill('#token', 'rg_nobody.nothing');
      await page.dispatchEvent('#token', 'change');
      badTokenSent = true;
      await page.click('#search button[type=submit]');
      await page.locator('#errors').waitFor({ state: 'visible', timeout: 10000 });
      const text = await page.locator('#errors').innerText();
      if (!/UNAUTHENTICATED/.test(text)) throw new Error(`the page shows: ${text}`);
      results.push('a bad token: the page shows UNAUTHENTICATED');
      await page.fill('#token', ADMIN_TOKEN);
      await page.dispatchEvent('#token', 'change');
    });
  } else {
    results.push('no EXPLORER_READ_TOKEN: privacy not checked in the page');
  }

  await step("a node's playground link opens its query in GraphiQL", async () => {
    const titles = [];
    for (const key of [ROOT, rim]) {
      // Select the node (as a click does), read its link, follow it.
      await page.evaluate((id) => {
        const { cy } = window.__explorer;
        cy.getElementById(id).emit('tap');
      }, ids[key]);
      const link = page.locator('#details-playground');
      await page.waitForFunction((id) => document.getElementById('details-playground').dataset.id === id, ids[key]);
      const href = await link.getAttribute('href');
      const query = new URL(href, BASE).searchParams.get('query') ?? '';
      // The linked query answers that entity.
      const data = await gql(query);
      if (data.entity?.id !== ids[key]) throw new Error(`the linked query answers ${JSON.stringify(data).slice(0, 200)}`);
      const name = /query\s+([A-Za-z0-9_]+)/.exec(query)?.[1];
      titles.push(name);
      await Promise.all([page.waitForURL(/\/playground/), link.click()]);
      await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor({ state: 'visible' });
      await page
        .locator('.graphiql-query-editor .view-lines')
        .filter({ hasText: `query ${name}` })
        .first()
        .waitFor({ state: 'visible' });
      const active = (await page.locator('.graphiql-tab-active').first().innerText()).trim();
      if (!active.includes(name)) throw new Error(`the active tab is "${active}", not ${name}`);
      if (new URL(page.url()).search !== '') throw new Error(`the address keeps ${page.url()}`);
      // GraphiQL stores its tabs a moment after a change.
      await page.waitForFunction((n) => (localStorage.getItem('graphiql:tabState') ?? '').includes(n), name);
      await page.goBack();
      await page.waitForFunction(() => window.__explorer?.cy, null, { timeout: TIMEOUT_MS });
      // Back on the explorer (a new load): draw again for the next node.
      const s = await searchFor(page, { source: 'kanka', space: SPACE, text: nameOf(ROOT), token: ADMIN_TOKEN });
      if (!s.ids.includes(ids[rim])) throw new Error(`${nameOf(rim)} is not drawn again`);
    }
    // The second link came with tabs stored: it was added to them.
    await page.goto(`${BASE}/playground`);
    await page.locator('.graphiql-tab').first().waitFor({ state: 'visible' });
    const all = await page.locator('.graphiql-tab').allInnerTexts();
    for (const t of titles) {
      if (!all.some((x) => x.includes(t))) throw new Error(`no tab ${t} among ${all.join(', ')}`);
    }
    if (!all.some((x) => x.includes('Welcome'))) throw new Error(`no Welcome tab among ${all.join(', ')}`);
    results.push(`playground links open tabs ${titles.join(' and ')} (${all.length} tabs)`);
  });
} catch (err) {
  problems.unshift(err instanceof Error ? err.message.split('\n')[0] : String(err));
  const page = context?.pages()[0];
  if (page) {
    const shot = SCREENSHOT.replace(/\.png$/, '') + '-failed.png';
    await page.screenshot({ path: shot }).then(
      () => console.log(`explorer: screenshot of the failure: ${shot}`),
      () => {},
    );
  }
} finally {
  await close();
}

if (blocked.length) problems.push(`requests to other origins: ${[...new Set(blocked)].join(', ')}`);
// A blocked request logs ERR_BLOCKED_BY_CLIENT (counted above already); the
// bad token's answer is a 401, which Chromium logs as a failed load.
const otherConsoleErrors = consoleErrors.filter(
  (m) => !m.includes('ERR_BLOCKED_BY_CLIENT') && !(badTokenSent && m.includes('status of 401')),
);
if (otherConsoleErrors.length) problems.push(`console errors: ${otherConsoleErrors.join(' | ')}`);
for (const r of results) console.log(`  ok   ${r}`);
if (problems.length) {
  fail(problems.join('; '));
} else {
  console.log(`explorer: OK - ${results.join('; ')}; no request left ${origin}; screenshot ${SCREENSHOT}`);
}
