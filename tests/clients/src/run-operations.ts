// Runs relgate's example operations (schema/operations/*.graphql, in file
// order, on an empty store) with graphql-request, through the typed documents
// that GraphQL Code Generator made from them (generated/graphql.ts), and
// checks every answer.
//
//   RELGATE_URL=http://127.0.0.1:8080/graphql [RELGATE_TOKEN=...] npm run operations
//
// With RELGATE_BY_DOCUMENT_ID=1 every operation is sent as its persisted
// document id only (`{"documentId": "sha256:...", "variables"}`, the id
// codegen put in the document's `__meta__.hash`), against a server started
// with `--trusted-documents generated/persisted-documents.json
// --only-trusted-documents`; one more check then sends a document that is not
// in the manifest and expects TRUSTED_DOCUMENT_REQUIRED.
//
// Every answer is read through the generated result types, so a field that is
// renamed in an operation or in the schema breaks `tsc --noEmit` (and, for the
// schema, codegen itself). The list of steps below must match the files in
// schema/operations/ one for one, so a new or renamed operation fails here
// until it is checked.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { ClientError, GraphQLClient } from 'graphql-request';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import {
  EntityWithRelatedItemsDocument,
  FilteredRelationsDocument,
  ListRelationTypesDocument,
  NeighbourhoodDocument,
  PathsDocument,
  RelateKankaPartyDocument,
  RelationCountsDocument,
  RecentChangesDocument,
  RelateCopperRecordsDocument,
  RelateKankaCharactersDocument,
  UnrelateDocument,
  UpdateRelationDocument,
  WatchChangesDocument,
} from '../generated/graphql.js';
import type {
  EntityWithRelatedItemsQueryVariables,
  WatchChangesSubscription,
  ListRelationTypesQueryVariables,
  RelateCopperRecordsMutation,
  RelateKankaCharactersMutation,
  RelateKankaPartyMutation,
  UpdateRelationMutationVariables,
} from '../generated/graphql.js';

// --- setup -------------------------------------------------------------------

const url = process.env.RELGATE_URL;
if (!url) {
  console.error('operations: FAIL - set RELGATE_URL (e.g. http://127.0.0.1:8080/graphql)');
  process.exit(2);
}
const token = process.env.RELGATE_TOKEN;
const byDocumentId = process.env.RELGATE_BY_DOCUMENT_ID === '1';
const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
const graphqlRequest = new GraphQLClient(url, { headers });

/** A GraphQL error answer, as graphql-request's ClientError reports it. */
class ByIdError extends Error {
  constructor(
    readonly status: number,
    readonly errors: { message: string; extensions?: { code?: string } }[],
  ) {
    super(`HTTP ${status}: ${errors.map((e) => `${e.message} (${e.extensions?.code})`).join('; ')}`);
  }
}

/** `document` by its persisted id only, as a trusted-documents client sends it. */
async function requestById<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R> {
  const id = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  assert.ok(id?.startsWith('sha256:'), `codegen gave ${operationName(document as never)} no persisted id`);
  const res = await fetch(url!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ documentId: id, variables: variables ?? {} }),
  });
  const body = (await res.json()) as { data?: R; errors?: ConstructorParameters<typeof ByIdError>[1] };
  if (body.errors?.length || !body.data) throw new ByIdError(res.status, body.errors ?? []);
  return body.data;
}

/** Runs `document` with graphql-request, or by id (RELGATE_BY_DOCUMENT_ID=1). */
const client = {
  request<R, V>(document: TypedDocumentNode<R, V>, ...variables: V extends Record<string, never> ? [] | [V] : [V]): Promise<R> {
    if (byDocumentId) return requestById(document, variables[0]);
    return graphqlRequest.request(document as TypedDocumentNode<R, Record<string, unknown>>, variables[0] as Record<string, unknown> | undefined);
  },
};

