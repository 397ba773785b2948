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

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::auth::{Principal, Role};
use crate::domain::RelationState;
use crate::domain::definition;
use crate::domain::rules::{self, Attributes, Facts, Holder, Proposal, Verdict};
use crate::domain::source::check_name;
use crate::domain::{
    AttributeRules, CardinalityLimit, Contract, DuplicatePolicy, EndKey, Entity, EntityKey,
    EventKind, KindPair, NewEvent, Relation, RelationType, Subject,
};
use crate::error::{AppError, AppResult, Rule, Violation};
use crate::sources;
use crate::store::relation_types::RelationTypeFields;
use crate::store::relations::{NewRelation, RelationChanges};
use crate::store::{self, Store, Visibility};

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
    /// Kind.
    pub kind: String,
    /// The source's own id.
    pub external_id: String,
    /// Display name.
    pub name: Option<String>,
}

/// `relate`'s input, with ids decoded.
#[derive(Debug, Clone, Default)]
pub struct Relate {
    /// Relation type.
    pub type_id: i64,
    /// `from` end.
    pub from_id: i64,
    /// `to` end.
    pub to_id: i64,
    /// Label.
    pub label: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// Attitude.
    pub attitude: Option<i32>,
    /// Colour.
    pub colour: Option<String>,
    /// Pinned.
    pub pinned: Option<bool>,
    /// Private.
    pub is_private: Option<bool>,
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
    /// What to change.
    pub changes: RelationChanges,
    /// Apply the same changes to the mirror.
    pub sync_mirror: bool,
}

/// A custom relation type's definition.
#[derive(Debug, Clone)]
pub struct RelationTypeInput {
    /// Name.
    pub name: String,
    /// Bidirectional.
    pub bidirectional: bool,
    /// Updatable.
    pub updatable: bool,
    /// Rules.
    pub contract: Contract,
}

