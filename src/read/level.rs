//! The reads of one query level, decided in one place for both executors.
//!
//! A level of a query asks for lists (pages and counts of
//! `Entity.relations`, `Entity.related`, `Query.entities`) and for the
//! entities its edges lead to. The compiled executor hands a whole level to
//! these functions; async-graphql's resolvers reach them through the
//! per-request dataloaders, whose batch is the level. Which statements run
//! is decided here from what the level asks for, so both executors run the
//! same statements for the same query, and a new argument or field is read
//! the same way whichever executor renders it:
//!
//! - the pages of one kind with the same filter and window are one
//!   statement for all their anchors, reading what any of them shows
//!   ([`EdgeShape::union`]): only cursors and far ends when none shows more
//!   (`store::pages::relation_keys`), else the columns their edges show;
//! - a count is read with a page of its list when the level reads one for
//!   its anchor, filter and a window without a cursor (a `COUNT(*) OVER`
//!   column of that statement), else with the other counts of its filter
//!   in one statement;
//! - entities by id are one statement, reading the whole rows when any of
//!   them shows more than its id and name ([`EntityShape::union`]);
//! - relations counted by group (`Entity.relationCounts`) are one
//!   statement per filter for all their anchors;
//! - the neighbourhoods of one walk and window are one recursive statement
//!   for all their anchors (`store::traversal`).

use std::collections::HashMap;
use std::sync::Arc;

use super::Reader;
use crate::domain::page::Page;
use crate::domain::{
    Edge, EdgeFilter, EdgeShape, Entity, EntityFilter, EntityKey, EntityShape, GroupCounts,
    ListKey, PageWindow, Reached, RelatedRow, WalkFilter, counts_with_page,
};
use crate::error::{AppError, AppResult};
use crate::store;

/// What a [`ListKey`] reads to.
#[derive(Debug, Clone)]
pub enum Listed {
    /// A page of relations, read with the columns its level shows.
    Relations(Arc<Page<Edge>>),
    /// A page of relations read lean: relation ids and far ends.
    RelationKeys(Arc<Page<RelatedRow>>),
    /// A page of related entities.
    Related(Arc<Page<RelatedRow>>),
    /// A page of `Query.entities` (rows as their shape reads them).
    Entities(Arc<Page<Entity>>),
    /// Relations counted by type, kind and direction.
    GroupCounts(Arc<GroupCounts>),
    /// A page of a neighbourhood (with its size).
    Neighbourhood(Arc<Page<Reached>>),
    /// A list's size.
    Count(u64),
}

/// What a page shows, as far as its statement's columns go: what a group
/// of pages reads is what any of them shows.
trait Shape: Copy {
    fn union(self, other: Self) -> Self;
}

impl Shape for EdgeShape {
    fn union(self, other: Self) -> Self {
        EdgeShape::union(self, other)
    }
}

impl Shape for EntityShape {
    fn union(self, other: Self) -> Self {
        EntityShape::union(self, other)
    }
}

/// Related entities are read one way.
impl Shape for () {
    fn union(self, _: Self) -> Self {}
}

/// The pages of one kind that share a filter and a window: one statement.
struct Group<'k, F, S> {
    filter: &'k F,
    window: &'k PageWindow,
    shape: S,
    anchors: Vec<i64>,
    /// The keys (by position) whose pages this statement reads.
    pages: Vec<(i64, usize)>,
    /// The keys (by position) of the counts read with this statement.
    counts: Vec<(i64, usize)>,
}