/** The repository's schema/operations/, found upwards from this file. */
function operationsDir(): string {
  if (process.env.RELGATE_OPERATIONS_DIR) return resolve(process.env.RELGATE_OPERATIONS_DIR);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'schema', 'operations');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('schema/operations not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
const OPS_DIR = operationsDir();

/** `NN-Name.variables.json` of an operation, or `{}` when it has none. */
function fileVariables(file: string): Record<string, unknown> {
  const path = join(OPS_DIR, file.replace(/\.graphql$/, '.variables.json'));
  if (!existsSync(path)) return {};
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `${path}: not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** The name of the (single) operation in a generated document. */
function operationName(doc: TypedDocumentNode<unknown, never>): string | undefined {
  const def = doc.definitions[0];
  return def && def.kind === 'OperationDefinition' ? def.name?.value : undefined;
}

// --- the steps, in file order -------------------------------------------------

// What earlier steps found out, for later ones.
let copper: RelateCopperRecordsMutation['relateByKey'] | undefined;
let kanka: RelateKankaCharactersMutation['relateByKey'] | undefined;
let party: RelateKankaPartyMutation | undefined;

type Step = {
  /** File name without the `NN-` prefix and extension (= operation name). */
  name: string;
  document: TypedDocumentNode<any, any>;
  run: (file: string) => Promise<string>;
};

const steps: Step[] = [
  {
    name: 'RelateCopperRecords',
    document: RelateCopperRecordsDocument,
    async run() {
      const { relateByKey: r } = await client.request(RelateCopperRecordsDocument);
      assert.equal(r.created, true, 'a new relation is created');
      assert.ok(r.relation.id.length > 0, 'relation id');
      assert.equal(typeof r.relation.legacyId, 'number');
      assert.equal(r.relation.type.alias, 'related');
      assert.deepEqual(
        [r.relation.from.kind, r.relation.from.externalId, r.relation.from.name],
        ['person', '42', 'Ada Lovelace'],
      );
      assert.deepEqual(
        [r.relation.to.kind, r.relation.to.externalId, r.relation.to.name],
        ['company', '7', 'Analytical Engines Ltd'],
      );
      copper = r;
      return `created relation ${r.relation.id} (Ada Lovelace -> Analytical Engines Ltd)`;
    },
  },
  {
    name: 'EntityWithRelatedItems',
    document: EntityWithRelatedItemsDocument,
    async run(file) {
      assert.ok(copper, 'RelateCopperRecords ran first');
      const variables = fileVariables(file) as EntityWithRelatedItemsQueryVariables;
      const { entity } = await client.request(EntityWithRelatedItemsDocument, variables);
      assert.ok(entity, 'the entity exists');
      assert.equal(entity.kind, 'person');
      assert.equal(entity.name, 'Ada Lovelace');
      assert.equal(entity.related.totalCount, 1, 'one related item');
      assert.equal(entity.related.edges.length, 1);
      const item = entity.related.edges[0]!.node;
      assert.deepEqual([item.kind, item.externalId, item.name], ['company', '7', 'Analytical Engines Ltd']);
      assert.equal(entity.relations.totalCount, 1, 'one relation');
      assert.equal(entity.relations.pageInfo.hasNextPage, false);
      const edge = entity.relations.edges[0]!;
      assert.equal(edge.node.id, copper.relation.id, 'the relation RelateCopperRecords created');
      assert.deepEqual([edge.node.type.source, edge.node.type.alias], ['copper', 'related']);
      assert.equal(edge.direction, copper.relation.type.bidirectional ? 'BOTH' : 'OUTGOING');
      assert.equal(edge.other.name, 'Analytical Engines Ltd');
      assert.ok(!Number.isNaN(Date.parse(edge.node.createdAt)), `createdAt is a date: ${edge.node.createdAt}`);
      return `1 related item "${item.name}", relation ${edge.direction}`;
    },
  },
  {
    name: 'RelateKankaCharacters',
    document: RelateKankaCharactersDocument,
    async run() {
      const { relateByKey: r } = await client.request(RelateKankaCharactersDocument);
      assert.equal(r.created, true);
      assert.equal(r.relation.label, 'Just Friends');
      assert.equal(r.relation.attitude, 25);
      assert.deepEqual([r.relation.from.name, r.relation.to.name], ['Ilsa', 'Brom']);
      assert.ok(r.mirror, 'twoWay: the mirror is written too');
      assert.deepEqual([r.mirror.from.name, r.mirror.to.name], ['Brom', 'Ilsa']);
      assert.notEqual(r.mirror.id, r.relation.id);
      // The edges Ilsa's list gains: the relation (outgoing), its mirror (incoming).
      assert.deepEqual(
        r.fromEdges.map((e) => [e.node.id, e.direction, e.other.name]),
        [
          [r.relation.id, 'OUTGOING', 'Brom'],
          [r.mirror.id, 'INCOMING', 'Brom'],
        ],
      );
      assert.ok(r.fromEdges.every((e) => e.cursor.length > 0), 'each edge has its cursor');
      kanka = r;
      return `relation ${r.relation.id} with mirror ${r.mirror.id}, and both edges of Ilsa's list`;
    },
  },
  {
    name: 'UpdateRelation',
    document: UpdateRelationDocument,
    async run(file) {
      assert.ok(kanka?.mirror, 'RelateKankaCharacters ran first');
      // The file's `id` is a placeholder: use the relation RelateKankaCharacters made.
      const variables: UpdateRelationMutationVariables = {
        ...(fileVariables(file) as UpdateRelationMutationVariables),
        id: kanka.relation.id,
      };
      assert.equal(variables.label, 'Old friends');
      assert.equal(variables.attitude, 60);
      const { updateRelation: r } = await client.request(UpdateRelationDocument, variables);
      assert.equal(r.relation.id, kanka.relation.id);
      assert.equal(r.relation.label, 'Old friends');
      assert.equal(r.relation.attitude, 60);
      assert.ok(r.mirror, 'syncMirror: the mirror is returned');
      assert.equal(r.mirror.id, kanka.mirror.id);
      assert.equal(r.mirror.label, 'Old friends');
      assert.equal(r.mirror.attitude, 60);
      return `label "${r.relation.label}", attitude ${r.relation.attitude}, mirror attitude ${r.mirror.attitude}`;
    },
  },
  {
    name: 'Unrelate',
    document: UnrelateDocument,
    async run(file) {
      assert.ok(kanka?.mirror, 'RelateKankaCharacters ran first');
      const { unrelate } = await client.request(UnrelateDocument, {
        ...fileVariables(file),
        id: kanka.relation.id,
      });
      assert.deepEqual(
        [...unrelate.removedIds].sort(),
        [kanka.relation.id, kanka.mirror.id].sort(),
        'the relation and its mirror are removed',
      );
      return `removed ${unrelate.removedIds.length} ids`;
    },
  },
  {
    name: 'ListRelationTypes',
    document: ListRelationTypesDocument,
    async run(file) {
      const variables = fileVariables(file) as ListRelationTypesQueryVariables;
      assert.equal(variables.source, 'copper');
      const { relationTypes } = await client.request(ListRelationTypesDocument, variables);
      assert.equal(relationTypes.totalCount, 1, 'Copper has one relation type');
      assert.equal(relationTypes.edges.length, 1);
      const t = relationTypes.edges[0]!.node;
      assert.deepEqual([t.source, t.alias, t.duplicates], ['copper', 'related', 'IDEMPOTENT']);
      assert.equal(t.allowedPairs.length, 11, 'allowed pairs');
      assert.ok(
        t.allowedPairs.some((p) => p.from.kind === 'person' && p.to.kind === 'company'),
        'person -> company is allowed',
      );
      assert.equal(t.attributes.attitude, null, 'Copper relations take no attitude');
      return `1 type "${t.name}" with ${t.allowedPairs.length} allowed pairs`;
    },
  },
  {
    name: 'RecentChanges',
    document: RecentChangesDocument,
    async run(file) {
      const { relationEvents } = await client.request(RecentChangesDocument, fileVariables(file));
      const kinds = relationEvents.edges.map((e) => e.node.kind);
      // The operations before: 11 changes, oldest first.
      assert.equal(relationEvents.totalCount, 11);
      assert.deepEqual(kinds.slice(0, 3), ['ENTITY_CREATED', 'ENTITY_CREATED', 'RELATION_CREATED']);
      assert.deepEqual(kinds.slice(-2), ['RELATION_DELETED', 'RELATION_DELETED']);
      const updated = relationEvents.edges.find((e) => e.node.kind === 'RELATION_UPDATED')!.node;
      assert.deepEqual([updated.before?.label, updated.after?.label], ['Just Friends', 'Old friends']);
      return `${relationEvents.totalCount} events, oldest first`;
    },
  },
  {
    name: 'WatchChanges',
    document: WatchChangesDocument,
    async run(file) {
      // A subscription, over the WebSocket: watch, then relate two characters.
      const ws = createClient({
        url: url!.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
      });
      const id = (WatchChangesDocument as { __meta__?: { hash?: string } }).__meta__?.hash;
      // By id, the trusted way: the document's hash as an APQ hash.
      const payload = byDocumentId
        ? { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: id!.replace(/^sha256:/, '') } } }
        : { query: print(WatchChangesDocument) };
      const seen: WatchChangesSubscription['relationEvents'][] = [];
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${seen.length} events within 10 s`)), 10000);
        ws.subscribe<WatchChangesSubscription>(
          { ...payload, variables: fileVariables(file) },
          {
            next: (v) => {
              if (v.errors) return reject(new Error(JSON.stringify(v.errors)));
              seen.push(v.data!.relationEvents);
              if (seen.length >= 2) {
                clearTimeout(timer);
                resolve();
              }
            },
            error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
            complete: () => {},
          },
        );
      });
      await new Promise((r) => setTimeout(r, 300));
      await client.request(RelateKankaCharactersDocument);
      await done;
      await ws.dispose();
      assert.deepEqual(
        seen.map((e) => [e.kind, e.from?.name, e.to?.name]),
        [
          ['RELATION_CREATED', 'Ilsa', 'Brom'],
          ['RELATION_CREATED', 'Brom', 'Ilsa'],
        ],
      );
      return 'RelateKankaCharacters seen live: the relation and its mirror';
    },
  },
  {
    name: 'RelateKankaParty',
    document: RelateKankaPartyDocument,
    async run() {
      party = await client.request(RelateKankaPartyDocument);
      assert.equal(party.mentor.relation.from.name, 'Oda');
      assert.equal(party.tamHome.relation.to.name, 'Harbour Town');
      return 'four relations between Vex, Tam, Oda and Harbour Town';
    },
  },
  {
    name: 'FilteredRelations',
    document: FilteredRelationsDocument,
    async run() {
      const { entity } = await client.request(FilteredRelationsDocument);
      assert.ok(entity);
      const conn = entity.relations;
      assert.equal(conn.totalCount, 2);
      assert.deepEqual(
        conn.edges.map((e) => [e.node.label, e.node.attitude, e.node.pinned]),
        [
          ['Lives in', 30, true],
          ['Rival', -40, false],
        ],
      );
      return 'pinned first, then by attitude: Lives in, Rival';
    },
  },
  {
    name: 'RelationCounts',
    document: RelationCountsDocument,
    async run() {
      const { entity } = await client.request(RelationCountsDocument);
      assert.ok(entity);
      const c = entity.relationCounts;
      assert.equal(c.total, 3);
      assert.deepEqual(c.byKind.map((k) => [k.kind, k.count]), [['character', 2], ['location', 1]]);
      assert.deepEqual(c.byDirection.map((d) => [d.direction, d.count]), [['OUTGOING', 2], ['INCOMING', 1]]);
      return `${c.total} relations: ${c.byKind.map((k) => `${k.kind} ${k.count}`).join(', ')}`;
    },
  },
  {
    name: 'Neighbourhood',
    document: NeighbourhoodDocument,
    async run() {
      const { entity } = await client.request(NeighbourhoodDocument);
      assert.ok(entity);
      const n = entity.neighbourhood;
      assert.equal(n.totalCount, 3);
      assert.deepEqual(
        n.edges.map((e) => [e.distance, e.node.name, e.via.label]),
        [
          [1, 'Vex', 'Mentor'],
          [2, 'Tam', 'Rival'],
          [2, 'Harbour Town', 'Lives in'],
        ],
      );
      return 'Vex at 1, Tam and Harbour Town at 2';
    },
  },
  {
    name: 'Paths',
    document: PathsDocument,
    async run(file) {
      assert.ok(party, 'RelateKankaParty ran first');
      // The file's ids are placeholders: use the ones RelateKankaParty returned.
      const { paths } = await client.request(PathsDocument, {
        ...fileVariables(file),
        fromId: party.mentor.relation.from.id,
        toId: party.tamHome.relation.to.id,
      });
      assert.deepEqual(
        paths.map((p) => p.steps.map((s) => s.relation.label)),
        [
          ['Mentor', 'Lives in'],
          ['Mentor', 'Rival', 'Lives in'],
        ],
      );
      return `${paths.length} paths, shortest first`;
    },
  },
];

/** Copper relations are idempotent: the first operation again changes nothing. */
async function rerunCopper(): Promise<string> {
  assert.ok(copper);
  const { relateByKey: r } = await client.request(RelateCopperRecordsDocument);
  assert.equal(r.created, false, 'relating the same pair again creates nothing');
  assert.equal(r.relation.id, copper.relation.id, 'the existing relation is returned');
  return 'created: false, same relation';
}

/** With --only-trusted-documents, a text the manifest lacks is refused. */
async function refusedUntrusted(): Promise<string> {
  const res = await fetch(url!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ entities { totalCount } }' }),
  });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  assert.equal(res.status, 403);
  assert.equal(body.errors?.[0]?.extensions?.code, 'TRUSTED_DOCUMENT_REQUIRED');
  return 'HTTP 403, TRUSTED_DOCUMENT_REQUIRED';
}

// --- main ---------------------------------------------------------------------

function describe(err: unknown): string {
  if (err instanceof ByIdError) return err.message;
  if (err instanceof ClientError) {
    const errors = err.response.errors?.map((e) => e.message).join('; ');
    return `HTTP ${err.response.status}: ${errors ?? String(err.response.error ?? err.message.split('\n')[0])}`;
  }
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}

async function main(): Promise<number> {
  let passed = 0;
  let failed = 0;
  const check = async (label: string, fn: () => Promise<string>) => {
    try {
      const what = await fn();
      passed++;
      console.log(`  ok   ${label}: ${what}`);
    } catch (err) {
      failed++;
      console.log(`  FAIL ${label}: ${describe(err)}`);
    }
  };

  console.log(
    `operations: ${OPS_DIR} against ${url}${token ? ' (bearer token)' : ''}${byDocumentId ? ', by persisted document id' : ''}`,
  );

  // The files and the steps must agree, in order.
  const files = readdirSync(OPS_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort();
  const expected = steps.map((s) => s.name);
  const found = files.map((f) => f.replace(/^\d+-/, '').replace(/\.graphql$/, ''));
  await check('operation files', async () => {
    assert.deepEqual(found, expected, 'schema/operations/*.graphql and the steps of run-operations.ts differ');
    for (const s of steps) assert.equal(operationName(s.document), s.name, `generated document for ${s.name}`);
    return `${files.length} files, in order`;
  });

  for (const [i, step] of steps.entries()) {
    const file = files[i] ?? `${step.name}.graphql`;
    await check(file, () => step.run(file));
  }
  await check('RelateCopperRecords again', rerunCopper);
  if (byDocumentId) await check('a document outside the manifest', refusedUntrusted);

  console.log(
    failed === 0
      ? `operations: OK - ${passed} checks`
      : `operations: FAILED - ${failed} of ${passed + failed} checks`,
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('operations: FAIL -', describe(err));
    process.exit(1);
  },
);
