// relgate graph explorer: search an entity, draw its neighbourhood with
// cytoscape (bundled by vite: nothing is loaded from another origin), expand a
// node by clicking it. Every read is a GraphQL POST to same-origin /graphql
// with the caller's bearer token, so the server decides what is visible
// (private relations only for admins).
import cytoscape from 'cytoscape';
import './explorer.css';

const GRAPHQL_URL = '/graphql';
const TOKEN_KEY = 'relgate:explorer:token';
// Neighbourhood pages: the server's default largest page is 100; a draw reads
// at most MAX_PAGES of them and says so when there is more.
const PAGE_SIZE = 100;
const MAX_PAGES = 5;

const ENTITY_FIELDS = 'id source space kind externalId name';
const RELATION_FIELDS =
  'id label comment attitude colour pinned isPrivate createdAt type { source alias name bidirectional } from { id } to { id }';

const SEARCH = `query ExplorerSearch($filter: EntityFilterInput, $id: ID!, $byId: Boolean!,
  $source: String!, $space: String, $kind: String, $externalId: String!, $byKey: Boolean!) {
  byId: node(id: $id) @include(if: $byId) { ... on Entity { ${ENTITY_FIELDS} } }
  byKey: entity(source: $source, space: $space, kind: $kind, externalId: $externalId) @include(if: $byKey) { ${ENTITY_FIELDS} }
  byName: entities(filter: $filter, first: 20) { totalCount edges { node { ${ENTITY_FIELDS} } } }
}`;

const NEIGHBOURHOOD = `query ExplorerNeighbourhood($id: ID!, $depth: Int!, $first: Int!, $after: String) {
  node(id: $id) {
    ... on Entity {
      ${ENTITY_FIELDS}
      neighbourhood(depth: $depth, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { distance node { ${ENTITY_FIELDS} } via { ${RELATION_FIELDS} } }
      }
    }
  }
}`;

const $ = (id) => document.getElementById(id);
const graphEl = $('graph');

// --- GraphQL -----------------------------------------------------------------

/** One POST to /graphql; resolves to `{ data, errors }` (errors as strings). */
async function graphql(query, variables) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json;q=0.9',
  };
  const token = $('token').value.trim();
  if (token) headers.authorization = `Bearer ${token.replace(/^Bearer\s+/i, '')}`;
  let res;
  try {
    res = await fetch(GRAPHQL_URL, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    return { data: null, errors: [{ message: `/graphql could not be reached: ${err.message}` }] };
  }
  try {
    const body = await res.json();
    return { data: body.data ?? null, errors: Array.isArray(body.errors) ? body.errors : [] };
  } catch {
    return { data: null, errors: [{ message: `/graphql answered HTTP ${res.status} without JSON` }] };
  }
}

function describeError(err) {
  const code = err?.extensions?.code;
  const where = Array.isArray(err?.path) ? ` at ${err.path.join('.')}` : '';
  return `${err?.message ?? String(err)}${code ? ` (${code})` : ''}${where}`;
}

function showErrors(errors) {
  const box = $('errors');
  if (!errors.length) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.hidden = false;
  box.textContent = errors.map(describeError).join('\n');
}

function setStatus(text) {
  $('status').textContent = text;
}

// --- colours: a hue per source, a shade per kind within it --------------------

const SOURCE_HUES = { copper: 24, umbraco: 222, kanka: 150 };
// Kinds of one source: shades and small hue shifts (within ±25° of the
// source's hue, so that sources stay apart), in the order first seen.
const SHADES = [
  [0, 38],
  [22, 66],
  [-24, 26],
  [-10, 80],
  [25, 48],
  [-20, 56],
  [10, 20],
  [14, 86],
  [-25, 38],
];
const kindsOfSource = new Map(); // source -> kinds, in the order first seen