/// A partial change of a custom relation type: `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct RelationTypePatch {
    /// Name.
    pub name: Option<String>,
    /// Bidirectional.
    pub bidirectional: Option<bool>,
    /// Updatable.
    pub updatable: Option<bool>,
    /// Allowed pairs.
    pub allowed_pairs: Option<Vec<KindPair>>,
    /// Limits.
    pub limits: Option<Vec<CardinalityLimit>>,
    /// Duplicate policy.
    pub duplicates: Option<DuplicatePolicy>,
    /// Same space.
    pub same_space: Option<bool>,
    /// Allow self.
    pub allow_self: Option<bool>,
    /// Symmetric.
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

    /// The store, for reads.
    pub fn store(&self) -> &Store {
        &self.store
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
                other => return other,
            }
        }
    }

    /// Prunes the journal's events from before `cutoff` (see
    /// `store::events::prune`), in one transaction; returns how many went.
    pub async fn prune_journal(&self, cutoff: chrono::DateTime<chrono::Utc>) -> AppResult<u64> {
        let txn = self.store.begin_write().await?;
        let n = store::events::prune(&txn, cutoff).await?;
        txn.commit().await?;
        Ok(n)
    }

    /// Writes the built-in relation types of every source profile. Idempotent.
    pub async fn install_built_in_types(&self) -> AppResult<()> {
        let txn = self.store.begin_write().await?;
        for profile in sources::BUILT_IN {
            for def in (profile.relation_types)() {
                store::relation_types::put_built_in(&txn, profile.name, &def).await?;
            }
        }
        txn.commit().await?;
        let types = store::relation_types::built_in(self.store.db()).await?;
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

    /// Validates an upsert's key and name.
    fn upsert_key(&self, input: &UpsertEntity) -> AppResult<EntityKey> {
        if let Some(name) = &input.name
            && name.chars().count() > 1000
        {
            return Err(AppError::constraint(
                Rule::FieldTooLong,
                "name must be at most 1000 characters",
            ));
        }
        self.entity_key(
            &input.source,
            input.space.as_deref(),
            Some(&input.kind),
            &input.external_id,
        )
    }

    /// Creates the entity or updates its name.
    pub async fn upsert_entity(
        &self,
        who: &Principal,
        input: UpsertEntity,
    ) -> AppResult<(Entity, bool)> {
        who.require(Role::Write, "upsertEntity")?;
        let key = self.upsert_key(&input)?;
        self.write(who, |txn| {
            let (key, input) = (key.clone(), input.clone());
            Box::pin(async move {
                let (entity, done) =
                    upsert_entity(txn, &key, &input.kind, input.name.as_deref()).await?;
                let events = entity_event(&entity, &done).into_iter().collect();
                Ok(((entity, done == Upserted::Created), events))
            })
        })
        .await
    }

    /// Deletes an entity and every relation it is an end of. Returns the ids
    /// of the removed relations the caller can see.
    pub async fn delete_entity(&self, who: &Principal, id: i64) -> AppResult<Vec<i64>> {
        who.require(Role::Write, "deleteEntity")?;
        let vis = visibility(who);
        self.write(who, |txn| {
            Box::pin(async move {
                let Some(entity) = store::entities::lock(txn, &[id]).await?.pop() else {
                    return Err(AppError::not_found(format!("no entity with id {id}")));
                };
                let touching = store::relations::ids_touching(txn, id).await?;
                let all = store::relations::by_ids(txn, &touching, EVERYTHING).await?;
                let mut events = deletion_events(txn, &all).await?;
                events.push(NewEvent {
                    kind: EventKind::EntityDeleted,
                    subject: Subject::Entity {
                        before_name: entity.name.clone(),
                        entity: EndKey::from(&entity),
                    },
                });
                store::relations::delete(txn, &touching).await?;
                store::entities::delete(txn, id).await?;
                let mut ids: Vec<i64> = all
                    .iter()
                    .filter(|r| vis.include_private || !r.is_private)
                    .map(|r| r.id)
                    .collect();
                ids.sort_unstable();
                Ok((ids, events))
            })
        })
        .await
    }

    /// Relates two entities (and, with `two_way`, the reverse too).
    pub async fn relate(&self, who: &Principal, input: Relate) -> AppResult<Related> {
        who.require(Role::Write, "relate")?;
        let vis = visibility(who);
        self.write(who, |txn| Box::pin(relate_in(txn, input.clone(), vis)))
            .await
    }

    /// Creates (or renames) both ends by their source keys, then relates
    /// them with the type `type_source`/`type_alias`, all in one transaction.
    pub async fn relate_by_key(
        &self,
        who: &Principal,
        (type_source, type_alias): (&str, &str),
        from: UpsertEntity,
        to: UpsertEntity,
        attributes: Relate,
    ) -> AppResult<Related> {
        who.require(Role::Write, "relate")?;
        let from_key = self.upsert_key(&from)?;
        let to_key = self.upsert_key(&to)?;
        let vis = visibility(who);
        let (type_source, type_alias) = (type_source.to_owned(), type_alias.to_owned());
        self.write(who, |txn| {
            let (from_key, to_key, from, to, attributes) = (
                from_key.clone(),
                to_key.clone(),
                from.clone(),
                to.clone(),
                attributes.clone(),
            );
            let (type_source, type_alias) = (type_source.clone(), type_alias.clone());
            Box::pin(async move {
                let ty = store::relation_types::by_alias(txn, &type_source, &type_alias)
                    .await?
                    .ok_or_else(|| {
                        AppError::not_found(format!(
                            "{type_source} has no relation type with alias {type_alias}"
                        ))
                    })?;
                let (from_entity, from_done) =
                    upsert_entity(txn, &from_key, &from.kind, from.name.as_deref()).await?;
                let (to_entity, to_done) =
                    upsert_entity(txn, &to_key, &to.kind, to.name.as_deref()).await?;
                let mut events: Vec<NewEvent> = [
                    entity_event(&from_entity, &from_done),
                    entity_event(&to_entity, &to_done),
                ]
                .into_iter()
                .flatten()
                .collect();
                let (related, relation_events) = relate_in(
                    txn,
                    Relate {
                        type_id: ty.id,
                        from_id: from_entity.id,
                        to_id: to_entity.id,
                        ..attributes
                    },
                    vis,
                )
                .await?;
                events.extend(relation_events);
                Ok((related, events))
            })
        })
        .await
    }

    /// The violations `relate` would hit, without writing: `relate` itself,
    /// in a transaction that is always rolled back, so the dry run and the
    /// real write can never disagree. Unknown ids are still `NOT_FOUND`.
    pub async fn validate(&self, who: &Principal, input: Relate) -> AppResult<Vec<Violation>> {
        let txn = self.store.begin_write().await?;
        let outcome = relate_in(&txn, input, visibility(who)).await;
        txn.rollback().await?;
        match outcome {
            Ok(_) => Ok(Vec::new()),
            Err(AppError::Constraint(violations)) => Ok(violations),
            Err(other) => Err(other),
        }
    }

    /// Removes a relation (and, with `include_mirror`, its mirror). Returns
    /// the removed ids.
    pub async fn unrelate(
        &self,
        who: &Principal,
        id: i64,
        include_mirror: bool,
    ) -> AppResult<Vec<i64>> {
        who.require(Role::Write, "unrelate")?;
        let vis = visibility(who);
        self.write(who, |txn| {
            Box::pin(async move {
                let relation = load_relation(txn, id, vis).await?;
                // The type before the lock: the less a writer does while it
                // holds its ends, the more writers of one pair commit.
                let ty = load_type(txn, relation.type_id).await?;
                let ends = lock_ends(txn, relation.from_id, relation.to_id).await?;
                let ends = (&ends.0, &ends.1);
                // Read again under the lock: a racing writer may have removed it.
                let relation = load_relation(txn, id, vis).await?;
                refuse(rules::check_removal(&ty))?;
                let mirror = match relation.mirror_id {
                    Some(m) => store::relations::by_ids(txn, &[m], EVERYTHING).await?.pop(),
                    None => None,
                };
                let mut ids = vec![relation.id];
                let deleted = |r: &Relation| {
                    NewEvent::relation(
                        EventKind::RelationDeleted,
                        &ty,
                        ends_of(ends, r),
                        r.id,
                        Some(r),
                        None,
                    )
                };
                let mut events = vec![deleted(&relation)];
                match mirror {
                    Some(m) if include_mirror => {
                        ids.push(m.id);
                        events.push(deleted(&m));
                    }
                    Some(m) => {
                        let cleared = Relation {
                            mirror_id: None,
                            ..m.clone()
                        };
                        events.push(NewEvent::relation(
                            EventKind::MirrorCleared,
                            &ty,
                            ends_of(ends, &m),
                            m.id,
                            Some(&m),
                            Some(&cleared),
                        ));
                    }
                    None => {}
                }
                // The survivor of a pair loses its mirror through the foreign key.
                store::relations::delete(txn, &ids).await?;
                ids.sort_unstable();
                Ok((ids, events))
            })
        })
        .await
    }

    /// Changes a relation's attributes (and, with `sync_mirror`, its
    /// mirror's).
    pub async fn update_relation(
        &self,
        who: &Principal,
        input: UpdateRelation,
    ) -> AppResult<(Relation, Option<Relation>)> {
        who.require(Role::Write, "updateRelation")?;
        if input.changes.is_private == Some(true) && !who.sees_private() {
            return Err(AppError::Forbidden(
                "only admins may make a relation private".to_owned(),
            ));
        }
        let vis = visibility(who);
        self.write(who, |txn| {
            let input = input.clone();
            Box::pin(async move {
                let relation = load_relation(txn, input.id, vis).await?;
                let ty = load_type(txn, relation.type_id).await?;
                let ends = lock_ends(txn, relation.from_id, relation.to_id).await?;
                let ends = (&ends.0, &ends.1);
                let relation = load_relation(txn, input.id, vis).await?;
                refuse(rules::check_update(&ty, &after(&relation, &input.changes)))?;
                let updated = store::relations::update(txn, relation.id, &input.changes).await?;
                let mirror = match updated.mirror_id {
                    Some(m) => store::relations::by_ids(txn, &[m], vis).await?.pop(),
                    None => None,
                };
                let (mirror, mirror_before) = match mirror {
                    Some(m) if input.sync_mirror => {
                        refuse(rules::check_update(&ty, &after(&m, &input.changes)))?;
                        let synced = store::relations::update(txn, m.id, &input.changes).await?;
                        (Some(synced), Some(m))
                    }
                    other => (other, None),
                };
                let mut events = Vec::new();
                for (before, now) in [
                    (Some(&relation), Some(&updated)),
                    (mirror_before.as_ref(), mirror.as_ref()),
                ] {
                    if let (Some(before), Some(now)) = (before, now)
                        && RelationState::from(before) != RelationState::from(now)
                    {
                        events.push(NewEvent::relation(
                            EventKind::RelationUpdated,
                            &ty,
                            ends_of(ends, now),
                            now.id,
                            Some(before),
                            Some(now),
                        ));
                    }
                }
                Ok(((updated, mirror), events))
            })
        })
        .await
    }

    /// Creates a custom relation type.
    pub async fn create_relation_type(
        &self,
        who: &Principal,
        source: &str,
        alias: &str,
        input: RelationTypeInput,
    ) -> AppResult<RelationType> {
        who.require(Role::Admin, "createRelationType")?;
        check_name("source", source)?;
        definition::check_alias(alias)?;
        check_definition(&input)?;
        let (source, alias) = (source.to_owned(), alias.to_owned());
        self.write(who, |txn| {
            let (source, alias, input) = (source.clone(), alias.clone(), input.clone());
            Box::pin(async move {
                if store::relation_types::by_alias(txn, &source, &alias)
                    .await?
                    .is_some()
                {
                    return Err(AppError::constraint(
                        Rule::NameTaken,
                        format!("{source} already has a relation type with alias {alias}"),
                    ));
                }
                ensure_name_free(txn, &source, &input.name, None).await?;
                let ty =
                    store::relation_types::insert(txn, &source, &alias, &fields(input)).await?;
                let event = type_event(EventKind::TypeCreated, &ty, None, Some(&ty.name));
                Ok((ty, vec![event]))
            })
        })
        .await
    }

    /// Changes a custom relation type: the fields given in `patch` replace
    /// the current ones, the others stay.
    pub async fn update_relation_type(
        &self,
        who: &Principal,
        id: i64,
        patch: RelationTypePatch,
    ) -> AppResult<RelationType> {
        who.require(Role::Admin, "updateRelationType")?;
        self.write(who, |txn| {
            let patch = patch.clone();
            Box::pin(async move {
                let ty = load_type(txn, id).await?;
                refuse_built_in(&ty)?;
                let before_name = ty.name.clone();
                let c = ty.contract;
                let merged = RelationTypeInput {
                    name: patch.name.unwrap_or(ty.name),
                    bidirectional: patch.bidirectional.unwrap_or(ty.bidirectional),
                    updatable: patch.updatable.unwrap_or(ty.updatable),
                    contract: Contract {
                        allowed_pairs: patch.allowed_pairs.unwrap_or(c.allowed_pairs),
                        limits: patch.limits.unwrap_or(c.limits),
                        duplicates: patch.duplicates.unwrap_or(c.duplicates),
                        same_space: patch.same_space.unwrap_or(c.same_space),
                        allow_self: patch.allow_self.unwrap_or(c.allow_self),
                        symmetric: patch.symmetric.unwrap_or(c.symmetric),
                        attributes: patch.attributes.unwrap_or(c.attributes),
                    },
                };
                check_definition(&merged)?;
                ensure_name_free(txn, &ty.source, &merged.name, Some(ty.id)).await?;
                let ty =
                    store::relation_types::update(txn, id, &ty.source, &fields(merged)).await?;
                let event = type_event(
                    EventKind::TypeUpdated,
                    &ty,
                    Some(&before_name),
                    Some(&ty.name),
                );
                Ok((ty, vec![event]))
            })
        })
        .await
    }

    /// Deletes a custom relation type. If it has relations, `delete_relations`
    /// must be true, and they are deleted with it; the count is returned.
    pub async fn delete_relation_type(
        &self,
        who: &Principal,
        id: i64,
        delete_relations: bool,
    ) -> AppResult<u64> {
        who.require(Role::Admin, "deleteRelationType")?;
        self.write(who, |txn| {
            Box::pin(async move {
                let ty = load_type(txn, id).await?;
                refuse_built_in(&ty)?;
                let n = store::relations::count_of_type(txn, id).await?;
                if n > 0 && !delete_relations {
                    return Err(AppError::constraint(
                        Rule::InUse,
                        format!(
                            "relation type {} has {n} relation(s); pass deleteRelations: true to delete them with it",
                            ty.alias
                        ),
                    ));
                }
                let doomed = store::relations::of_type(txn, id).await?;
                let mut events = deletion_events(txn, &doomed).await?;
                events.push(type_event(EventKind::TypeDeleted, &ty, Some(&ty.name), None));
                let removed = store::relations::delete_of_type(txn, id).await?;
                store::relation_types::delete(txn, id).await?;
                Ok((removed, events))
            })
        })
        .await
    }
}

