//! Entities: created or renamed by key, deleted with their relations.

use super::*;

impl Service {
    /// Validates an upsert's key and name.
    pub(super) fn upsert_key(&self, input: &UpsertEntity) -> AppResult<EntityKey> {
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
                    .filter(|r| vis.shows(r.attributes.is_private))
                    .map(|r| r.id)
                    .collect();
                ids.sort_unstable();
                Ok((ids, events))
            })
        })
        .await
    }
}

/// What [`upsert_entity`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Upserted {
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
pub(super) async fn upsert_entity(
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
pub(super) fn entity_event(entity: &Entity, done: &Upserted) -> Option<NewEvent> {
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
