//! Relations: related (one way or two, by ids or by natural keys), checked
//! without writing, updated, unrelated: each source's rules on every write.

use super::entities::{entity_event, upsert_entity};
use super::*;

impl Service {
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
                let after = relation.attributes.with(&input.changes);
                refuse(rules::check_update(&ty, &after))?;
                let updated = store::relations::update(txn, relation.id, &after).await?;
                let mirror = match updated.mirror_id {
                    Some(m) => store::relations::by_ids(txn, &[m], vis).await?.pop(),
                    None => None,
                };
                let (mirror, mirror_before) = match mirror {
                    Some(m) if input.sync_mirror => {
                        let after = m.attributes.with(&input.changes);
                        refuse(rules::check_update(&ty, &after))?;
                        let synced = store::relations::update(txn, m.id, &after).await?;
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
}

/// What the store knows that the contract needs for `p`, read under the
/// locks of both ends.
pub(super) async fn facts_for<C: ConnectionTrait>(
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
pub(super) async fn relate_one<C: ConnectionTrait>(
    db: &C,
    p: &Proposal<'_>,
    vis: Visibility,
) -> AppResult<(Relation, bool)> {
    let facts = facts_for(db, p, vis).await?;
    match rules::evaluate(p, &facts) {
        Verdict::Refuse(violations) => Err(AppError::Constraint(violations)),
        // An equal relation exists; if the caller cannot see it, say so
        // without handing it over.
        Verdict::Existing(existing) if existing.attributes.is_private && !vis.include_private => {
            Err(AppError::constraint(
                Rule::Duplicate,
                "an equal relation exists already",
            ))
        }
        Verdict::Existing(existing) => Ok((existing, false)),
        Verdict::Write => {
            let new = NewRelation {
                type_id: p.ty.id,
                from_id: p.from.id,
                to_id: p.to.id,
                attributes: p.attributes.clone(),
            };
            Ok((store::relations::insert(db, &new).await?, true))
        }
    }
}

/// The body of `relate`, inside the caller's transaction: lock both ends (in
/// id order), check the contract against what the store holds, write the
/// relation and, for `two_way`, its mirror (which must obey the contract
/// too, with the first relation counted).
pub(super) async fn relate_in(
    txn: &DatabaseTransaction,
    input: Relate,
    vis: Visibility,
) -> AppResult<(Related, Vec<NewEvent>)> {
    if input.attributes.is_private == Some(true) && !vis.include_private {
        return Err(AppError::Forbidden(
            "only admins may create private relations (they could not see them)".to_owned(),
        ));
    }
    let ty = load_type(txn, input.type_id).await?;
    let (from, to) = lock_ends(txn, input.from_id, input.to_id).await?;
    let attributes = RelationAttributes::default().with(&input.attributes);
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