/// Every relation, private ones too: what the journal records of a change.
const EVERYTHING: Visibility = Visibility {
    include_private: true,
};

/// What [`upsert_entity`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Upserted {
    /// The entity was created.
    Created,
    /// The entity existed, and its name changed from this one.
    Renamed(Option<String>),
    /// The entity existed as it is.
    Unchanged,
}

/// The entity with `key`, created as a `kind` when there is none (named
/// `name`), or renamed to `name` when given and different. A key of an
/// entity of another kind is refused by the rules (`KIND_MISMATCH`).
async fn upsert_entity(
    txn: &DatabaseTransaction,
    key: &EntityKey,
    kind: &str,
    name: Option<&str>,
) -> AppResult<(Entity, Upserted)> {
    let (existing, created) = store::entities::find_or_insert(txn, key, kind, name).await?;
    refuse(rules::check_kind(&existing, kind))?;
    match name {
        _ if created => Ok((existing, Upserted::Created)),
        Some(n) if existing.name.as_deref() != Some(n) => {
            let renamed = store::entities::rename(txn, existing.id, n).await?;
            Ok((renamed, Upserted::Renamed(existing.name)))
        }
        _ => Ok((existing, Upserted::Unchanged)),
    }
}

/// The event of an upsert, if it changed anything.
fn entity_event(entity: &Entity, done: &Upserted) -> Option<NewEvent> {
    let (kind, before_name) = match done {
        Upserted::Created => (EventKind::EntityCreated, None),
        Upserted::Renamed(before) => (EventKind::EntityRenamed, before.clone()),
        Upserted::Unchanged => return None,
    };
    Some(NewEvent {
        kind,
        subject: Subject::Entity {
            entity: EndKey::from(entity),
            before_name,
        },
    })
}

