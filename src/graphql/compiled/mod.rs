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
use crate::domain::{Edge, EdgeShape, EntityShape, ListKey, RelatedRow};
use crate::domain::{Entity, RelationType};
use crate::read::Reader;
use crate::read::level::{self, EntityCache, Listed};
use crate::service::Service;

pub mod plan;
mod render;

use plan::{
    Bail, Conn, EntityEdgeField, EntityField, EntityRelationEdgeField, ListField, Plan, QueryField,
    Reads, RelationField, Sels,
};

/// What the fetch phase read, for the render phase.
#[derive(Default)]
pub struct Data {
    /// Entities read by id (those edges lead to), each with the widest shape
    /// it was read with, as the entity loader keeps them: an entity read by
    /// key or in a page is read again by id when an edge leads to it, as
    /// the loader (which only holds what it read by id) does.
    entities: EntityCache,
    /// Relation types by id.
    types: HashMap<i64, Arc<RelationType>>,
    /// `Entity.relations` pages by connection number and anchor.
    relation_pages: HashMap<(usize, i64), Arc<Page<Edge>>>,
    /// `Entity.relations` pages read lean (ids and far ends only) by
    /// connection number and anchor.
    relation_keys: HashMap<(usize, i64), Arc<Page<RelatedRow>>>,
    /// `Entity.related` pages by connection number and anchor.
    related_pages: HashMap<(usize, i64), Arc<Page<RelatedRow>>>,
    /// `totalCount`s by connection number and anchor.
    counts: HashMap<(usize, i64), u64>,
    /// Per root field, in plan order: the entity of `entity`, or the page
    /// (and count) of `entities`.
    roots: Vec<Root>,
}

enum Root {
    None,
    Entity(Entity),
    /// The page of `entities`, read as its nodes' shape asks, and its count.
    Entities(Arc<Page<Entity>>, EntityShape, Option<u64>),
}

/// What an entity selection shows: its id and name only (lists under it
/// are read on their own), or more of its row (from the fields' table:
/// [`plan::Reads`]).
pub fn entity_shape(sels: &Sels<EntityField>) -> EntityShape {
    if sels.iter().any(|s| s.field.reads() == Reads::EntityRow) {
        EntityShape::Row
    } else {
        EntityShape::Named
    }
}

/// What the nodes of a `Query.entities` (or `Entity.related`) page show.
pub fn nodes_shape(fields: &Sels<ListField<EntityEdgeField>>) -> EntityShape {
    fields
        .iter()
        .filter_map(|s| match &s.field {
            ListField::Edges(edges) => Some(edges),
            _ => None,
        })
        .flatten()
        .filter_map(|e| match &e.field {
            EntityEdgeField::Node(node) => Some(entity_shape(node)),
            _ => None,
        })
        .fold(EntityShape::Named, EntityShape::union)
}

/// What the edges of an `Entity.relations` connection show: only cursors
/// and far ends ([`EdgeShape::Lean`]), or the relations' columns (see
/// [`EdgeColumns`]).
pub fn edge_shape(fields: &Sels<ListField<EntityRelationEdgeField>>) -> EdgeShape {
    fields
        .iter()
        .filter_map(|s| match &s.field {
            ListField::Edges(edges) => Some(edges_shape(edges)),
            _ => None,
        })
        .fold(EdgeShape::Lean, EdgeShape::union)
}

