//! The compiled executor: plain reads of entities and their relations,
//! answered without async-graphql's per-field machinery.
//!
//! async-graphql resolves every field through a boxed future, collects each
//! object into a map and the response into a `Value` tree, then serializes
//! it. For a fan-out page (50 entities with 20 relations each and the far
//! ends' names) that is thousands of futures and maps per request, and it
//! was most of relgate's CPU time. The common reads are a small, regular
//! part of the schema: `Query.entity`, `Query.entities`, and under them
//! `Entity`, `Entity.relations`, `Entity.related`, `Relation`, the scalar
//! fields of `RelationType`, edges and `PageInfo`. For those, this module
//! plans the operation once per request ([`plan`]), loads its data level by
//! level with the same store functions and statements as the dataloaders (one
//! statement per level of the query, whatever the fan-out), and writes the
//! JSON response straight into a string ([`render`]).
//!
//! It only answers what it can answer exactly as async-graphql would:
//! - documents async-graphql has already validated and executed once (the
//!   first request of each document goes through async-graphql; see
//!   `request::Documents`), so every static validation rule holds;
//! - the complexity limit is checked again with each request's variables;
//! - anything else — another root field, a field outside the subset, a
//!   directive other than `@skip`/`@include`, a variable that does not fit
//!   its type, a bad page argument, an entity that is not found, any store
//!   error — gives up ([`plan::Bail`]) and the request runs through
//!   async-graphql, which answers it, errors and all. Reads are repeatable,
//!   so giving up after a statement has run only costs that statement.
//!
//! `tests/api/compiled.rs` runs a set of queries through both executors, on
//! both engines, and compares the responses byte for byte.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::page::Page;
use crate::domain::{Edge, EdgeColumns, EdgeFilter, RelatedRow};
use crate::domain::{Entity, PageWindow, RelationType};
use crate::read::{self, Reader};
use crate::service::Service;

pub mod plan;
mod render;

use plan::{
    Bail, Conn, EntityEdgeField, EntityField, EntityRelationEdgeField, ListField, Plan, QueryField,
    RelationField, Sels,
};

/// What the fetch phase read, for the render phase.
#[derive(Default)]
pub struct Data {
    /// Entities read by id (those edges lead to). An entity read by key or
    /// in a page is read again by id when an edge leads to it, as the entity
    /// loader (which only caches what it read) does: the same statements as
    /// async-graphql's execution.
    entities: HashMap<i64, EntityRow>,
    /// Relation types by id.
    types: HashMap<i64, Arc<RelationType>>,
    /// `Entity.relations` pages by connection number and anchor.
    relation_pages: HashMap<(usize, i64), Arc<Page<Edge>>>,
    /// `Entity.relations` pages read lean (ids and far ends only, see
    /// [`lean_edges`]) by connection number and anchor.
    relation_keys: HashMap<(usize, i64), Arc<Page<RelatedRow>>>,
    /// `Entity.related` pages by connection number and anchor.
    related_pages: HashMap<(usize, i64), Arc<Page<RelatedRow>>>,
    /// `totalCount`s not read with their page, by connection number and
    /// anchor.
    counts: HashMap<(usize, i64), u64>,
    /// Per root field, in plan order: the entity of `entity`, or the page
    /// (and count) of `entities`.
    roots: Vec<Root>,
}

impl Data {
    /// Records the counts of connection keys (connection number, anchor).
    fn set_counts(&mut self, keys: Vec<(usize, i64)>, counts: HashMap<i64, u64>) {
        for (id, a) in keys {
            self.counts
                .insert((id, a), counts.get(&a).copied().unwrap_or(0));
        }
    }
}

enum Root {
    None,
    Entity(Entity),
    Entities(Page<Entity>, Option<u64>),
    /// The page of `entities` read as (id, name) pairs: its nodes ask for
    /// no more.
    EntityNames(Page<(i64, Option<String>)>, Option<u64>),
}

/// Whether an entity selection reads no column but its id and name (lists
/// under it are read on their own).
fn reads_names_only(sels: &Sels<EntityField>) -> bool {
    sels.iter().all(|s| {
        matches!(
            s.field,
            EntityField::Typename
                | EntityField::Id
                | EntityField::Name
                | EntityField::Relations(_)
                | EntityField::Related(_)
        )
    })
}