/// The event of a relation type change.
fn type_event(
    kind: EventKind,
    ty: &RelationType,
    before_name: Option<&str>,
    after_name: Option<&str>,
) -> NewEvent {
    NewEvent {
        kind,
        subject: Subject::Type {
            id: ty.id,
            source: ty.source.clone(),
            alias: ty.alias.clone(),
            before_name: before_name.map(str::to_owned),
            after_name: after_name.map(str::to_owned),
        },
    }
}

/// `relation`'s ends, from the two entities a relation between them has.
fn ends_of<'a>((a, b): (&'a Entity, &'a Entity), relation: &Relation) -> (&'a Entity, &'a Entity) {
    if relation.from_id == a.id {
        (a, b)
    } else {
        (b, a)
    }
}

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

/// The attributes `relation` would have once `changes` apply.
fn after(relation: &Relation, changes: &RelationChanges) -> Attributes {
    Attributes {
        label: changes.label.clone().or_else(|| relation.label.clone()),
        comment: changes.comment.clone().or_else(|| relation.comment.clone()),
        attitude: changes.attitude.or(relation.attitude),
        colour: changes.colour.clone().or_else(|| relation.colour.clone()),
        pinned: Some(changes.pinned.unwrap_or(relation.pinned)),
        is_private: Some(changes.is_private.unwrap_or(relation.is_private)),
    }
}

