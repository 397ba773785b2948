//! The one place where writes happen.
//!
//! GraphQL and the REST dialects call [`Service`]; neither holds rules of its
//! own. Each write runs in one transaction: it checks the caller's role, loads
//! what the decision depends on, checks it, writes, and commits, so a refused
//! write changes nothing and a two-way pair is written whole or not at all.
//! Each write also appends its events to the journal (`store::events`) in
//! that transaction: a committed write always leaves them, a refused or
//! rolled-back one never does.
//! Reads go to the store directly through [`Service::store`] (with the
//! caller's [`Visibility`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::auth::{Principal, Role};
use crate::domain::RelationState;
use crate::domain::Visibility;
use crate::domain::definition;
use crate::domain::rules::{self, Facts, Holder, Proposal, Verdict};
use crate::domain::source::check_name;
use crate::domain::{
    AttributeRules, Attributes, CardinalityLimit, Contract, DuplicatePolicy, EndKey, Entity,
    EntityKey, EventKind, KindPair, NewEvent, Relation, RelationAttributes, RelationType, Subject,
};
use crate::error::{AppError, AppResult, Rule, Violation};
use crate::sources;
use crate::store::relation_types::RelationTypeFields;
use crate::store::relations::NewRelation;
use crate::store::{self, Store};

pub use bulk::{NewEntityRow, NewRelationRow};

mod bulk;
mod entities;
mod relation_types;
mod relations;

/// How often a write transaction that lost a race is tried in all.
const MAX_ATTEMPTS: u32 = 5;

/// The write side of relgate, and the entry to its reads.
#[derive(Clone)]
pub struct Service {
    store: Store,
    /// The journal's live feed in this process, woken after each commit.
    feed: crate::feed::Feed,
    /// The built-in relation types by id, read once they are written (see
    /// [`Service::built_in_types`]).
    built_in_types: Arc<std::sync::OnceLock<BuiltInTypes>>,
}

/// Relation types by row id.
pub type BuiltInTypes = std::collections::HashMap<i64, Arc<crate::domain::RelationType>>;

/// `upsertEntity`'s input, as given.
#[derive(Debug, Clone)]
pub struct UpsertEntity {
    /// Source name.
    pub source: String,
    /// Space; `None` means `default`.
    pub space: Option<String>,
    /// The record's kind in its source (`person`, `document`...), checked against the profile.
    pub kind: String,
    /// The source's own id.
    pub external_id: String,
    /// Display name.
    pub name: Option<String>,
}

/// `relate`'s input, with ids decoded.
#[derive(Debug, Clone, Default)]
pub struct Relate {
    /// The relation type's row id.
    pub type_id: i64,
    /// `from` end.
    pub from_id: i64,
    /// `to` end.
    pub to_id: i64,
    /// The attributes asked for (the others get their defaults).
    pub attributes: Attributes,
    /// Also write the mirror (to -> from).
    pub two_way: bool,
}

/// What `relate` did.
#[derive(Debug, Clone)]
pub struct Related {
    /// The relation (new, or the existing one for idempotent types).
    pub relation: Relation,
    /// Its mirror, for two-way relations.
    pub mirror: Option<Relation>,
    /// Whether a relation was written.
    pub created: bool,
}

/// `updateRelation`'s input, with the id decoded.
#[derive(Debug, Clone, Default)]
pub struct UpdateRelation {
    /// The relation.
    pub id: i64,
    /// The attributes to change (the others stay as they are).
    pub changes: Attributes,
    /// Apply the same changes to the mirror.
    pub sync_mirror: bool,
}

/// A custom relation type's definition.
#[derive(Debug, Clone)]
pub struct RelationTypeInput {
    /// Its display name, unique within its source.
    pub name: String,
    /// Whether a relation reads the same from both ends.
    pub bidirectional: bool,
    /// Whether `updateRelation` may change its relations' attributes.
    pub updatable: bool,
    /// Rules.
    pub contract: Contract,
}