/// An entity read by id: the whole row, or only its name when no entity the
/// query reaches by id asks for more (see [`names_only`]).
enum EntityRow {
    Full(Arc<Entity>),
    Named(Option<String>),
}

/// Whether every entity selection an edge leads to (`other`, `from`, `to`,
/// a related `node`) reads at most `id`, `name` and lists: then entities are
/// read by id as (id, name) pairs.
fn names_only(plan: &Plan) -> bool {
    fn entity(sels: &Sels<EntityField>, by_id: bool) -> bool {
        sels.iter().all(|s| match &s.field {
            EntityField::Typename | EntityField::Id | EntityField::Name => true,
            EntityField::Relations(c) => list(&c.fields, |e| match e {
                EntityRelationEdgeField::Other(o) => entity(o, true),
                EntityRelationEdgeField::Node(n) => n.iter().all(|f| match &f.field {
                    RelationField::From(e) | RelationField::To(e) => entity(e, true),
                    _ => true,
                }),
                _ => true,
            }),
            EntityField::Related(c) => list(&c.fields, |e| match e {
                EntityEdgeField::Node(n) => entity(n, true),
                _ => true,
            }),
            _ => !by_id,
        })
    }
    fn list<E>(fields: &Sels<ListField<E>>, edge: impl Fn(&E) -> bool) -> bool {
        fields.iter().all(|s| match &s.field {
            ListField::Edges(e) => e.iter().all(|f| edge(&f.field)),
            _ => true,
        })
    }
    plan.fields.iter().all(|s| match &s.field {
        QueryField::Typename => true,
        QueryField::Entity { fields, .. } => entity(fields, false),
        QueryField::Entities { fields, .. } => list(fields, |e| match e {
            EntityEdgeField::Node(n) => entity(n, false),
            _ => true,
        }),
    })
}

