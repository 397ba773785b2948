// CORS in a real browser: pages served from two other local origins call
// relgate with fetch, as a frontend on another origin does.
//
//   RELGATE_URL=http://127.0.0.1:8080/graphql PAGE_PORT=5173 OTHER_PORT=5174 \
//     [RELGATE_TOKEN=...] node browser/cors.mjs
//
// relgate must run with `--cors-origin http://127.0.0.1:$PAGE_PORT` (and not
// OTHER_PORT). From the listed origin, a query and a mutation (with an
// Authorization header and `credentials: 'include'`, so both preflight and
// credentials are exercised) succeed and the page can read relgate's request
// id header. From the unlisted origin the browser refuses both: fetch fails,
// and the mutation never reaches relgate (checked from outside the browser).
//
// Browser: Debian's Chromium (CHROMIUM, default /usr/bin/chromium), driven by
// playwright-core.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { CHROMIUM, launch } from './chromium.mjs';

const URL_ = process.env.RELGATE_URL ?? '';
const TOKEN = process.env.RELGATE_TOKEN ?? '';
const PAGE_PORT = Number(process.env.PAGE_PORT);
const OTHER_PORT = Number(process.env.OTHER_PORT);

function done(ok, msg) {
  console.log(`cors: ${ok ? 'OK' : 'FAILED'} - ${msg}`);
  process.exit(ok ? 0 : 1);
}
if (!URL_ || !PAGE_PORT || !OTHER_PORT) done(false, 'set RELGATE_URL, PAGE_PORT and OTHER_PORT');
if (!existsSync(CHROMIUM)) done(false, `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

/** A static page on its own origin. */
function serve(port, title) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${title}</title><p>${title}</p>`);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** Runs in the page: one GraphQL request with fetch, as a frontend would. */
async function inPage({ url, token, query, variables }) {
  try {
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'include',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json;q=0.9',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, requestId: res.headers.get('x-request-id'), body: await res.json() };
  } catch (err) {
    return { blocked: String(err) };
  }
}

const upsert = (externalId) => ({
  query: 'mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { created entity { externalId } } }',
  variables: { i: { source: 'kanka', space: '77', kind: 'character', externalId } },
});
const read = { query: '{ relationTypes(first: 1) { totalCount } }', variables: {} };

/** From outside the browser (no CORS): does entity `externalId` exist? */
async function exists(externalId) {
  const res = await fetch(URL_, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}) },
    body: JSON.stringify({
      query: `{ entity(source: "kanka", space: "77", externalId: "${externalId}") { id } }`,
    }),
  });
  const body = await res.json();
  return Boolean(body.data?.entity);
}

const servers = [await serve(PAGE_PORT, 'listed origin'), await serve(OTHER_PORT, 'unlisted origin')];
const results = [];
const { context, close } = await launch();
try {
  const page = await context.newPage();

  // The listed origin: a query and a mutation go through.
  await page.goto(`http://127.0.0.1:${PAGE_PORT}/`);
  const q = await page.evaluate(inPage, { url: URL_, token: TOKEN, ...read });
  if (q.blocked || q.status !== 200 || !(q.body.data?.relationTypes?.totalCount > 0)) {
    throw new Error(`listed origin, query: ${JSON.stringify(q)}`);
  }
  if (!q.requestId) throw new Error('listed origin: x-request-id is not exposed to the page');
  const m = await page.evaluate(inPage, { url: URL_, token: TOKEN, ...upsert('501') });
  if (m.blocked || m.status !== 200 || m.body.data?.upsertEntity?.created !== true) {
    throw new Error(`listed origin, mutation: ${JSON.stringify(m)}`);
  }
  if (!(await exists('501'))) throw new Error('listed origin: the mutation did not write');
  results.push('listed origin: query and mutation answered');

  // The unlisted origin: the browser refuses both, and nothing is written.
  await page.goto(`http://127.0.0.1:${OTHER_PORT}/`);
  const q2 = await page.evaluate(inPage, { url: URL_, token: TOKEN, ...read });
  if (!q2.blocked) throw new Error(`unlisted origin, query was readable: ${JSON.stringify(q2)}`);
  const m2 = await page.evaluate(inPage, { url: URL_, token: TOKEN, ...upsert('502') });
  if (!m2.blocked) throw new Error(`unlisted origin, mutation was readable: ${JSON.stringify(m2)}`);
  if (await exists('502')) throw new Error('unlisted origin: the mutation reached relgate and wrote');
  results.push('unlisted origin: query and mutation refused by the browser, nothing written');
} catch (err) {
  await close();
  servers.forEach((s) => s.close());
  done(false, err instanceof Error ? err.message : String(err));
}
await close();
servers.forEach((s) => s.close());
for (const r of results) console.log(`  ok   ${r}`);
done(true, results.join('; '));