/// What the fields of one `edges` selection show (from the fields'
/// table: [`plan::Reads`]): lean when none reads the relation's row.
pub fn edges_shape(edges: &Sels<EntityRelationEdgeField>) -> EdgeShape {
    let node_reads = edges.iter().flat_map(|e| match &e.field {
        EntityRelationEdgeField::Node(node) => node.iter().map(|f| f.field.reads()).collect(),
        _ => Vec::new(),
    });
    edges
        .iter()
        .map(|e| e.field.reads())
        .chain(node_reads)
        .fold(EdgeShape::Lean, |shape, reads| match reads {
            Reads::Relation(columns) => shape.union(EdgeShape::Rows(columns)),
            Reads::Nothing | Reads::EntityRow => shape,
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
    // The root lists, all in one call (as the loaders batch the root level):
    // per root field, the positions of its page's and count's keys.
    let mut root_keys: Vec<ListKey> = Vec::new();
    let mut at: Vec<(Option<usize>, Option<usize>)> = Vec::new();
    for sel in &plan.fields {
        let mut push = |k: ListKey| {
            root_keys.push(k);
            Some(root_keys.len() - 1)
        };
        at.push(match &sel.field {
            QueryField::Entities {
                filter,
                window,
                fields,
            } => (
                if reads_page(fields) {
                    push(ListKey::Entities {
                        filter: filter.clone(),
                        window: window.clone(),
                        shape: nodes_shape(fields),
                    })
                } else {
                    None
                },
                if fields
                    .iter()
                    .any(|s| matches!(s.field, ListField::TotalCount))
                {
                    push(ListKey::EntityCount {
                        filter: filter.clone(),
                    })
                } else {
                    None
                },
            ),
            _ => (None, None),
        });
    }
    let listed = level::lists(reader, &root_keys).await.map_err(|_| Bail)?;
    let mut frontier: Wanted<'_> = Vec::new();
    let mut by_key: Vec<(crate::domain::EntityKey, Entity)> = Vec::new();
    for (sel, (page_at, count_at)) in plan.fields.iter().zip(at) {
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
                // One statement per distinct key, as the loader reads them.
                let entity = match by_key.iter().find(|(k, _)| *k == key) {
                    Some((_, e)) => e.clone(),
                    None => {
                        let e = level::entities_by_key(reader, std::slice::from_ref(&key))
                            .await
                            .map_err(|_| Bail)?
                            .pop()
                            .flatten()
                            .ok_or(Bail)?;
                        by_key.push((key, e.clone()));
                        e
                    }
                };
                frontier.push((fields, vec![entity.id], false));
                Root::Entity(entity)
            }
            QueryField::Entities { fields, .. } => {
                let shape = nodes_shape(fields);
                let page = match page_at.map(|i| &listed[i]) {
                    Some(Listed::Entities(p)) => p.clone(),
                    Some(_) => return Err(Bail),
                    None => Arc::new(Page::empty()),
                };
                let total = match count_at.map(|i| &listed[i]) {
                    Some(Listed::Count(n)) => Some(*n),
                    _ => None,
                };
                let ids: Vec<i64> = page.items.iter().map(|e| e.id).collect();
                for s in fields {
                    if let ListField::Edges(edges) = &s.field {
                        for e in edges {
                            if let EntityEdgeField::Node(node) = &e.field {
                                frontier.push((node, ids.clone(), false));
                            }
                        }
                    }
                }
                Root::Entities(page, shape, total)
            }
        };
        data.roots.push(root);
    }
    let mut types: Vec<i64> = Vec::new();
    while !frontier.is_empty() || !types.is_empty() {
        load_entities(&mut data, reader, &frontier).await?;
        load_types(&mut data, reader, service, std::mem::take(&mut types)).await?;
        frontier = load_pages(&mut data, reader, &frontier, &mut types).await?;
    }
    Ok(data)
}

/// Whether a connection's fields read its page (`edges` or `pageInfo`).
fn reads_page<E>(fields: &Sels<ListField<E>>) -> bool {
    fields
        .iter()
        .any(|s| matches!(s.field, ListField::Edges(_) | ListField::PageInfo(_)))
}

