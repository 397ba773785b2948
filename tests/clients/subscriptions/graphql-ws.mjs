// relgate's subscriptions with the npm `graphql-ws` client (the reference
// implementation of the graphql-transport-ws protocol), against a live server.
//
//   RELGATE_URL=http://127.0.0.1:8080/graphql [RELGATE_TOKEN=...] node subscriptions/graphql-ws.mjs
//
// Checks: a live subscription receives the events of a write made after it
// started, in order; a second subscription given the first one's last cursor
// replays exactly what came after it, then goes live. The token, if any, goes
// in connection_init's payload (`connectionParams`).
import assert from 'node:assert/strict';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.RELGATE_URL;
if (!url) {
  console.error('subscriptions: FAIL - set RELGATE_URL (e.g. http://127.0.0.1:8080/graphql)');
  process.exit(2);
}
const token = process.env.RELGATE_TOKEN;
const wsUrl = url.replace(/^http/, 'ws');
const EVENT = 'cursor kind relationId after { label } entity { externalId name }';

async function post(query, variables = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Subscribes and collects events until `n` arrived (or times out). */
function collect(client, after, n) {
  const events = [];
  let stop;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${n} events within 10 s`)), 10000);
    stop = client.subscribe(
      {
        query: `subscription($after: String) { relationEvents(after: $after) { ${EVENT} } }`,
        variables: { after },
      },
      {
        next: (v) => {
          if (v.errors) return reject(new Error(JSON.stringify(v.errors)));
          events.push(v.data.relationEvents);
          if (events.length >= n) {
            clearTimeout(timer);
            resolve(events);
          }
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => {},
      },
    );
  });
  return { done, stop: () => stop() };
}

const relate = (label) =>
  post(
    `mutation($label: String) { relateByKey(input: { type: { source: "kanka", alias: "relation" },
      from: { source: "kanka", space: "ws", kind: "character", externalId: "1", name: "Ann" },
      to: { source: "kanka", space: "ws", kind: "character", externalId: "2", name: "Bo" }, label: $label }) { created } }`,
    { label },
  );

async function main() {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    lazy: true,
    retryAttempts: 0,
  });
  // Live: a write made after the subscription started. Its first write also
  // creates both characters: three events.
  const live = collect(client, null, 3);
  await new Promise((r) => setTimeout(r, 300));
  await relate('first');
  const got = await live.done;
  assert.deepEqual(
    got.map((e) => e.kind),
    ['ENTITY_CREATED', 'ENTITY_CREATED', 'RELATION_CREATED'],
  );
  assert.equal(got[2].after.label, 'first');
  live.stop();
  console.log('  ok   live: the write\'s three events, in order');

  // Two more while nobody listens; then replay from the last cursor seen.
  await relate('second');
  await relate('third');
  const replay = collect(client, got[2].cursor, 3);
  await new Promise((r) => setTimeout(r, 300));
  await relate('fourth');
  const again = await replay.done;
  assert.deepEqual(
    again.map((e) => e.after.label),
    ['second', 'third', 'fourth'],
  );
  replay.stop();
  console.log('  ok   replay from a cursor, then live: nothing missed, nothing twice');
  await client.dispose();
  console.log('subscriptions: OK - graphql-ws: live, and replay from a cursor');
}

main().catch((err) => {
  console.log(`subscriptions: FAILED - ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
