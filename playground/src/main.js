// relgate playground: GraphiQL 5, fully offline (no CDN).
// Written with React.createElement so no JSX transform/plugin is needed.
import 'graphiql/setup-workers/vite'; // Monaco's web workers, bundled by vite
import 'graphiql/style.css';
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';

const GRAPHQL_URL = window.location.origin + '/graphql';
// import.meta.env.BASE_URL is vite's `base`, i.e. '/playground/'.
const OPERATIONS_URL = import.meta.env.BASE_URL + 'operations.json';

const FALLBACK_QUERY =
  '{ relationTypes(first: 20) { totalCount edges { node { id source alias name bidirectional } } } }';

// The headers every tab starts with. When the server requires a token,
// operations.json says so and the page offers the Authorization header.
let DEFAULT_HEADERS = JSON.stringify({}, null, 2);

// GraphiQL derives a tab's title from the operation name in its text (an
// anonymous `{ ... }` is shown as "<untitled>"). Give an anonymous shorthand
// query the name we want to show; named operations are left untouched.
const NAMED_OP = /^(?!#).*(query|subscription|mutation)\s+([a-zA-Z0-9_]+)/m;

function sanitizeName(name, fallback) {
  let n = String(name ?? '').replace(/[^A-Za-z0-9_]/g, '');
  if (!n) n = fallback;
  if (/^[0-9]/.test(n)) n = '_' + n;
  return n;
}

function withOperationName(query, name) {
  if (NAMED_OP.test(query)) return query;
  const lines = query.split('\n');
  const i = lines.findIndex((l) => {
    const t = l.trim();
    return t !== '' && !t.startsWith('#');
  });
  if (i < 0 || !lines[i].trimStart().startsWith('{')) return query;
  lines[i] = lines[i].replace('{', `query ${name} {`);
  return lines.join('\n');
}

function tab(query, variables, name) {
  return {
    query: withOperationName(query, name),
    variables: typeof variables === 'string' && variables.trim() !== '' ? variables : null,
    // Per-tab headers: without this, tabs other than the first start empty.
    headers: DEFAULT_HEADERS,
  };
}

async function loadTabs() {
  try {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), 5000);
    const res = await fetch(OPERATIONS_URL, {
      cache: 'no-cache',
      headers: { Accept: 'application/json' },
      signal: ctrl.signal,
    });
    clearTimeout(timer);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    if (typeof data?.headers === 'string' && data.headers.trim() !== '') {
      DEFAULT_HEADERS = data.headers;
    }
    const defaultQuery =
      typeof data?.defaultQuery === 'string' && data.defaultQuery.trim() !== ''
        ? data.defaultQuery
        : FALLBACK_QUERY;
    // Empty variables on the first tab make GraphiQL open the Variables pane,
    // which the example operations use.
    const tabs = [tab(defaultQuery, '{}', 'Welcome')];
    for (const [i, op] of (Array.isArray(data?.operations) ? data.operations : []).entries()) {
      if (!op || typeof op.query !== 'string' || op.query.trim() === '') continue;
      tabs.push(tab(op.query, op.variables, sanitizeName(op.name, `Operation${i + 1}`)));
    }
    return tabs;
  } catch (err) {
    console.warn(`relgate playground: could not load ${OPERATIONS_URL}, using built-in query`, err);
    return [tab(FALLBACK_QUERY, null, 'Welcome')];
  }
}

// Subscriptions run over a WebSocket to the same /graphql (graphql-transport-ws).
// The connection opens with the first subscription, with the Authorization
// header of the Headers pane, as GraphiQL keeps it.
function authorization() {
  try {
    const raw = window.localStorage.getItem('graphiql:headers');
    const headers = raw ? JSON.parse(raw) : {};
    const value = headers.Authorization ?? headers.authorization;
    return typeof value === 'string' && value.trim() !== '' ? { Authorization: value } : {};
  } catch {
    return {};
  }
}

const wsClient = createClient({
  url: GRAPHQL_URL.replace(/^http/, 'ws'),
  lazy: true,
  connectionParams: authorization,
});

const fetcher = createGraphiQLFetcher({ url: GRAPHQL_URL, wsClient });

// `?query=...` (and optional `&variables=...`), as the explorer's links
// carry: that query opens in a tab of its own and is selected. GraphiQL takes
// it as `initialQuery`: with stored tabs it selects the tab that already
// holds it or adds one; without (a first visit) the tabs are `defaultTabs`
// and the first one is shown, so the linked tab goes first there. The
// parameters then leave the address bar: the tab keeps the query, and a
// reload does not add it again.
function linkedTab() {
  const params = new URLSearchParams(window.location.search);
  const query = params.get('query');
  if (query === null || query.trim() === '') return null;
  const linked = tab(query, params.get('variables'), 'Linked');
  params.delete('query');
  params.delete('variables');
  const rest = params.toString();
  window.history.replaceState(null, '', window.location.pathname + (rest ? `?${rest}` : '') + window.location.hash);
  return linked;
}

// defaultTabs is only read when GraphiQL mounts, and only used when no tab
// state is stored yet (localStorage "graphiql:tabState"), so mount after the
// operations are known.
loadTabs().then((defaultTabs) => {
  const linked = linkedTab();
  const tabs = linked ? [linked, ...defaultTabs] : defaultTabs;
  createRoot(document.getElementById('root')).render(
    h(GraphiQL, {
      fetcher,
      defaultTabs: tabs,
      defaultQuery: defaultTabs[0].query,
      defaultHeaders: DEFAULT_HEADERS,
      shouldPersistHeaders: true,
      ...(linked ? { initialQuery: linked.query, initialVariables: linked.variables ?? '' } : {}),
    }),
  );
});