/// Reads the entities `frontier` needs by id that the request does not hold
/// as they are asked for: one statement ([`EntityCache`]).
async fn load_entities(
    data: &mut Data,
    reader: &Reader,
    frontier: &Wanted<'_>,
) -> Result<(), Bail> {
    let keys: Vec<(i64, EntityShape)> = frontier
        .iter()
        .filter(|(_, _, by_id)| *by_id)
        .flat_map(|(sels, ids, _)| {
            let shape = entity_shape(sels);
            ids.iter().map(move |id| (*id, shape))
        })
        .collect();
    let (ids, shape) = data.entities.missing(&keys);
    if ids.is_empty() {
        return Ok(());
    }
    let rows = level::entities_by_id(reader, &ids, shape)
        .await
        .map_err(|_| Bail)?;
    if data.entities.keep(rows) != ids.len() {
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

/// Reads the pages and counts of the connections under `frontier` in one
/// call ([`level::lists`]), and returns the entity selections their edges
/// lead to; relation types the edges need go to `types`.
async fn load_pages<'p>(
    data: &mut Data,
    reader: &Reader,
    frontier: &Wanted<'p>,
    types: &mut Vec<i64>,
) -> Result<Wanted<'p>, Bail> {
    // Each connection at each anchor, with the positions of its page's and
    // count's keys.
    let mut keys: Vec<ListKey> = Vec::new();
    let mut wanted: Vec<(&'p EntityField, i64, Option<usize>, Option<usize>)> = Vec::new();
    for (sels, ids, _) in frontier {
        let sels: &'p Sels<EntityField> = sels;
        for sel in sels {
            for a in ids {
                if let Some((page, count)) = conn_keys(&sel.field, *a) {
                    let mut push = |k: Option<ListKey>| {
                        k.map(|k| {
                            keys.push(k);
                            keys.len() - 1
                        })
                    };
                    let (page, count) = (push(page), push(count));
                    wanted.push((&sel.field, *a, page, count));
                }
            }
        }
    }
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let listed = level::lists(reader, &keys).await.map_err(|_| Bail)?;
    let mut next: Wanted<'p> = Vec::new();
    for (field, anchor, page, count) in wanted {
        let conn_id = match field {
            EntityField::Relations(c) => c.id,
            EntityField::Related(c) => c.id,
            _ => continue,
        };
        if let Some(i) = count {
            let Listed::Count(n) = &listed[i] else {
                return Err(Bail);
            };
            data.counts.insert((conn_id, anchor), *n);
        }
        let Some(i) = page else {
            continue;
        };
        match (field, Some(&listed[i])) {
            (EntityField::Relations(c), Some(Listed::RelationKeys(page))) => {
                follow_entity_edges(&c.fields, page, &mut next, |e| match e {
                    EntityRelationEdgeField::Other(o) => Some(o),
                    _ => None,
                });
                data.relation_keys.insert((c.id, anchor), page.clone());
            }
            (EntityField::Relations(c), Some(Listed::Relations(page))) => {
                follow_relation_edges(c, anchor, page, &mut next, types);
                data.relation_pages.insert((c.id, anchor), page.clone());
            }
            (EntityField::Related(c), Some(Listed::Related(page))) => {
                follow_entity_edges(&c.fields, page, &mut next, |e| match e {
                    EntityEdgeField::Node(n) => Some(n),
                    _ => None,
                });
                data.related_pages.insert((c.id, anchor), page.clone());
            }
            _ => return Err(Bail),
        }
    }
    Ok(next)
}

/// The keys of a connection field's page and count at `anchor`, as far as
/// the query reads them; `None` for other fields.
fn conn_keys(field: &EntityField, anchor: i64) -> Option<(Option<ListKey>, Option<ListKey>)> {
    match field {
        EntityField::Relations(c) => Some((
            c.reads_page.then(|| ListKey::Relations {
                anchor,
                filter: c.filter.clone(),
                window: c.window.clone(),
                shape: edge_shape(&c.fields),
            }),
            c.wants_total.then(|| ListKey::RelationCount {
                anchor,
                filter: c.filter.clone(),
            }),
        )),
        EntityField::Related(c) => Some((
            c.reads_page.then(|| ListKey::Related {
                anchor,
                filter: c.filter.clone(),
                window: c.window.clone(),
            }),
            c.wants_total.then(|| ListKey::RelatedCount {
                anchor,
                filter: c.filter.clone(),
            }),
        )),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    use super::plan::{
        self, ARGUMENTS, EntityEdgeField, EntityField, EntityRelationEdgeField, Env, ListField,
        PageInfoField, RelationField, RelationTypeField,
    };
    use crate::domain::Visibility;

    /// Each compiled type with the fields the compiled executor answers and
    /// those it leaves to async-graphql, from the fields' tables.
    fn tables() -> Vec<(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )> {
        let mut t = vec![
            (
                EntityField::TYPE,
                EntityField::FIELDS,
                EntityField::FALLS_BACK,
            ),
            (
                RelationField::TYPE,
                RelationField::FIELDS,
                RelationField::FALLS_BACK,
            ),
            (
                RelationTypeField::TYPE,
                RelationTypeField::FIELDS,
                RelationTypeField::FALLS_BACK,
            ),
            (
                PageInfoField::TYPE,
                PageInfoField::FIELDS,
                PageInfoField::FALLS_BACK,
            ),
            (
                EntityRelationEdgeField::TYPE,
                EntityRelationEdgeField::FIELDS,
                EntityRelationEdgeField::FALLS_BACK,
            ),
            (
                EntityEdgeField::TYPE,
                EntityEdgeField::FIELDS,
                EntityEdgeField::FALLS_BACK,
            ),
            (
                "RelatedEntityEdge",
                EntityEdgeField::FIELDS,
                EntityEdgeField::FALLS_BACK,
            ),
        ];
        for ty in ListField::<()>::TYPES {
            t.push((ty, ListField::<()>::FIELDS, &[]));
        }
        t
    }

    /// The served schema's object types: their fields, each with its
    /// arguments.
    fn served() -> HashMap<String, Vec<(String, Vec<String>)>> {
        let doc = async_graphql::parser::parse_schema(crate::graphql::sdl()).unwrap();
        let mut out = HashMap::new();
        for def in doc.definitions {
            let TypeSystemDefinition::Type(t) = def else {
                continue;
            };
            let TypeKind::Object(o) = &t.node.kind else {
                continue;
            };
            let fields = o
                .fields
                .iter()
                .map(|f| {
                    let args = f.node.arguments.iter();
                    let args = args.map(|a| a.node.name.node.to_string()).collect();
                    (f.node.name.node.to_string(), args)
                })
                .collect();
            out.insert(t.node.name.node.to_string(), fields);
        }
        out
    }

    #[test]
    fn every_field_of_a_compiled_type_is_compiled_or_declared_to_fall_back() {
        let schema = served();
        let mut problems = Vec::new();
        for (ty, compiled, falls_back) in tables() {
            let Some(fields) = schema.get(ty) else {
                problems.push(format!("{ty} is not served"));
                continue;
            };
            for (name, args) in fields {
                let (c, f) = (
                    compiled.contains(&name.as_str()),
                    falls_back.contains(&name.as_str()),
                );
                if c == f {
                    problems.push(format!(
                        "{ty}.{name}: neither compiled nor declared to fall back (or both)"
                    ));
                }
                if !c {
                    continue;
                }
                let declared = ARGUMENTS.iter().find(|(t, n, _, _)| t == &ty && n == name);
                for arg in args {
                    let known = declared.is_some_and(|(_, _, c, f)| {
                        c.contains(&arg.as_str()) || f.contains(&arg.as_str())
                    });
                    if !known {
                        problems.push(format!(
                            "{ty}.{name}({arg}:): neither compiled nor declared to fall back"
                        ));
                    }
                }
            }
            for name in compiled.iter().chain(falls_back.iter()) {
                if !fields.iter().any(|(n, _)| n == name) {
                    problems.push(format!("{ty}.{name} is in the table but not served"));
                }
            }
        }
        for (ty, name, compiled, falls_back) in ARGUMENTS {
            let args = schema
                .get(*ty)
                .and_then(|f| f.iter().find(|(n, _)| n == name))
                .map(|(_, a)| a.clone())
                .unwrap_or_default();
            for arg in compiled.iter().chain(falls_back.iter()) {
                if !args.iter().any(|a| a == arg) {
                    problems.push(format!("{ty}.{name}({arg}:) is declared but not served"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// A selection of every compiled field of `ty` (nested ones with their
    /// own compiled fields, `depth` levels down).
    fn everything(ty: &str, depth: usize) -> String {
        let table = tables();
        let (_, fields, _) = table.iter().find(|(t, _, _)| *t == ty).unwrap();
        let nested = |t: &str| {
            if depth == 0 {
                "{ __typename }".to_owned()
            } else {
                format!("{{ {} }}", everything(t, depth - 1))
            }
        };
        fields
            .iter()
            .map(|f| {
                let of = match (ty, *f) {
                    ("Entity", "relations") => Some("EntityRelationConnection"),
                    ("Entity", "related") => Some("RelatedEntityConnection"),
                    ("EntityRelationConnection", "edges") => Some("EntityRelationEdge"),
                    ("RelatedEntityConnection", "edges") => Some("RelatedEntityEdge"),
                    ("EntityConnection", "edges") => Some("EntityEdge"),
                    (_, "pageInfo") => Some("PageInfo"),
                    (_, "node") if ty == "EntityRelationEdge" => Some("Relation"),
                    (_, "node") => Some("Entity"),
                    (_, "other" | "from" | "to") => Some("Entity"),
                    ("Relation", "type") => Some("RelationType"),
                    _ => None,
                };
                match of {
                    Some(t) => format!("{f} {}", nested(t)),
                    None => (*f).to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_planner_compiles_every_field_its_table_lists() {
        let query = format!(
            "{{ entity(source: \"kanka\", space: \"1\", externalId: \"2\") {{ {} }} entities {{ {} }} }}",
            everything("Entity", 4),
            everything("EntityConnection", 2),
        );
        let doc = async_graphql::parser::parse_query(&query).unwrap();
        let variables = async_graphql::Variables::default();
        let env = Env {
            limits: crate::graphql::PageLimits::default(),
            visibility: Visibility {
                include_private: false,
            },
            variables: &variables,
        };
        let planned = plan::plan(&doc, None, &env, usize::MAX);
        assert!(planned.is_ok(), "not compiled: {query}");
        // A field the table declares to fall back is not.
        let history = "{ entity(source: \"kanka\", space: \"1\", externalId: \"2\") { history { totalCount } } }";
        let doc = async_graphql::parser::parse_query(history).unwrap();
        assert!(plan::plan(&doc, None, &env, usize::MAX).is_err());
    }
}