/// What the store knows that the contract needs for `p`, read under the
/// locks of both ends.
async fn facts_for<C: ConnectionTrait>(
    db: &C,
    p: &Proposal<'_>,
    vis: Visibility,
) -> AppResult<Facts> {
    let same_ends = if p.ty.contract.duplicates == crate::domain::DuplicatePolicy::Allow {
        Vec::new()
    } else {
        store::relations::between(db, p.ty.id, p.from.id, p.to.id, p.ty.contract.symmetric).await?
    };
    let mut limit_holders = Vec::new();
    for l in rules::applicable_limits(p) {
        let rows = store::relations::limit_holders(
            db,
            p.ty.id,
            l.at.id,
            l.direction,
            &l.limit.other_kinds,
            l.limit.max,
        )
        .await?;
        limit_holders.push(
            rows.into_iter()
                .map(|r| {
                    if r.is_private && !vis.include_private {
                        Holder::Hidden
                    } else {
                        Holder::Visible {
                            kind: r.kind,
                            external_id: r.external_id,
                        }
                    }
                })
                .collect(),
        );
    }
    Ok(Facts {
        same_ends,
        limit_holders,
    })
}

/// Checks one relation (of a pair) against the contract and writes it, or
/// answers the existing one for idempotent types.
async fn relate_one<C: ConnectionTrait>(
    db: &C,
    p: &Proposal<'_>,
    vis: Visibility,
) -> AppResult<(Relation, bool)> {
    let facts = facts_for(db, p, vis).await?;
    match rules::evaluate(p, &facts) {
        Verdict::Refuse(violations) => Err(AppError::Constraint(violations)),
        // An equal relation exists; if the caller cannot see it, say so
        // without handing it over.
        Verdict::Existing(existing) if existing.is_private && !vis.include_private => Err(
            AppError::constraint(Rule::Duplicate, "an equal relation exists already"),
        ),
        Verdict::Existing(existing) => Ok((existing, false)),
        Verdict::Write => {
            let a = p.attributes;
            let new = NewRelation {
                type_id: p.ty.id,
                from_id: p.from.id,
                to_id: p.to.id,
                label: a.label.clone(),
                comment: a.comment.clone(),
                attitude: a.attitude,
                colour: a.colour.clone(),
                pinned: a.pinned.unwrap_or(false),
                is_private: a.is_private.unwrap_or(false),
            };
            Ok((store::relations::insert(db, &new).await?, true))
        }
    }
}