function hueOf(source) {
  if (source in SOURCE_HUES) return SOURCE_HUES[source];
  let h = 0;
  for (const ch of source) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function colours(source, kind) {
  let kinds = kindsOfSource.get(source);
  if (!kinds) kindsOfSource.set(source, (kinds = []));
  if (!kinds.includes(kind)) kinds.push(kind);
  const i = kinds.indexOf(kind);
  const hue = hueOf(source);
  const [shift, lightness] = SHADES[i % SHADES.length];
  const saturation = 75 - 20 * (Math.floor(i / SHADES.length) % 3);
  return {
    fill: `hsl(${(hue + shift + 360) % 360}, ${saturation}%, ${lightness}%)`,
    border: `hsl(${hue}, 70%, 20%)`,
  };
}

function renderLegend() {
  const legend = $('legend');
  legend.replaceChildren();
  const counts = new Map();
  cy.nodes().forEach((n) => {
    const key = `${n.data('source')}\u0000${n.data('kind')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  for (const [source, kinds] of [...kindsOfSource].sort(([a], [b]) => a.localeCompare(b))) {
    const shown = kinds.filter((k) => counts.has(`${source}\u0000${k}`));
    if (!shown.length) continue;
    const head = document.createElement('li');
    head.className = 'group';
    head.append(swatch('transparent', colours(source, kinds[0]).border), source);
    legend.append(head);
    for (const kind of shown) {
      const c = colours(source, kind);
      const li = document.createElement('li');
      li.dataset.source = source;
      li.dataset.kind = kind;
      li.append(swatch(c.fill, c.border), `${kind} (${counts.get(`${source}\u0000${kind}`)})`);
      legend.append(li);
    }
  }
}

function swatch(fill, border) {
  const s = document.createElement('span');
  s.className = 'swatch';
  s.style.background = fill;
  s.style.borderColor = border;
  return s;
}

// --- the graph -----------------------------------------------------------------

const cy = cytoscape({
  container: graphEl,
  wheelSensitivity: 0.3,
  minZoom: 0.1,
  maxZoom: 4,
  style: [
    {
      selector: 'node',
      style: {
        'background-color': 'data(fill)',
        'border-color': 'data(border)',
        'border-width': 2,
        width: 28,
        height: 28,
        label: 'data(label)',
        'font-size': 11,
        color: '#1f2328',
        'text-valign': 'bottom',
        'text-margin-y': 4,
        'text-outline-color': '#f6f7f9',
        'text-outline-width': 2,
      },
    },
    { selector: 'node[?expanded]', style: { 'border-width': 4 } },
    { selector: 'node[?root]', style: { width: 40, height: 40, 'font-weight': 'bold' } },
    { selector: 'node:selected', style: { 'overlay-color': '#1f6feb', 'overlay-opacity': 0.2, 'overlay-padding': 5 } },
    {
      selector: 'edge',
      style: {
        width: 1.6,
        'line-color': 'data(colour)',
        'target-arrow-color': 'data(colour)',
        'curve-style': 'bezier',
        label: 'data(label)',
        'font-size': 9,
        color: '#57606a',
        'text-rotation': 'autorotate',
        'text-background-color': '#f6f7f9',
        'text-background-opacity': 0.85,
        'text-background-padding': 1,
      },
    },
    { selector: 'edge[?directed]', style: { 'target-arrow-shape': 'triangle', 'arrow-scale': 0.9 } },
    { selector: 'edge[?private]', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 4] } },
    { selector: 'edge[?pinned]', style: { width: 3.2 } },
    { selector: 'edge.hover', style: { width: 4, 'z-index': 10 } },
  ],
});

let busy = false;
let draws = 0;

function publish() {
  graphEl.dataset.nodes = String(cy.nodes().length);
  graphEl.dataset.edges = String(cy.edges().length);
  graphEl.dataset.busy = String(busy);
  graphEl.dataset.draws = String(draws);
  renderLegend();
}

function labelOf(e) {
  return e.name && e.name.trim() !== '' ? e.name : `${e.kind} ${e.externalId}`;
}

/** Adds an entity as a node unless present; returns the node if it is new. */
function addNode(entity, near) {
  if (cy.getElementById(entity.id).nonempty()) return null;
  const { fill, border } = colours(entity.source, entity.kind);
  const jitter = () => (Math.random() - 0.5) * 60;
  return cy.add({
    group: 'nodes',
    data: { ...entity, label: labelOf(entity), fill, border, expanded: false },
    position: near ? { x: near.x + jitter(), y: near.y + jitter() } : { x: jitter(), y: jitter() },
  });
}

/** Adds a relation as an edge unless present or one of its ends is missing. */
function addEdge(rel) {
  if (!rel || cy.getElementById(rel.id).nonempty()) return null;
  if (cy.getElementById(rel.from.id).empty() || cy.getElementById(rel.to.id).empty()) return null;
  return cy.add({
    group: 'edges',
    data: {
      id: rel.id,
      source: rel.from.id,
      target: rel.to.id,
      label: rel.label || rel.type.alias,
      colour: /^#[0-9a-fA-F]{6}$/.test(rel.colour ?? '') ? rel.colour : '#8c959f',
      directed: !rel.type.bidirectional,
      private: rel.isPrivate,
      pinned: rel.pinned,
      relation: rel,
    },
  });
}

/** Reads an entity's neighbourhood, following pages up to MAX_PAGES. */
async function readNeighbourhood(id, depth) {
  const edges = [];
  const errors = [];
  let entity = null;
  let total = 0;
  let after = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { data, errors: errs } = await graphql(NEIGHBOURHOOD, { id, depth, first: PAGE_SIZE, after });
    errors.push(...errs);
    const node = data?.node;
    if (!node) break;
    entity = node;
    const conn = node.neighbourhood;
    if (!conn) break;
    total = conn.totalCount;
    edges.push(...conn.edges);
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  if (!entity && !errors.length) errors.push({ message: 'no such entity (or not visible with this token)' });
  return { entity, edges, total, errors };
}

async function layout(fresh) {
  const run = cy.layout({
    name: 'cose',
    animate: false,
    randomize: fresh,
    fit: true,
    padding: 40,
    nodeRepulsion: () => 9000,
    idealEdgeLength: () => 70,
    nodeOverlap: 12,
    numIter: 1500,
  });
  const stopped = run.promiseOn('layoutstop');
  run.run();
  await stopped;
}

/** Draws `id`'s neighbourhood, replacing the graph (fresh) or adding to it. */
async function draw(id, depth, fresh) {
  if (busy) return;
  busy = true;
  publish();
  setStatus('loading…');
  try {
    const { entity, edges, total, errors } = await readNeighbourhood(id, depth);
    showErrors(errors);
    if (!entity) {
      setStatus('');
      return;
    }
    if (fresh) {
      cy.elements().remove();
      kindsOfSource.clear();
    }
    const centre = cy.getElementById(entity.id);
    const near = centre.nonempty() ? centre.position() : null;
    let added = 0;
    cy.batch(() => {
      if (addNode(entity, near)) added++;
      for (const e of edges) if (addNode(e.node, near)) added++;
      for (const e of edges) addEdge(e.via);
      const node = cy.getElementById(entity.id);
      node.data('expanded', true);
      if (fresh) node.data('root', true);
    });
    await layout(fresh);
    const shown = edges.length < total ? ` (${edges.length} of ${total} read)` : '';
    setStatus(
      `${cy.nodes().length} entities, ${cy.edges().length} relations; ` +
        `${fresh ? `depth ${depth} from` : `expanded`} ${labelOf(entity)}: ${added} new${shown}`,
    );
    select(cy.getElementById(entity.id));
  } finally {
    busy = false;
    draws++;
    publish();
  }
}

// --- search --------------------------------------------------------------------

const GLOBAL_ID = /^[A-Za-z0-9+/_=-]{8,}$/;

async function search() {
  const source = $('source').value.trim();
  const space = $('space').value.trim();
  const kind = $('kind').value.trim();
  const text = $('text').value.trim();
  const filter = {};
  if (source) filter.source = source;
  if (space) filter.space = space;
  if (kind) filter.kind = kind;
  // A name or an id: look it up all three ways at once.
  const byKey = Boolean(source && text);
  const byId = GLOBAL_ID.test(text);
  const { data, errors } = await graphql(SEARCH, {
    filter: text ? { ...filter, nameContains: text } : filter,
    id: text || '-',
    byId,
    source: source || '-',
    space: space || null,
    kind: kind || null,
    externalId: text || '-',
    byKey,
  });
  // A text that is no id or no key of that source is not an error to show.
  const guess = (e) =>
    ['byId', 'byKey'].includes(e?.path?.[0]) && ['NOT_FOUND', 'BAD_USER_INPUT'].includes(e?.extensions?.code);
  showErrors(errors.filter((e) => !guess(e)));
  const found = [];
  const exact = [data?.byId, data?.byKey].filter((e) => e && e.id && e.kind);
  for (const e of [...exact, ...(data?.byName?.edges ?? []).map((edge) => edge.node)]) {
    if (e && !found.some((f) => f.id === e.id)) found.push(e);
  }
  renderResults(found, data?.byName?.totalCount ?? 0);
  if (exact.length || found.length === 1) await draw(found[0].id, depth(), true);
}

function depth() {
  return Number($('depth').value) || 2;
}

function renderResults(found, total) {
  const list = $('results');
  list.replaceChildren();
  $('results-note').textContent = found.length
    ? `${found.length} shown${total > found.length ? ` of ${total} by name` : ''}; pick one to draw it.`
    : 'Nothing found.';
  for (const e of found) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.id = e.id;
    const c = colours(e.source, e.kind);
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${e.source}/${e.space} ${e.kind} ${e.externalId}`;
    b.append(swatch(c.fill, c.border), labelOf(e), meta);
    b.addEventListener('click', () => {
      for (const other of list.querySelectorAll('button')) other.classList.toggle('current', other === b);
      draw(e.id, depth(), true);
    });
    li.append(b);
    list.append(li);
  }
}

// --- details, tooltip, playground link ------------------------------------------

/** A playground query for one entity: its key, its relations, its neighbours. */
function playgroundQuery(e) {
  const str = (s) => JSON.stringify(s);
  const camel = (t) =>
    String(t ?? '')
      .split(/[^A-Za-z0-9]+/)
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('');
  const name = `Explore${(camel(e.name) || camel(`${e.kind} ${e.externalId}`)).slice(0, 40)}`;
  return `# ${labelOf(e).replace(/\n/g, ' ')}, opened from the explorer
query ${name} {
  entity(source: ${str(e.source)}, space: ${str(e.space)}, kind: ${str(e.kind)}, externalId: ${str(e.externalId)}) {
    id
    name
    relations(first: 20) {
      totalCount
      edges {
        direction
        other { kind externalId name }
        node { id label attitude isPrivate type { source alias } }
      }
    }
    neighbourhood(depth: 2, first: 20) {
      totalCount
      edges { distance node { kind externalId name } via { label type { alias } } }
    }
  }
}
`;
}

function playgroundUrl(e) {
  return `/playground?${new URLSearchParams({ query: playgroundQuery(e) })}`;
}

function kv(list, pairs) {
  list.replaceChildren();
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === '') continue;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    list.append(dt, dd);
  }
}