/// A partial change of a custom relation type: `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct RelationTypePatch {
    /// A new display name.
    pub name: Option<String>,
    /// Whether a relation reads the same from both ends, from now on.
    pub bidirectional: Option<bool>,
    /// Whether `updateRelation` may change its relations' attributes, from now on.
    pub updatable: Option<bool>,
    /// The (from kind, to kind) pairs a new relation must be one of.
    pub allowed_pairs: Option<Vec<KindPair>>,
    /// The most relations an entity of a kind may have (existing ones are not checked again).
    pub limits: Option<Vec<CardinalityLimit>>,
    /// Duplicate policy.
    pub duplicates: Option<DuplicatePolicy>,
    /// Whether both ends must be in one space.
    pub same_space: Option<bool>,
    /// Whether an entity may be related to itself.
    pub allow_self: Option<bool>,
    /// Whether (a, b) and (b, a) count as the same pair for duplicates.
    pub symmetric: Option<bool>,
    /// Attribute rules.
    pub attributes: Option<AttributeRules>,
}

impl Service {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        Self {
            feed: crate::feed::Feed::new(store.clone()),
            store,
            built_in_types: Arc::default(),
        }
    }

    /// The built-in relation types, as [`Service::install_built_in_types`]
    /// wrote them: every process of one version writes the same rows, and
    /// built-in types cannot be changed or deleted through the API, so they
    /// are read once per process. (A process of a newer version that
    /// redefines one rewrites its row; processes of the older version show
    /// their own definition until they are replaced.) Empty until installed.
    pub fn built_in_types(&self) -> Option<&BuiltInTypes> {
        self.built_in_types.get()
    }

    /// Relation types by row id, as every executor reads them: the built-in
    /// ones from [`Service::built_in_types`], the others in one statement
    /// through `reader`. Missing ids are left out.
    pub async fn relation_types(
        &self,
        reader: &store::Reader,
        ids: &[i64],
    ) -> AppResult<HashMap<i64, Arc<RelationType>>> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut rest: Vec<i64> = Vec::new();
        for id in ids {
            match self.built_in_types().and_then(|b| b.get(id)) {
                Some(t) => {
                    found.insert(*id, t.clone());
                }
                None => rest.push(*id),
            }
        }
        if !rest.is_empty() {
            rest.sort_unstable();
            rest.dedup();
            for t in store::relation_types::by_ids(reader, &rest).await? {
                found.insert(t.id, Arc::new(t));
            }
        }
        Ok(found)
    }

    /// The store, for reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The server's figures (`/metrics`).
    pub fn metrics(&self) -> &std::sync::Arc<crate::metrics::Metrics> {
        self.store.metrics()
    }

    /// The journal's live feed (`Subscription.relationEvents`).
    pub fn feed(&self) -> &crate::feed::Feed {
        &self.feed
    }

    /// Runs `body` in a write transaction, appends the events it returns to
    /// the journal as `who`'s, and commits. A transaction that lost a race
    /// (PostgreSQL serialization failure or deadlock, SQLite busy) is rolled
    /// back and run again, a bounded number of times.
    async fn write<T, F>(&self, who: &Principal, mut body: F) -> AppResult<T>
    where
        F: for<'t> FnMut(&'t DatabaseTransaction) -> BoxFuture<'t, AppResult<(T, Vec<NewEvent>)>>,
    {
        let actor = who.actor();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = match self.store.begin_write().await {
                Ok(txn) => match body(&txn).await {
                    Ok((value, events)) => {
                        let journaled = if events.is_empty() {
                            Ok(())
                        } else {
                            store::events::append(&txn, &events, &actor).await
                        };
                        let woke = !events.is_empty();
                        match journaled {
                            Ok(()) => {
                                let committed = txn.commit().await.map_err(AppError::from);
                                if committed.is_ok() && woke {
                                    self.store.metrics().journaled(events.len());
                                    self.feed.wake();
                                }
                                committed.map(|()| value)
                            }
                            Err(err) => {
                                let _ = txn.rollback().await;
                                Err(err)
                            }
                        }
                    }
                    Err(err) => {
                        let _ = txn.rollback().await;
                        Err(err)
                    }
                },
                Err(err) => Err(err),
            };
            match outcome {
                Err(err) if attempt < MAX_ATTEMPTS && store::is_retryable(&err) => {
                    tracing::debug!(attempt, "write transaction lost a race; retrying");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                }
                other => {
                    if let Err(AppError::Constraint(violations)) = &other
                        && let Some(first) = violations.first()
                    {
                        self.store.metrics().violation(first.rule.as_str());
                    }
                    return other;
                }
            }
        }
    }

    /// Prunes the journal's events from before `cutoff` (see
    /// `store::events::prune`), in one transaction of the runner; returns
    /// how many went.
    pub async fn prune_journal(&self, cutoff: chrono::DateTime<chrono::Utc>) -> AppResult<u64> {
        self.write(&Principal::open_mode(), |txn| {
            Box::pin(async move { Ok((store::events::prune(txn, cutoff).await?, Vec::new())) })
        })
        .await
    }

    /// Writes the built-in relation types of every source profile. Idempotent.
    pub async fn install_built_in_types(&self) -> AppResult<()> {
        self.write(&Principal::open_mode(), |txn| {
            Box::pin(async move {
                for profile in sources::BUILT_IN {
                    for def in (profile.relation_types)() {
                        store::relation_types::put_built_in(txn, profile.name, &def).await?;
                    }
                }
                Ok(((), Vec::new()))
            })
        })
        .await?;
        let types = store::relation_types::built_in(&store::Reader::new(&self.store)).await?;
        let by_id = types.into_iter().map(|t| (t.id, Arc::new(t))).collect();
        let _ = self.built_in_types.set(by_id);
        Ok(())
    }

    /// Validates an entity's natural key against its source profile.
    pub fn entity_key(
        &self,
        source: &str,
        space: Option<&str>,
        kind: Option<&str>,
        external_id: &str,
    ) -> AppResult<EntityKey> {
        sources::profile(source).entity_key(source, space, kind, external_id)
    }
}