impl<'k, F: PartialEq, S: Shape> Group<'k, F, S> {
    fn add(
        groups: &mut Vec<Self>,
        key: usize,
        (anchor, filter, window, shape): (i64, &'k F, &'k PageWindow, S),
    ) {
        let g = match groups
            .iter_mut()
            .position(|g| g.filter == filter && g.window == window)
        {
            Some(i) => &mut groups[i],
            None => {
                groups.push(Self {
                    filter,
                    window,
                    shape,
                    anchors: Vec::new(),
                    pages: Vec::new(),
                    counts: Vec::new(),
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        g.shape = g.shape.union(shape);
        g.anchors.push(anchor);
        g.pages.push((anchor, key));
    }

    fn anchors(&self) -> Vec<i64> {
        let mut a = self.anchors.clone();
        a.sort_unstable();
        a.dedup();
        a
    }
}

/// Counts of one filter not read with a page: one statement.
type CountGroup<'k, F> = (&'k F, Vec<(i64, usize)>);

/// Gives each count to the first page group of its filter whose window has
/// no cursor and that reads its anchor; returns the rest, by filter.
fn fold_counts<'k, F: PartialEq, S>(
    groups: &mut [Group<'k, F, S>],
    counts: Vec<(i64, &'k F, usize)>,
) -> Vec<CountGroup<'k, F>> {
    let mut rest: Vec<CountGroup<'k, F>> = Vec::new();
    if counts.is_empty() {
        return rest;
    }
    // Each group's anchors as a set: a level may hold thousands of both.
    let anchors: Vec<std::collections::HashSet<i64>> = groups
        .iter()
        .map(|g| g.anchors.iter().copied().collect())
        .collect();
    for (anchor, filter, key) in counts {
        let with_page = groups.iter().zip(&anchors).position(|(g, a)| {
            g.filter == filter && counts_with_page(g.window, true) && a.contains(&anchor)
        });
        match with_page {
            Some(i) => groups[i].counts.push((anchor, key)),
            None => match rest.iter_mut().find(|(f, _)| *f == filter) {
                Some((_, keys)) => keys.push((anchor, key)),
                None => rest.push((filter, vec![(anchor, key)])),
            },
        }
    }
    rest
}

/// Hands out a group's pages (one statement's result) to its keys, and its
/// counts from the pages' totals.
fn spread<T, F, S>(
    out: &mut [Option<Listed>],
    group: &Group<'_, F, S>,
    pages: HashMap<i64, Page<T>>,
    wrap: impl Fn(Arc<Page<T>>) -> Listed,
) {
    let pages: HashMap<i64, Arc<Page<T>>> =
        pages.into_iter().map(|(a, p)| (a, Arc::new(p))).collect();
    for (anchor, key) in &group.pages {
        let page = pages
            .get(anchor)
            .cloned()
            .unwrap_or_else(|| Arc::new(Page::empty()));
        out[*key] = Some(wrap(page));
    }
    for (anchor, key) in &group.counts {
        let total = pages.get(anchor).and_then(|p| p.total).unwrap_or(0);
        out[*key] = Some(Listed::Count(total));
    }
}

fn anchors_of(keys: &[(i64, usize)]) -> Vec<i64> {
    let mut a: Vec<i64> = keys.iter().map(|(a, _)| *a).collect();
    a.sort_unstable();
    a.dedup();
    a
}

/// Counts read on their own: each key its anchor's.
fn set_counts(out: &mut [Option<Listed>], keys: &[(i64, usize)], counts: &HashMap<i64, u64>) {
    for (anchor, key) in keys {
        out[*key] = Some(Listed::Count(counts.get(anchor).copied().unwrap_or(0)));
    }
}

/// Reads the lists of one level (see the module docs for which statements
/// run): what each key reads to, in the keys' order. A key given twice is
/// read once.
pub async fn lists(reader: &Reader, keys: &[ListKey]) -> AppResult<Vec<Listed>> {
    let mut relations: Vec<Group<'_, EdgeFilter, EdgeShape>> = Vec::new();
    let mut related: Vec<Group<'_, EdgeFilter, ()>> = Vec::new();
    let mut entities: Vec<Group<'_, EntityFilter, EntityShape>> = Vec::new();
    let mut walks: Vec<Group<'_, WalkFilter, ()>> = Vec::new();
    let mut group_counts: Vec<CountGroup<'_, EdgeFilter>> = Vec::new();
    let (mut relation_counts, mut related_counts) = (Vec::new(), Vec::new());
    let mut entity_counts: Vec<(&EntityFilter, Vec<usize>)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        match key {
            ListKey::Relations {
                anchor,
                filter,
                window,
                shape,
            } => Group::add(&mut relations, i, (*anchor, filter, window, *shape)),
            ListKey::RelationCount { anchor, filter } => relation_counts.push((*anchor, filter, i)),
            ListKey::Related {
                anchor,
                filter,
                window,
            } => Group::add(&mut related, i, (*anchor, filter, window, ())),
            ListKey::RelatedCount { anchor, filter } => related_counts.push((*anchor, filter, i)),
            ListKey::Entities {
                filter,
                window,
                shape,
            } => Group::add(&mut entities, i, (0, filter, window, *shape)),
            ListKey::GroupCounts { anchor, filter } => {
                match group_counts.iter_mut().find(|(f, _)| *f == filter) {
                    Some((_, keys)) => keys.push((*anchor, i)),
                    None => group_counts.push((filter, vec![(*anchor, i)])),
                }
            }
            ListKey::Neighbourhood {
                anchor,
                walk,
                window,
            } => Group::add(&mut walks, i, (*anchor, walk, window, ())),
            ListKey::EntityCount { filter } => {
                match entity_counts.iter_mut().find(|(f, _)| *f == filter) {
                    Some((_, k)) => k.push(i),
                    None => entity_counts.push((filter, vec![i])),
                }
            }
        }
    }
    let relation_counts = fold_counts(&mut relations, relation_counts);
    let related_counts = fold_counts(&mut related, related_counts);
    let mut out: Vec<Option<Listed>> = vec![None; keys.len()];
    for g in &relations {
        let (anchors, counted) = (g.anchors(), !g.counts.is_empty());
        match g.shape {
            EdgeShape::Lean => {
                let pages =
                    store::pages::relation_keys(reader, &anchors, g.filter, g.window, counted)
                        .await?;
                spread(&mut out, g, pages, Listed::RelationKeys);
            }
            EdgeShape::Rows(columns) => {
                let pages = store::pages::relation_pages(
                    reader, &anchors, g.filter, g.window, counted, columns,
                )
                .await?;
                spread(&mut out, g, pages, Listed::Relations);
            }
        }
    }
    for (filter, keys) in relation_counts {
        let counts = store::pages::relation_counts(reader, &anchors_of(&keys), filter).await?;
        set_counts(&mut out, &keys, &counts);
    }
    for g in &related {
        let (anchors, counted) = (g.anchors(), !g.counts.is_empty());
        let pages =
            store::pages::related_pages(reader, &anchors, g.filter, g.window, counted).await?;
        spread(&mut out, g, pages, Listed::Related);
    }
    for (filter, keys) in related_counts {
        let counts = store::pages::related_counts(reader, &anchors_of(&keys), filter).await?;
        set_counts(&mut out, &keys, &counts);
    }
    for g in &entities {
        let page = match g.shape {
            EntityShape::Named => {
                let page = store::entities::page_of_names(reader, g.filter, g.window).await?;
                Page {
                    items: page
                        .items
                        .into_iter()
                        .map(|(id, name)| Entity::named(id, name))
                        .collect(),
                    has_next: page.has_next,
                    has_previous: page.has_previous,
                    total: page.total,
                }
            }
            EntityShape::Row => store::entities::page(reader, g.filter, g.window).await?,
        };
        spread(&mut out, g, HashMap::from([(0, page)]), Listed::Entities);
    }
    for (filter, keys) in group_counts {
        let counts = store::pages::group_counts(reader, &anchors_of(&keys), filter).await?;
        for (anchor, key) in keys {
            let c = counts.get(&anchor).cloned().unwrap_or_default();
            out[key] = Some(Listed::GroupCounts(Arc::new(c)));
        }
    }
    for g in &walks {
        let pages =
            store::traversal::neighbourhoods(reader, &g.anchors(), g.filter, g.window).await?;
        spread(&mut out, g, pages, Listed::Neighbourhood);
    }
    for (filter, keys) in entity_counts {
        let n = store::entities::count(reader, filter).await?;
        for key in keys {
            out[key] = Some(Listed::Count(n));
        }
    }
    // Every key's kind is read above; a key left out would be a bug here,
    // not a list of size 0.
    out.into_iter()
        .map(|l| {
            l.ok_or_else(|| {
                AppError::internal(std::io::Error::other(
                    "read::level::lists left a key unread",
                ))
            })
        })
        .collect()
}

/// An entity read by id: its whole row, or its name only.
#[derive(Debug, Clone)]
pub enum Held {
    /// Read as [`EntityShape::Named`].
    Named(Option<String>),
    /// Read as [`EntityShape::Row`].
    Row(Arc<Entity>),
}

impl Held {
    fn shape(&self) -> EntityShape {
        match self {
            Self::Named(_) => EntityShape::Named,
            Self::Row(_) => EntityShape::Row,
        }
    }

    /// Its name.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Named(n) => n.as_deref(),
            Self::Row(e) => e.name.as_deref(),
        }
    }
}