function entityPairs(d) {
  return [
    ['name', d.name],
    ['source', d.source],
    ['space', d.space],
    ['kind', d.kind],
    ['external id', d.externalId],
    ['id', d.id],
  ];
}

function select(node) {
  if (!node || node.empty()) return;
  cy.$(':selected').unselect();
  node.select();
  const d = node.data();
  $('details').hidden = false;
  kv($('details-list'), [...entityPairs(d), ['expanded', d.expanded ? 'yes' : 'no (click it)']]);
  const link = $('details-playground');
  link.href = playgroundUrl(d);
  link.dataset.id = d.id;
}

function showTooltip(title, pairs, pos) {
  const tip = $('tooltip');
  tip.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = title;
  const dl = document.createElement('dl');
  dl.className = 'kv';
  kv(dl, pairs);
  tip.append(h, dl);
  tip.hidden = false;
  const stage = tip.parentElement.getBoundingClientRect();
  const x = Math.min(pos.x + 14, stage.width - tip.offsetWidth - 8);
  const y = Math.min(pos.y + 14, stage.height - tip.offsetHeight - 8);
  tip.style.left = `${Math.max(8, x)}px`;
  tip.style.top = `${Math.max(8, y)}px`;
}

function hideTooltip() {
  $('tooltip').hidden = true;
}