/// The body of `relate`, inside the caller's transaction: lock both ends (in
/// id order), check the contract against what the store holds, write the
/// relation and, for `two_way`, its mirror (which must obey the contract
/// too, with the first relation counted).
async fn relate_in(
    txn: &DatabaseTransaction,
    input: Relate,
    vis: Visibility,
) -> AppResult<(Related, Vec<NewEvent>)> {
    if input.is_private == Some(true) && !vis.include_private {
        return Err(AppError::Forbidden(
            "only admins may create private relations (they could not see them)".to_owned(),
        ));
    }
    let ty = load_type(txn, input.type_id).await?;
    let (from, to) = lock_ends(txn, input.from_id, input.to_id).await?;
    let attributes = Attributes {
        label: input.label,
        comment: input.comment,
        attitude: input.attitude,
        colour: input.colour,
        pinned: input.pinned,
        is_private: input.is_private,
    };
    let forward = Proposal {
        ty: &ty,
        from: &from,
        to: &to,
        attributes: &attributes,
        two_way: input.two_way,
    };
    let (relation, created) = relate_one(txn, &forward, vis).await?;
    let created_event = |r: &Relation| {
        NewEvent::relation(
            EventKind::RelationCreated,
            &ty,
            ends_of((&from, &to), r),
            r.id,
            None,
            Some(r),
        )
    };
    if !input.two_way || !created {
        let events = if created {
            vec![created_event(&relation)]
        } else {
            Vec::new()
        };
        let related = Related {
            relation,
            mirror: None,
            created,
        };
        return Ok((related, events));
    }
    let backward = Proposal {
        from: &to,
        to: &from,
        ..forward
    };
    let (back, _) = relate_one(txn, &backward, vis).await?;
    let back = store::relations::set_mirror(txn, back.id, Some(relation.id)).await?;
    let relation = store::relations::set_mirror(txn, relation.id, Some(back.id)).await?;
    let events = vec![created_event(&relation), created_event(&back)];
    let related = Related {
        relation,
        mirror: Some(back),
        created,
    };
    Ok((related, events))
}

/// What `who` may read.
pub fn visibility(who: &Principal) -> Visibility {
    Visibility {
        include_private: who.sees_private(),
    }
}

fn fields(input: RelationTypeInput) -> RelationTypeFields {
    RelationTypeFields {
        name: input.name,
        bidirectional: input.bidirectional,
        updatable: input.updatable,
        contract: input.contract,
    }
}

/// The definition's name and shape (see [`definition::check_definition`]).
fn check_definition(input: &RelationTypeInput) -> AppResult<()> {
    definition::check_definition(&input.name, input.bidirectional, input.contract.symmetric)
}

fn refuse_built_in(ty: &RelationType) -> AppResult<()> {
    if ty.built_in {
        return Err(AppError::constraint(
            Rule::BuiltIn,
            format!(
                "{} {} is built in and defined by relgate; create a custom type instead",
                ty.source, ty.alias
            ),
        ));
    }
    Ok(())
}

async fn ensure_name_free(
    db: &DatabaseTransaction,
    source: &str,
    name: &str,
    except: Option<i64>,
) -> AppResult<()> {
    match store::relation_types::by_name(db, source, name).await? {
        Some(other) if Some(other.id) != except => Err(AppError::constraint(
            Rule::NameTaken,
            format!("{source} already has a relation type named {name:?}"),
        )),
        _ => Ok(()),
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
