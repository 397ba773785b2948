//! Custom relation types: created, changed and deleted by admins (built-in
//! types are the sources' own, installed at start).

use super::*;

impl Service {
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

/// The event of a relation type change.
pub(super) fn type_event(
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

pub(super) fn fields(input: RelationTypeInput) -> RelationTypeFields {
    RelationTypeFields {
        name: input.name,
        bidirectional: input.bidirectional,
        updatable: input.updatable,
        contract: input.contract,
    }
}

/// The definition's name and shape (see [`definition::check_definition`]).
pub(super) fn check_definition(input: &RelationTypeInput) -> AppResult<()> {
    definition::check_definition(&input.name, input.bidirectional, input.contract.symmetric)
}

pub(super) fn refuse_built_in(ty: &RelationType) -> AppResult<()> {
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

pub(super) async fn ensure_name_free(
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
