// The vendors' own JavaScript client libraries against relgate's dialects.
//
//   RELGATE_BASE=http://127.0.0.1:8080 [RELGATE_TOKEN=... RELGATE_TOKEN_NAME=...] \
//     node vendors/heartcore-copper.mjs
//
// * Umbraco Heartcore: `@umbraco/headless-client` (Umbraco's client library)
//   with `apiProxyUrl` pointed at relgate's `/umbraco`: its relation and
//   relation type calls, with the fields it declares (`_id`, `_createDate`,
//   `_updateDate`), and its errors.
// * Copper: `copper-sdk` (Copper's own app SDK). It builds the Related Items
//   requests (`relateEntity`, `api(url, options)`) and hands them to the
//   Copper page that embeds the app; here a stand-in for that page sends each
//   to relgate's `/copper/developer_api` with Copper's headers.
//
// Without a token (open mode) the clients still send credentials (an API
// key, an access token): relgate ignores them, as it has nothing to check
// them against.
import assert from 'node:assert/strict';

import { Client as HeartcoreClient } from '@umbraco/headless-client';
import CopperModule from 'copper-sdk';

const Copper = CopperModule.default ?? CopperModule;
const BASE = (process.env.RELGATE_BASE ?? '').replace(/\/+$/, '');
if (!BASE) {
  console.error('vendors: FAIL - set RELGATE_BASE (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}
const TOKEN = process.env.RELGATE_TOKEN ?? '';
// In open mode a made-up credential, as a client configured for the real API sends.
const CREDENTIAL = TOKEN || 'a-key-for-the-real-api';

async function graphql(query, variables = {}) {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
const upsert = (source, space, kind, externalId) =>
  graphql('mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { created } }', {
    i: { source, space, kind, externalId, name: `${kind} ${externalId}` },
  });

const isDate = (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v);

async function heartcore() {
  const PROJECT = 'vendor-project';
  const PARENT = '0f3b9a1e-2c1d-4f6a-9b8e-1a2b3c4d5e6f';
  const CHILD = '7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f';
  await upsert('umbraco', PROJECT, 'document', PARENT);
  await upsert('umbraco', PROJECT, 'document', CHILD);
  // Both halves of the options: the project and key, and the proxy URLs.
  const client = new HeartcoreClient({
    projectAlias: PROJECT,
    apiKey: CREDENTIAL,
    apiProxyUrl: `${BASE}/umbraco`,
    cdnProxyUrl: `${BASE}/umbraco`,
  });
  const m = client.management;

  const type = await m.relationType.byAlias('relateDocumentOnCopy');
  assert.equal(type.alias, 'relateDocumentOnCopy');
  assert.equal(type.isBidirectional, true);
  assert.match(type._id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(isDate(type._createDate) && isDate(type._updateDate), JSON.stringify(type));

  const created = await m.relation.create({
    parentId: PARENT,
    childId: CHILD,
    relationTypeAlias: 'relateDocumentOnCopy',
    comment: 'made by @umbraco/headless-client',
  });
  assert.equal(typeof created._id, 'number');
  assert.equal(created.parentId, PARENT);
  assert.ok(isDate(created._createDate), JSON.stringify(created));
  assert.ok(created._links.self.href.startsWith(`${BASE}/umbraco/relation/`));
  assert.deepEqual(await m.relation.byId(created._id), created);
  // The client unwraps HAL's `_embedded` into the array it declares.
  for (const list of [
    await m.relation.byParent(PARENT),
    await m.relation.byChild(CHILD),
    await m.relation.byAlias('relateDocumentOnCopy'),
  ]) {
    assert.deepEqual(list, [created]);
  }
  assert.deepEqual(await m.relation.delete(created._id), created);
  await assert.rejects(m.relation.byId(created._id), (err) => {
    assert.equal(err.response?.status, 404);
    assert.equal(err.response.data.error.code, 'NotFound');
    return true;
  });
  await assert.rejects(
    m.relation.create({ parentId: PARENT, childId: CHILD, relationTypeAlias: 'noSuchType' }),
    (err) => err.response?.status === 422 && err.response.data.error.code === 'ValidationFailed',
  );
  return 'relation type, create, byId, byParent, byChild, byAlias, delete, 404 and 422';
}

/** The Copper page that embeds an app: sends the SDK's API calls to relgate. */
function copperPage(origin) {
  const listeners = [];
  const email = process.env.RELGATE_TOKEN_NAME || 'someone@example.com';
  return {
    addEventListener: (type, cb) => type === 'message' && listeners.push(cb),
    top: {
      async postMessage(msg) {
        const reply = (data, error) =>
          listeners.forEach((cb) => cb({ origin, data: { type: msg.type, id: msg.id, data, error } }));
        if (msg.type === 'getContext') return reply({ entityType: 'person', entityData: { id: 123 } });
        if (msg.type !== 'api') return;
        const options = msg.options ?? {};
        const res = await fetch(`${BASE}/copper/developer_api${msg.url}`, {
          method: options.method ?? 'GET',
          body: options.body,
          headers: {
            'content-type': 'application/json',
            'X-PW-AccessToken': CREDENTIAL,
            'X-PW-Application': 'developer_api',
            'X-PW-UserEmail': email,
          },
        });
        const body = await res.json();
        return res.ok ? reply(body) : reply(null, body);
      },
    },
  };
}

async function copper() {
  await upsert('copper', 'default', 'person', '123');
  await upsert('copper', 'default', 'opportunity', '2827700');
  const origin = 'https://app.copper.com';
  const sdk = new Copper(origin, 'relgate-check', { isGlobal: false }, copperPage(origin));
  const resource = { id: 2827700, type: 'opportunity' };
  await sdk.relateEntity('person', 123, resource);
  assert.deepEqual(await sdk.api('/v1/people/123/related'), [resource]);
  assert.deepEqual(await sdk.api('/v1/people/123/related/opportunities'), [resource]);
  await sdk.api('/v1/people/123/related', { method: 'DELETE', body: JSON.stringify({ resource }) });
  assert.deepEqual(await sdk.api('/v1/people/123/related'), []);
  await assert.rejects(sdk.api('/v1/people/404/related'), (err) => {
    assert.deepEqual([err.success, err.status], [false, 404]);
    return true;
  });
  return 'relateEntity, related lists, DELETE, a missing record (404)';
}

let failed = 0;
for (const [label, fn] of [
  ['@umbraco/headless-client', heartcore],
  ['copper-sdk', copper],
]) {
  try {
    console.log(`  ok   ${label}: ${await fn()}`);
  } catch (err) {
    failed++;
    console.log(`  FAIL ${label}: ${err instanceof Error ? err.message : err}`);
  }
}
console.log(failed ? `vendors: FAILED - ${failed} of 2 client libraries` : 'vendors: OK - 2 client libraries');
process.exit(failed ? 1 : 0);