/// The entities a request has read by id, each with the widest shape it
/// was read with. A level reads, in one statement, the ids it asks for that
/// are not held with the shape it asks for (whole rows when any of those
/// shows more than ids and names), and answers the others from here. Both
/// executors keep one per request: shapes are a chain (names, rows), so the
/// compiled executor's merged fields and async-graphql's occurrences of
/// them miss the same entities at each level and read them the same way.
#[derive(Default)]
pub struct EntityCache {
    rows: HashMap<i64, Held>,
}

impl EntityCache {
    /// Entity `id`, if held with (at least) `shape`.
    pub fn get(&self, id: i64, shape: EntityShape) -> Option<&Held> {
        self.rows
            .get(&id)
            .filter(|held| held.shape().union(shape) == held.shape())
    }

    /// The keys of one level that are not held as they ask: the ids to
    /// read (sorted, each once) and the shape to read them with.
    pub fn missing(&self, keys: &[(i64, EntityShape)]) -> (Vec<i64>, EntityShape) {
        let mut shape = EntityShape::Named;
        let mut ids = Vec::new();
        for (id, s) in keys {
            if self.get(*id, *s).is_none() {
                shape = shape.union(*s);
                ids.push(*id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        (ids, shape)
    }

    /// Keeps `rows` (a narrower shape never replaces a wider one); returns
    /// how many were read.
    pub fn keep(&mut self, rows: Vec<(i64, Held)>) -> usize {
        let n = rows.len();
        self.rows.reserve(n);
        for (id, held) in rows {
            let wider = self.rows.get(&id).is_some_and(|h| {
                h.shape() == EntityShape::Row && held.shape() == EntityShape::Named
            });
            if !wider {
                self.rows.insert(id, held);
            }
        }
        n
    }
}

/// Reads `ids` with `shape`: one statement (none for no ids).
pub async fn entities_by_id(
    reader: &Reader,
    ids: &[i64],
    shape: EntityShape,
) -> AppResult<Vec<(i64, Held)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match shape {
        EntityShape::Row => store::entities::by_ids(reader, ids)
            .await?
            .into_iter()
            .map(|e| (e.id, Held::Row(Arc::new(e))))
            .collect(),
        EntityShape::Named => store::entities::names_by_ids(reader, ids)
            .await?
            .into_iter()
            .map(|(id, name)| (id, Held::Named(name)))
            .collect(),
    })
}

/// The entities of `keys` (natural keys), in their order: one statement per
/// distinct key, however often a level asks for it.
pub async fn entities_by_key(
    reader: &Reader,
    keys: &[EntityKey],
) -> AppResult<Vec<Option<Entity>>> {
    let mut read: Vec<(&EntityKey, Option<Entity>)> = Vec::with_capacity(keys.len());
    for key in keys {
        if read.iter().all(|(k, _)| *k != key) {
            read.push((key, store::entities::by_key(reader, key).await?));
        }
    }
    Ok(keys
        .iter()
        .map(|key| {
            read.iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, e)| e.clone())
        })
        .collect())
}