/// The columns the edges of a relations connection read (see
/// [`EdgeColumns`]).
fn edge_columns(conn: &Conn<EntityRelationEdgeField>) -> EdgeColumns {
    let mut c = EdgeColumns {
        attributes: false,
        times: false,
        bidirectional: false,
    };
    for s in &conn.fields {
        let ListField::Edges(edges) = &s.field else {
            continue;
        };
        for e in edges {
            match &e.field {
                EntityRelationEdgeField::Direction => c.bidirectional = true,
                EntityRelationEdgeField::Node(node) => {
                    for f in node {
                        match &f.field {
                            RelationField::Label
                            | RelationField::Comment
                            | RelationField::Attitude
                            | RelationField::Colour
                            | RelationField::Pinned
                            | RelationField::IsPrivate => c.attributes = true,
                            RelationField::CreatedAt | RelationField::UpdatedAt => c.times = true,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    c
}

/// Whether a relations connection's edges read only their cursor and far
/// end (not the relation, nor its direction): then its page is read lean
/// ([`read::pages::relation_keys`]).
fn lean_edges(conn: &Conn<EntityRelationEdgeField>) -> bool {
    conn.fields.iter().all(|s| match &s.field {
        ListField::Edges(edges) => edges.iter().all(|e| {
            matches!(
                e.field,
                EntityRelationEdgeField::Typename
                    | EntityRelationEdgeField::Cursor
                    | EntityRelationEdgeField::Other(_)
            )
        }),
        _ => true,
    })
}

/// Runs `plan` with `reader`'s connection and renders the response body
/// (`{"data":...}`).
pub async fn run(plan: &Plan, reader: &Reader, service: &Service) -> Result<String, Bail> {
    let data = fetch(plan, reader, service).await?;
    render::response(plan, &data)
}

/// Entity selections at one level: the ids of their entities, and whether
/// the rows are still to be read by id (those an edge leads to) or are at
/// hand (read by key or in a page).
type Wanted<'p> = Vec<(&'p Sels<EntityField>, Vec<i64>, bool)>;

async fn fetch(plan: &Plan, reader: &Reader, service: &Service) -> Result<Data, Bail> {
    let mut data = Data::default();
    let mut frontier: Wanted<'_> = Vec::new();
    for sel in &plan.fields {
        let root = match &sel.field {
            QueryField::Typename => Root::None,
            QueryField::Entity {
                source,
                space,
                kind,
                external_id,
                fields,
            } => {
                let key = service
                    .entity_key(source, space.as_deref(), kind.as_deref(), external_id)
                    .map_err(|_| Bail)?;
                let entity = read::entities::by_key(reader, &key)
                    .await
                    .map_err(|_| Bail)?
                    .ok_or(Bail)?;
                frontier.push((fields, vec![entity.id], false));
                Root::Entity(entity)
            }
            QueryField::Entities {
                filter,
                window,
                fields,
            } => {
                let reads_page = fields
                    .iter()
                    .any(|s| matches!(s.field, ListField::Edges(_) | ListField::PageInfo(_)));
                let nodes = || {
                    fields.iter().flat_map(|s| match &s.field {
                        ListField::Edges(edges) => edges
                            .iter()
                            .filter_map(|e| match &e.field {
                                EntityEdgeField::Node(node) => Some(node),
                                _ => None,
                            })
                            .collect(),
                        _ => Vec::new(),
                    })
                };
                let names_only = nodes().all(reads_names_only);
                let total = if fields
                    .iter()
                    .any(|s| matches!(s.field, ListField::TotalCount))
                {
                    Some(
                        read::entities::count(reader, filter)
                            .await
                            .map_err(|_| Bail)?,
                    )
                } else {
                    None
                };
                let (root, ids) = if !reads_page {
                    (Root::Entities(Page::empty(), total), Vec::new())
                } else if names_only {
                    let page = read::entities::page_of_names(reader, filter, window).await;
                    let page = page.map_err(|_| Bail)?;
                    let ids = page.items.iter().map(|e| e.0).collect();
                    (Root::EntityNames(page, total), ids)
                } else {
                    let page = read::entities::page(reader, filter, window).await;
                    let page = page.map_err(|_| Bail)?;
                    let ids = page.items.iter().map(|e| e.id).collect();
                    (Root::Entities(page, total), ids)
                };
                for node in nodes() {
                    frontier.push((node, ids.clone(), false));
                }
                root
            }
        };
        data.roots.push(root);
    }
    let mut types: Vec<i64> = Vec::new();
    let names = names_only(plan);
    while !frontier.is_empty() || !types.is_empty() {
        load_entities(&mut data, reader, &frontier, names).await?;
        load_types(&mut data, reader, service, std::mem::take(&mut types)).await?;
        frontier = load_pages(&mut data, reader, &frontier, &mut types).await?;
    }
    Ok(data)
}

/// Reads the entities `frontier` needs that are not read yet: one statement.
async fn load_entities(
    data: &mut Data,
    reader: &Reader,
    frontier: &Wanted<'_>,
    names_only: bool,
) -> Result<(), Bail> {
    let mut missing: Vec<i64> = frontier
        .iter()
        .filter(|(_, _, by_id)| *by_id)
        .flat_map(|(_, ids, _)| ids.iter().copied())
        .filter(|id| !data.entities.contains_key(id))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_unstable();
    missing.dedup();
    let before = data.entities.len();
    if names_only {
        let rows = read::entities::names_by_ids(reader, &missing)
            .await
            .map_err(|_| Bail)?;
        for (id, name) in rows {
            data.entities.insert(id, EntityRow::Named(name));
        }
    } else {
        let rows = read::entities::by_ids(reader, &missing)
            .await
            .map_err(|_| Bail)?;
        for e in rows {
            data.entities.insert(e.id, EntityRow::Full(Arc::new(e)));
        }
    }
    if data.entities.len() - before != missing.len() {
        // Deleted since its relation was read: async-graphql reports it.
        return Err(Bail);
    }
    Ok(())
}

/// Reads relation types `ids` that are not read yet, as the loaders do
/// ([`Service::relation_types`]).
async fn load_types(
    data: &mut Data,
    reader: &Reader,
    service: &Service,
    mut ids: Vec<i64>,
) -> Result<(), Bail> {
    ids.retain(|id| !data.types.contains_key(id));
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let found = service
        .relation_types(reader, &ids)
        .await
        .map_err(|_| Bail)?;
    if found.len() != ids.len() {
        return Err(Bail);
    }
    data.types.extend(found);
    Ok(())
}

/// Connections of one kind met at one level, grouped by their arguments:
/// each group is one statement, as the dataloaders batch them.
struct Groups<'p, E> {
    groups: Vec<Group<'p, E>>,
}

struct Group<'p, E> {
    filter: &'p EdgeFilter,
    window: &'p PageWindow,
    with_total: bool,
    conns: Vec<(&'p Conn<E>, Vec<i64>)>,
}

impl<'p, E> Groups<'p, E> {
    fn new() -> Self {
        Self { groups: Vec::new() }
    }

    fn add(&mut self, conn: &'p Conn<E>, anchors: &[i64]) {
        let anchors = anchors.to_vec();
        let same = |g: &&mut Group<'p, E>| {
            g.filter == &conn.filter && g.window == &conn.window && g.with_total == conn.with_total
        };
        match self.groups.iter_mut().find(same) {
            Some(g) => g.conns.push((conn, anchors)),
            None => self.groups.push(Group {
                filter: &conn.filter,
                window: &conn.window,
                with_total: conn.with_total,
                conns: vec![(conn, anchors)],
            }),
        }
    }
}

impl<'p, E> Group<'p, E> {
    /// Hands each connection of the group its anchors' pages out of `pages`
    /// (the group's statement's result).
    fn spread<T>(
        &self,
        pages: HashMap<i64, Page<T>>,
        mut each: impl FnMut(&'p Conn<E>, i64, Arc<Page<T>>),
    ) -> Result<(), Bail> {
        let pages: HashMap<i64, Arc<Page<T>>> =
            pages.into_iter().map(|(a, p)| (a, Arc::new(p))).collect();
        for (conn, anchors) in &self.conns {
            for a in anchors {
                each(conn, *a, pages.get(a).cloned().ok_or(Bail)?);
            }
        }
        Ok(())
    }

    fn anchors(&self) -> Vec<i64> {
        let mut all: Vec<i64> = self
            .conns
            .iter()
            .flat_map(|(_, a)| a.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Connections whose `totalCount` is not counted with their page, grouped by
/// filter as the count loaders group them: one statement per filter.
#[derive(Default)]
struct Counts<'p> {
    groups: Vec<(&'p EdgeFilter, Vec<(usize, i64)>)>,
}

impl<'p> Counts<'p> {
    fn add<E>(&mut self, conn: &'p Conn<E>, anchors: &[i64]) {
        let counted_with_page = crate::domain::counts_with_page(&conn.window, conn.with_total);
        if !conn.wants_total || counted_with_page {
            return;
        }
        let keys = anchors.iter().map(|a| (conn.id, *a));
        match self.groups.iter_mut().find(|(f, _)| *f == &conn.filter) {
            Some((_, k)) => k.extend(keys),
            None => self.groups.push((&conn.filter, keys.collect())),
        }
    }
}

fn anchors_of(keys: &[(usize, i64)]) -> Vec<i64> {
    let mut a: Vec<i64> = keys.iter().map(|(_, a)| *a).collect();
    a.sort_unstable();
    a.dedup();
    a
}

/// Reads the pages (and counts) of the connections under `frontier`, and
/// returns the entity selections their edges lead to; relation types the
/// edges need go to `types`.
async fn load_pages<'p>(
    data: &mut Data,
    reader: &Reader,
    frontier: &Wanted<'p>,
    types: &mut Vec<i64>,
) -> Result<Wanted<'p>, Bail> {
    let (mut relations, mut related) = (Groups::new(), Groups::new());
    let (mut relation_counts, mut related_counts) = (Counts::default(), Counts::default());
    for (sels, ids, _) in frontier {
        let sels: &'p Sels<EntityField> = sels;
        for sel in sels {
            match &sel.field {
                EntityField::Relations(c) => {
                    if c.reads_page {
                        relations.add(c, ids);
                    }
                    relation_counts.add(c, ids);
                }
                EntityField::Related(c) => {
                    if c.reads_page {
                        related.add(c, ids);
                    }
                    related_counts.add(c, ids);
                }
                _ => {}
            }
        }
    }
    let mut next: Wanted<'p> = Vec::new();
    for g in &relations.groups {
        if g.conns.iter().all(|(c, _)| lean_edges(c)) {
            let pages =
                read::pages::relation_keys(reader, &g.anchors(), g.filter, g.window, g.with_total)
                    .await
                    .map_err(|_| Bail)?;
            g.spread(pages, |conn, a, page| {
                follow_entity_edges(&conn.fields, &page, &mut next, |e| match e {
                    EntityRelationEdgeField::Other(o) => Some(o),
                    _ => None,
                });
                data.relation_keys.insert((conn.id, a), page);
            })?;
            continue;
        }
        let columns = g
            .conns
            .iter()
            .map(|(c, _)| edge_columns(c))
            .reduce(EdgeColumns::union)
            .ok_or(Bail)?;
        let anchors = g.anchors();
        let (filter, window) = (g.filter, g.window);
        let pages =
            read::pages::relation_pages(reader, &anchors, filter, window, g.with_total, columns)
                .await
                .map_err(|_| Bail)?;
        g.spread(pages, |conn, a, page| {
            follow_relation_edges(conn, a, &page, &mut next, types);
            data.relation_pages.insert((conn.id, a), page);
        })?;
    }
    for (filter, keys) in relation_counts.groups {
        let counts = read::pages::relation_counts(reader, &anchors_of(&keys), filter).await;
        data.set_counts(keys, counts.map_err(|_| Bail)?);
    }
    for g in &related.groups {
        let pages =
            read::pages::related_pages(reader, &g.anchors(), g.filter, g.window, g.with_total)
                .await
                .map_err(|_| Bail)?;
        g.spread(pages, |conn, a, page| {
            follow_entity_edges(&conn.fields, &page, &mut next, |e| match e {
                EntityEdgeField::Node(n) => Some(n),
                _ => None,
            });
            data.related_pages.insert((conn.id, a), page);
        })?;
    }
    for (filter, keys) in related_counts.groups {
        let counts = read::pages::related_counts(reader, &anchors_of(&keys), filter).await;
        data.set_counts(keys, counts.map_err(|_| Bail)?);
    }
    Ok(next)
}

/// The entities the edges of a page of (relation id or first relation id,
/// far end) rows lead to: `entity` picks the edge fields that are the far
/// end.
fn follow_entity_edges<'p, E>(
    fields: &'p Sels<ListField<E>>,
    page: &Page<RelatedRow>,
    next: &mut Wanted<'p>,
    entity: impl Fn(&'p E) -> Option<&'p Sels<EntityField>>,
) {
    for s in fields {
        if let ListField::Edges(edges) = &s.field {
            for e in edges {
                if let Some(sels) = entity(&e.field) {
                    next.push((sels, page.items.iter().map(|r| r.other_id).collect(), true));
                }
            }
        }
    }
}

/// The entities and types the edges of one relation page lead to.
fn follow_relation_edges<'p>(
    conn: &'p Conn<EntityRelationEdgeField>,
    anchor: i64,
    page: &Page<Edge>,
    next: &mut Wanted<'p>,
    types: &mut Vec<i64>,
) {
    for s in &conn.fields {
        let ListField::Edges(edges) = &s.field else {
            continue;
        };
        for e in edges {
            match &e.field {
                EntityRelationEdgeField::Other(other) => next.push((
                    other,
                    page.items
                        .iter()
                        .map(|e| e.relation.other_end(anchor))
                        .collect(),
                    true,
                )),
                EntityRelationEdgeField::Node(node) => {
                    for f in node {
                        match &f.field {
                            RelationField::From(sels) => next.push((
                                sels,
                                page.items.iter().map(|e| e.relation.from_id).collect(),
                                true,
                            )),
                            RelationField::To(sels) => next.push((
                                sels,
                                page.items.iter().map(|e| e.relation.to_id).collect(),
                                true,
                            )),
                            RelationField::Type(_) => {
                                types.extend(page.items.iter().map(|e| e.relation.type_id));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