cy.on('mouseover', 'edge', (evt) => {
  const r = evt.target.data('relation');
  evt.target.addClass('hover');
  const ends = `${labelOf(evt.target.source().data())} → ${labelOf(evt.target.target().data())}`;
  showTooltip(
    `${r.type.source}/${r.type.alias} (${r.type.name})`,
    [
      ['ends', ends],
      ['label', r.label],
      ['comment', r.comment],
      ['attitude', r.attitude],
      ['colour', r.colour],
      ['pinned', r.pinned ? 'yes' : 'no'],
      ['private', r.isPrivate ? 'yes' : 'no'],
      ['two-way read', r.type.bidirectional ? 'yes' : 'no'],
      ['created', r.createdAt],
      ['id', r.id],
    ],
    evt.renderedPosition,
  );
});
cy.on('mouseout', 'edge', (evt) => {
  evt.target.removeClass('hover');
  hideTooltip();
});
cy.on('mouseover', 'node', (evt) => {
  const d = evt.target.data();
  showTooltip(
    labelOf(d),
    [...entityPairs(d).slice(1, 5), ['', d.expanded ? 'expanded' : 'click to expand']],
    evt.renderedPosition,
  );
});
cy.on('mouseout', 'node', hideTooltip);
graphEl.addEventListener('mouseleave', hideTooltip);
cy.on('tap', 'node', (evt) => {
  const node = evt.target;
  hideTooltip();
  select(node);
  if (!node.data('expanded')) draw(node.id(), 1, false);
});

