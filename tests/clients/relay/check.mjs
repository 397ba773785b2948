// Relay against a live relgate: the operations relay-compiler compiled from
// src/ (artifacts in __generated__/) run through relay-runtime's store, and
// mutations change the lists on screen without a refetch. relay-compiler
// persists the operations (`persistConfig`): the artifacts carry only an id,
// the texts go to __generated__/persisted-queries.json, which relgate loads
// as its trusted documents, and the network sends `documentId`.
//
//   cd tests/clients/relay && mkdir -p __generated__ && echo '{}' > __generated__/persisted-queries.json
//   ../node_modules/.bin/relay-compiler
//   relgate serve --trusted-documents tests/clients/relay/__generated__/persisted-queries.json
//   RELGATE_URL=http://127.0.0.1:8080/graphql [RELGATE_TOKEN=...] node relay/check.mjs
//
// Checks: the entity page query fills both connections; `relate` with
// `@appendEdge` adds its edge to the from entity's and the to entity's
// `relations` connection; a two-way `relate` adds both of its edges; and
// `unrelate` with `@deleteEdge` takes them out again: each with exactly one
// request, the mutation's.
import assert from 'node:assert/strict';

import RelayRuntime from 'relay-runtime';

import EntityPageByKeyQuery from './__generated__/EntityPageByKeyQuery.graphql.js';
import RelateMutation from './__generated__/RelateMutation.graphql.js';
import RelateTwoWayMutation from './__generated__/RelateTwoWayMutation.graphql.js';
import UnrelateMutation from './__generated__/UnrelateMutation.graphql.js';

const { Environment, Network, RecordSource, Store, fetchQuery, commitMutation, ConnectionHandler } =
  RelayRuntime;

const url = process.env.RELGATE_URL;
if (!url) {
  console.error('relay: FAIL - set RELGATE_URL (e.g. http://127.0.0.1:8080/graphql)');
  process.exit(2);
}
const headers = { 'content-type': 'application/json' };
if (process.env.RELGATE_TOKEN) headers.authorization = `Bearer ${process.env.RELGATE_TOKEN}`;

async function post(query, variables = {}) {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(`${query.slice(0, 40)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

let requests = 0;
const environment = new Environment({
  network: Network.create(async (params, variables) => {
    requests++;
    assert.ok(params.id && !params.text, `${params.name} is persisted: an id, no text`);
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ documentId: params.id, variables }),
    });
    return res.json();
  }),
  store: new Store(new RecordSource()),
});

const commit = (mutation, variables) =>
  new Promise((resolve, reject) =>
    commitMutation(environment, {
      mutation,
      variables,
      onCompleted: (data, errors) => (errors?.length ? reject(new Error(JSON.stringify(errors))) : resolve(data)),
      onError: reject,
    }),
  );

/** The relation ids in a connection of the store, in list order. */
function listed(connectionId) {
  const source = environment.getStore().getSource();
  const connection = source.get(connectionId);
  assert.ok(connection, `connection ${connectionId} is in the store`);
  return connection.edges.__refs
    .map((ref) => source.get(ref))
    .filter(Boolean)
    .map((edge) => edge.node?.__ref);
}

async function main() {
  // Three Kanka characters, one relation between the first two.
  const entity = async (id) =>
    (
      await post(
        'mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { entity { id } } }',
        { i: { source: 'kanka', kind: 'character', externalId: id, name: `Relay ${id}` } },
      )
    ).upsertEntity.entity.id;
  const [a, b, c] = [await entity('9001'), await entity('9002'), await entity('9003')];
  const typeId = (await post('{ relationType(source: "kanka", alias: "relation") { id } }')).relationType.id;
  await post('mutation($i: RelateInput!) { relate(input: $i) { created } }', {
    i: { typeId, fromId: a, toId: b, label: 'first' },
  });

  // The page: both entities' lists in the store.
  for (const externalId of ['9001', '9002']) {
    const page = await fetchQuery(environment, EntityPageByKeyQuery, {
      source: 'kanka',
      kind: 'character',
      externalId,
    }).toPromise();
    assert.ok(page.entity, `entity ${externalId}`);
  }
  const key = 'EntityRelations_relations';
  const connA = ConnectionHandler.getConnectionID(a, key, { direction: 'BOTH' });
  const connB = ConnectionHandler.getConnectionID(b, key, { direction: 'BOTH' });
  assert.equal(listed(connA).length, 1, "a's list before");
  assert.equal(listed(connB).length, 1, "b's list before");
  console.log('  ok   EntityPageByKeyQuery: both relations connections in the store');

  // relate: @appendEdge into both ends' lists, no refetch.
  let before = requests;
  const related = await commit(RelateMutation, {
    input: { typeId, fromId: a, toId: b, label: 'second' },
    fromConnections: [connA],
    toConnections: [connB],
  });
  const second = related.relate.fromEdge.node.id;
  assert.equal(requests - before, 1, 'one request: the mutation');
  assert.deepEqual(listed(connA).at(-1), second, "the new edge ends a's list");
  assert.deepEqual(listed(connB).at(-1), second, "the new edge ends b's list");
  assert.equal(listed(connA).length, 2);
  console.log('  ok   RelateMutation: @appendEdge on fromEdge and toEdge, no refetch');

  // A two-way relation: both of its edges into the from entity's list.
  before = requests;
  const twoWay = await commit(RelateTwoWayMutation, {
    input: { typeId, fromId: a, toId: c, label: 'both ways', twoWay: true },
    connections: [connA],
  });
  const ids = twoWay.relate.fromEdges.map((e) => e.node.id);
  assert.equal(ids.length, 2);
  assert.equal(requests - before, 1);
  assert.deepEqual(listed(connA).slice(-2), ids, "both edges end a's list");
  console.log('  ok   RelateTwoWayMutation: @appendEdge on fromEdges adds the relation and its mirror');

  // unrelate: @deleteEdge takes them out of the list again.
  before = requests;
  await commit(UnrelateMutation, { input: { id: ids[0], includeMirror: true }, connections: [connA] });
  await commit(UnrelateMutation, { input: { id: second }, connections: [connA, connB] });
  assert.equal(requests - before, 2);
  assert.equal(listed(connA).length, 1, "a's list after");
  assert.equal(listed(connB).length, 1, "b's list after");
  console.log('  ok   UnrelateMutation: @deleteEdge on removedIds, no refetch');
  console.log('relay: OK - compiled operations run by persisted id, lists change without refetching');
}

main().catch((err) => {
  console.log(`relay: FAILED - ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