/// Every relation, private ones too: what the journal records of a change.
const EVERYTHING: Visibility = Visibility {
    include_private: true,
};

/// The `RELATION_DELETED` events of `relations` (about to be deleted with
/// an entity or a type): their types and ends read in one statement each.
async fn deletion_events<C: ConnectionTrait>(
    db: &C,
    relations: &[Relation],
) -> AppResult<Vec<NewEvent>> {
    if relations.is_empty() {
        return Ok(Vec::new());
    }
    let mut type_ids: Vec<i64> = relations.iter().map(|r| r.type_id).collect();
    type_ids.sort_unstable();
    type_ids.dedup();
    let mut entity_ids: Vec<i64> = relations
        .iter()
        .flat_map(|r| [r.from_id, r.to_id])
        .collect();
    entity_ids.sort_unstable();
    entity_ids.dedup();
    let types = store::relation_types::by_ids(db, &type_ids).await?;
    let entities = store::entities::by_ids(db, &entity_ids).await?;
    let missing =
        || AppError::internal(std::io::Error::other("a relation's type or end is missing"));
    relations
        .iter()
        .map(|r| {
            let ty = types
                .iter()
                .find(|t| t.id == r.type_id)
                .ok_or_else(missing)?;
            let from = entities
                .iter()
                .find(|e| e.id == r.from_id)
                .ok_or_else(missing)?;
            let to = entities
                .iter()
                .find(|e| e.id == r.to_id)
                .ok_or_else(missing)?;
            Ok(NewEvent::relation(
                EventKind::RelationDeleted,
                ty,
                (from, to),
                r.id,
                Some(r),
                None,
            ))
        })
        .collect()
}

/// Refuses with every violation, if there are any.
fn refuse(violations: Vec<Violation>) -> AppResult<()> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(AppError::Constraint(violations))
    }
}

/// What `who` may read.
pub fn visibility(who: &Principal) -> Visibility {
    Visibility {
        include_private: who.sees_private(),
    }
}

async fn load_type<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<RelationType> {
    store::relation_types::by_ids(db, &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("no relation type with id {id}")))
}

async fn load_relation<C: ConnectionTrait>(
    db: &C,
    id: i64,
    vis: Visibility,
) -> AppResult<Relation> {
    store::relations::by_ids(db, &[id], vis)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("no relation with id {id}")))
}

/// Both ends of a relation, read and locked until the transaction ends.
async fn lock_ends<C: ConnectionTrait>(
    db: &C,
    from_id: i64,
    to_id: i64,
) -> AppResult<(Entity, Entity)> {
    let found = store::entities::lock(db, &[from_id, to_id]).await?;
    let get = |id: i64, end: &str| {
        found
            .iter()
            .find(|e| e.id == id)
            .cloned()
            .ok_or_else(|| AppError::not_found(format!("no {end} entity with id {id}")))
    };
    Ok((get(from_id, "from")?, get(to_id, "to")?))
}

/// `relation`'s ends, from the two entities a relation between them has.
fn ends_of<'a>((a, b): (&'a Entity, &'a Entity), relation: &Relation) -> (&'a Entity, &'a Entity) {
    if relation.from_id == a.id {
        (a, b)
    } else {
        (b, a)
    }
}