// --- wiring ------------------------------------------------------------------------

$('token').value = localStorage.getItem(TOKEN_KEY) ?? '';
$('token').addEventListener('change', () => {
  const t = $('token').value.trim();
  if (t) localStorage.setItem(TOKEN_KEY, t);
  else localStorage.removeItem(TOKEN_KEY);
});
$('search').addEventListener('submit', (evt) => {
  evt.preventDefault();
  search();
});
$('fit').addEventListener('click', () => cy.fit(undefined, 40));
$('relayout').addEventListener('click', () => layout(true));
$('clear').addEventListener('click', () => {
  cy.elements().remove();
  kindsOfSource.clear();
  $('details').hidden = true;
  setStatus('');
  publish();
});

// ?source=&space=&kind=&q=&depth= fill the form and search at once.
const params = new URLSearchParams(window.location.search);
for (const [param, input] of [['source', 'source'], ['space', 'space'], ['kind', 'kind'], ['q', 'text'], ['depth', 'depth']]) {
  if (params.has(param)) $(input).value = params.get(param);
}
publish();
if (params.has('q') || params.has('source')) search();

// For tests and the console: the cytoscape instance and the page's actions.
window.__explorer = {
  cy,
  search,
  draw,
  expand: (id) => draw(id, 1, false),
  select: (id) => select(cy.getElementById(id)),
  playgroundUrl,
};
