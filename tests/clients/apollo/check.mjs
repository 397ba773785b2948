// Apollo Client 4 against a live relgate:
//   * automatic persisted queries with Apollo's own PersistedQueryLink
//     (hash-only GET, PERSISTED_QUERY_NOT_FOUND, then the text by POST; the
//     next time the hash alone);
//   * `relayStylePagination` on `Entity.relations`: two pages merge in the
//     cache;
//   * a `relate` whose payload's `fromEdge` is appended to the cached list,
//     and an `unrelate` whose `removedIds` are evicted, with no refetch.
//
//   RELGATE_URL=http://127.0.0.1:8080/graphql [RELGATE_TOKEN=...] node apollo/check.mjs
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';

const url = process.env.RELGATE_URL;
if (!url) {
  console.error('apollo: FAIL - set RELGATE_URL (e.g. http://127.0.0.1:8080/graphql)');
  process.exit(2);
}
const headers = process.env.RELGATE_TOKEN ? { authorization: `Bearer ${process.env.RELGATE_TOKEN}` } : {};

/** Every request Apollo sends: method, whether it carried the text, status. */
const sent = [];
async function recordingFetch(input, init = {}) {
  const method = (init.method ?? 'GET').toUpperCase();
  const target = String(input);
  const withText =
    method === 'GET' ? new URL(target).searchParams.has('query') : 'query' in JSON.parse(String(init.body ?? '{}'));
  const res = await fetch(input, init);
  sent.push({ method, withText, status: res.status });
  return res;
}

async function post(query, variables = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function persistedQueries() {
  const client = new ApolloClient({
    link: ApolloLink.from([
      new PersistedQueryLink({
        sha256: (text) => createHash('sha256').update(text).digest('hex'),
        useGETForHashedQueries: true,
      }),
      new HttpLink({ uri: url, fetch: recordingFetch, headers }),
    ]),
    cache: new InMemoryCache(),
  });
  const query = gql`
    query ApolloPersistedTypes {
      relationTypes(first: 2) {
        totalCount
        edges {
          node {
            id
            alias
          }
        }
      }
    }
  `;
  sent.length = 0;
  const first = await client.query({ query, fetchPolicy: 'network-only' });
  assert.equal(first.data.relationTypes.edges.length, 2);
  assert.deepEqual(sent, [
    { method: 'GET', withText: false, status: 404 },
    { method: 'POST', withText: true, status: 200 },
  ]);
  const again = await client.query({ query, fetchPolicy: 'network-only' });
  assert.deepEqual(again.data, first.data);
  assert.deepEqual(sent[2], { method: 'GET', withText: false, status: 200 });
  return 'hash-only GET 404 -> text by POST 200 -> hash-only GET 200';
}

const ENTITY = gql`
  query ApolloEntityRelations($source: String!, $kind: String, $externalId: String!, $after: String) {
    entity(source: $source, kind: $kind, externalId: $externalId) {
      id
      name
      relations(first: 2, after: $after) {
        totalCount
        edges {
          cursor
          direction
          other {
            id
            name
          }
          node {
            id
            label
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`;

const RELATE = gql`
  mutation ApolloRelate($input: RelateInput!) {
    relate(input: $input) {
      fromEdge {
        cursor
        direction
        other {
          id
          name
        }
        node {
          id
          label
        }
      }
    }
  }
`;

const UNRELATE = gql`
  mutation ApolloUnrelate($input: UnrelateInput!) {
    unrelate(input: $input) {
      removedIds
    }
  }
`;

async function cachedLists() {
  const entity = async (id) =>
    (
      await post('mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { entity { id } } }', {
        i: { source: 'kanka', kind: 'character', externalId: id, name: `Apollo ${id}` },
      })
    ).upsertEntity.entity.id;
  const owner = await entity('8001');
  const others = [await entity('8002'), await entity('8003'), await entity('8004'), await entity('8005')];
  const typeId = (await post('{ relationType(source: "kanka", alias: "relation") { id } }')).relationType.id;
  for (const [i, other] of others.slice(0, 3).entries()) {
    await post('mutation($i: RelateInput!) { relate(input: $i) { created } }', {
      i: { typeId, fromId: owner, toId: other, label: `knows ${i}` },
    });
  }

  const cache = new InMemoryCache({
    typePolicies: { Entity: { fields: { relations: relayStylePagination(['direction', 'type', 'otherKind']) } } },
  });
  const client = new ApolloClient({ link: new HttpLink({ uri: url, fetch: recordingFetch, headers }), cache });
  const variables = { source: 'kanka', kind: 'character', externalId: '8001' };

  // Two pages merge into one cached list.
  const page1 = await client.query({ query: ENTITY, variables });
  assert.equal(page1.data.entity.relations.edges.length, 2);
  assert.equal(page1.data.entity.relations.pageInfo.hasNextPage, true);
  // (What `fetchMore` does: the next page from the network, merged by the
  // field policy; a cache-first read would answer from the merged list.)
  await client.query({
    query: ENTITY,
    variables: { ...variables, after: page1.data.entity.relations.pageInfo.endCursor },
    fetchPolicy: 'network-only',
  });
  let cached = cache.readQuery({ query: ENTITY, variables });
  assert.equal(cached.entity.relations.edges.length, 3, 'both pages in the cached list');

  // relate: the payload's edge goes into the list; one request, no refetch.
  sent.length = 0;
  const { data } = await client.mutate({
    mutation: RELATE,
    variables: { input: { typeId, fromId: owner, toId: others[3], label: 'new friend' } },
    update(cache, { data }) {
      cache.updateQuery({ query: ENTITY, variables }, (current) => ({
        entity: {
          ...current.entity,
          relations: {
            ...current.entity.relations,
            totalCount: current.entity.relations.totalCount + 1,
            edges: [...current.entity.relations.edges, data.relate.fromEdge],
          },
        },
      }));
    },
  });
  assert.equal(sent.length, 1, 'one request: the mutation');
  cached = cache.readQuery({ query: ENTITY, variables });
  const last = cached.entity.relations.edges.at(-1);
  assert.equal(cached.entity.relations.edges.length, 4);
  assert.equal(last.node.id, data.relate.fromEdge.node.id);
  assert.deepEqual([last.direction, last.other.name], ['OUTGOING', 'Apollo 8005']);

  // unrelate: evict the removed relations; the list drops the edge.
  const removed = await client.mutate({
    mutation: UNRELATE,
    variables: { input: { id: last.node.id } },
    update(cache, { data }) {
      for (const id of data.unrelate.removedIds) cache.evict({ id: cache.identify({ __typename: 'Relation', id }) });
      cache.gc();
    },
  });
  assert.deepEqual(removed.data.unrelate.removedIds, [last.node.id]);
  assert.equal(sent.length, 2, 'one more request: the mutation');
  cached = cache.readQuery({ query: ENTITY, variables });
  assert.equal(cached.entity.relations.edges.length, 3, 'the evicted edge is gone');
  return 'pages merged; fromEdge appended and removedIds evicted without a refetch';
}

let failed = 0;
for (const [label, fn] of [
  ['automatic persisted queries', persistedQueries],
  ['relayStylePagination and cache updates', cachedLists],
]) {
  try {
    console.log(`  ok   ${label}: ${await fn()}`);
  } catch (err) {
    failed++;
    console.log(`  FAIL ${label}: ${err instanceof Error ? err.message : err}`);
  }
}
console.log(failed ? `apollo: FAILED - ${failed} of 2 checks` : 'apollo: OK - 2 checks');
process.exit(failed ? 1 : 0);
