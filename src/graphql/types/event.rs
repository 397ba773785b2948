//! The journal in GraphQL: `RelationEvent`, its connection and filter.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use tokio::sync::OnceCell;

use super::connection::PageInfo;
use super::entity::EntityObject;
use super::relation::RelationObject;
use super::relation_type::RelationTypeObject;
use super::scalars::DateTime;
use crate::domain::EventFilter;
use crate::domain::Visibility;
use crate::domain::{
    EndKey, Event, EventCursor, EventKind, GlobalId, NodeType, Origin, RelationState, Subject,
};
use crate::error::AppResult;
use crate::graphql::context::{self, loaders};
use crate::graphql::errors::GqlResult;

/// What changed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RelationEventKind", remote = "crate::domain::EventKind")]
pub enum EventKindGql {
    /// A relation was written (with `relate`, `relateByKey`, a dialect, or
    /// as the mirror of a two-way relation).
    RelationCreated,
    /// A relation's attributes changed (`before` and `after` say how).
    RelationUpdated,
    /// A relation was removed: by `unrelate`, with its entity, or with its
    /// relation type.
    RelationDeleted,
    /// A relation's mirror was removed without it: its `mirror` became null.
    MirrorCleared,
    /// An entity was created.
    EntityCreated,
    /// An entity's name changed.
    EntityRenamed,
    /// An entity was deleted (its relations' deletions come just before).
    EntityDeleted,
    /// A custom relation type was created.
    TypeCreated,
    /// A custom relation type changed.
    TypeUpdated,
    /// A custom relation type was deleted (its relations' deletions come
    /// just before).
    TypeDeleted,
}

/// Where a change came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "EventOrigin", remote = "crate::domain::Origin")]
pub enum OriginGql {
    /// The GraphQL API.
    Graphql,
    /// The Copper REST dialect.
    Copper,
    /// The Umbraco REST dialect.
    Umbraco,
    /// The Kanka REST dialect.
    Kanka,
    /// `relgate demo seed`.
    Seed,
    /// What the store held when the journal began (one `RELATION_CREATED`
    /// per relation, at its creation time), or an import.
    Import,
}

/// An entity as an event recorded it: its key and name then (it may since
/// have been renamed or deleted).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct EventEnd {
    /// The entity's global id (it may no longer resolve).
    pub id: ID,
    /// Source.
    pub source: String,
    /// Space.
    pub space: String,
    /// Kind.
    pub kind: String,
    /// The source's own id.
    pub external_id: String,
    /// The name at the time of the event.
    pub name: Option<String>,
    #[graphql(skip)]
    row_id: i64,
}

impl From<&EndKey> for EventEnd {
    fn from(k: &EndKey) -> Self {
        Self {
            id: ID(GlobalId::new(NodeType::Entity, k.id).encode()),
            source: k.source.clone(),
            space: k.space.clone(),
            kind: k.kind.clone(),
            external_id: k.external_id.clone(),
            name: k.name.clone(),
            row_id: k.id,
        }
    }
}

#[async_graphql::ComplexObject]
impl EventEnd {
    /// The entity as it is now; null once it is deleted.
    async fn current(&self, ctx: &Context<'_>) -> GqlResult<Option<EntityObject>> {
        Ok(loaders(ctx)
            .entity
            .load_one((self.row_id, crate::graphql::shape::entity(ctx)))
            .await?
            .map(EntityObject))
    }
}

/// A relation's attributes at one moment.
#[derive(SimpleObject, Clone, Debug)]
pub struct RelationAttributes {
    /// Label.
    pub label: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// Attitude.
    pub attitude: Option<i32>,
    /// Colour.
    pub colour: Option<String>,
    /// Pinned.
    pub pinned: bool,
    /// Visible to admins only.
    pub is_private: bool,
    /// The mirror's global id, if it had one.
    pub mirror_id: Option<ID>,
}

impl From<&RelationState> for RelationAttributes {
    fn from(s: &RelationState) -> Self {
        Self {
            label: s.attributes.label.clone(),
            comment: s.attributes.comment.clone(),
            attitude: s.attributes.attitude,
            colour: s.attributes.colour.clone(),
            pinned: s.attributes.pinned,
            is_private: s.attributes.is_private,
            mirror_id: s
                .mirror_id
                .map(|m| ID(GlobalId::new(NodeType::Relation, m).encode())),
        }
    }
}

/// One committed change to the relation graph.
pub struct EventObject(pub Arc<Event>);

/// One committed change to the relation graph, from the journal.
#[Object(name = "RelationEvent")]
impl EventObject {
    /// Where the event sits in the journal: pass it as `after` to read on
    /// from here (also to `Subscription.relationEvents`).
    async fn cursor(&self) -> String {
        self.0.cursor.encode()
    }

    /// When it was committed (the writing transaction's time).
    async fn at(&self) -> DateTime {
        DateTime(self.0.at)
    }

    /// What changed.
    async fn kind(&self) -> EventKindGql {
        self.0.kind.into()
    }

    /// Who did it: the API token's name, or `open-mode`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// The `x-request-id` of the request that did it.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The API it came through.
    async fn origin(&self) -> OriginGql {
        self.0.origin.into()
    }

    /// The relation's global id (relation events); it may no longer resolve.
    async fn relation_id(&self) -> Option<ID> {
        match &self.0.subject {
            Subject::Relation { id, .. } => {
                Some(ID(GlobalId::new(NodeType::Relation, *id).encode()))
            }
            _ => None,
        }
    }

    /// The relation as it is now (relation events); null once it is deleted
    /// or when the caller may not see it.
    async fn relation(&self, ctx: &Context<'_>) -> GqlResult<Option<RelationObject>> {
        match &self.0.subject {
            Subject::Relation { id, .. } => Ok(loaders(ctx)
                .relation
                .load_one(*id)
                .await?
                .map(RelationObject)),
            _ => Ok(None),
        }
    }

    /// The relation type's source (relation and type events).
    async fn type_source(&self) -> Option<&str> {
        match &self.0.subject {
            Subject::Relation { type_source, .. } => Some(type_source),
            Subject::Type { source, .. } => Some(source),
            Subject::Entity { .. } => None,
        }
    }

    /// The relation type's alias (relation and type events).
    async fn type_alias(&self) -> Option<&str> {
        match &self.0.subject {
            Subject::Relation { type_alias, .. } => Some(type_alias),
            Subject::Type { alias, .. } => Some(alias),
            Subject::Entity { .. } => None,
        }
    }

    /// The relation type as it is now; null once it is deleted.
    async fn relation_type(&self, ctx: &Context<'_>) -> GqlResult<Option<RelationTypeObject>> {
        let id = match &self.0.subject {
            Subject::Relation { type_id, .. } => *type_id,
            Subject::Type { id, .. } => *id,
            Subject::Entity { .. } => return Ok(None),
        };
        Ok(loaders(ctx)
            .relation_type
            .load_one(id)
            .await?
            .map(RelationTypeObject))
    }

    /// The relation's `from` end, as it was (relation events).
    async fn from(&self) -> Option<EventEnd> {
        match &self.0.subject {
            Subject::Relation { from, .. } => Some(from.into()),
            _ => None,
        }
    }

    /// The relation's `to` end, as it was (relation events).
    async fn to(&self) -> Option<EventEnd> {
        match &self.0.subject {
            Subject::Relation { to, .. } => Some(to.into()),
            _ => None,
        }
    }

    /// The entity (entity events), as it was.
    async fn entity(&self) -> Option<EventEnd> {
        match &self.0.subject {
            Subject::Entity { entity, .. } => Some(entity.into()),
            _ => None,
        }
    }

    /// The relation's attributes before the change (updates, deletions,
    /// cleared mirrors).
    async fn before(&self) -> Option<RelationAttributes> {
        match &self.0.subject {
            Subject::Relation { before, .. } => before.as_ref().map(Into::into),
            _ => None,
        }
    }

    /// The relation's attributes after the change (creations, updates,
    /// cleared mirrors).
    async fn after(&self) -> Option<RelationAttributes> {
        match &self.0.subject {
            Subject::Relation { after, .. } => after.as_ref().map(Into::into),
            _ => None,
        }
    }

    /// The entity's or type's name before the change (renames, updates,
    /// deletions).
    async fn name_before(&self) -> Option<&str> {
        match &self.0.subject {
            Subject::Entity { before_name, .. } | Subject::Type { before_name, .. } => {
                before_name.as_deref()
            }
            Subject::Relation { .. } => None,
        }
    }

    /// The entity's or type's name after the change (creations, renames,
    /// updates).
    async fn name_after(&self) -> Option<&str> {
        match &self.0.subject {
            Subject::Entity { entity, .. } if self.0.kind != EventKind::EntityDeleted => {
                entity.name.as_deref()
            }
            Subject::Type { after_name, .. } => after_name.as_deref(),
            _ => None,
        }
    }
}

/// Which events `Query.relationEvents` lists.
#[derive(InputObject, Default, Debug)]
pub struct RelationEventFilterInput {
    /// Only events about this entity (an `Entity` id): as either end of a
    /// relation, or the entity itself.
    pub entity_id: Option<ID>,
    /// Only events about this relation (a `Relation` id).
    pub relation_id: Option<ID>,
    /// Only events about this relation type's relations, or the type itself
    /// (a `RelationType` id).
    pub type_id: Option<ID>,
    /// Only these kinds of change.
    pub kinds: Option<Vec<EventKindGql>>,
    /// Only changes that came through these APIs.
    pub origins: Option<Vec<OriginGql>>,
    /// Only events at or after this time.
    pub since: Option<DateTime>,
    /// Only events before this time.
    pub until: Option<DateTime>,
}

impl RelationEventFilterInput {
    /// The store's filter, with ids decoded.
    pub fn decode(self) -> AppResult<EventFilter> {
        let id = |v: Option<ID>, ty: NodeType, arg: &str| {
            v.map(|v| GlobalId::decode_as(&v, ty, arg)).transpose()
        };
        Ok(EventFilter {
            entity_id: id(self.entity_id, NodeType::Entity, "entityId")?,
            relation_id: id(self.relation_id, NodeType::Relation, "relationId")?,
            type_id: id(self.type_id, NodeType::RelationType, "typeId")?,
            kinds: self
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(EventKind::from)
                .collect(),
            origins: self
                .origins
                .unwrap_or_default()
                .into_iter()
                .map(Origin::from)
                .collect(),
            since: self.since.map(|t| t.0),
            until: self.until.map(|t| t.0),
        })
    }
}

/// A page of the journal: `after` (exclusive) and how many.
#[derive(Debug, Clone, Copy)]
pub struct EventWindow {
    after: Option<EventCursor>,
    limit: u64,
}

impl EventWindow {
    /// The page of `first` events after `after`, within the page limits.
    pub fn new(ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let limits = ctx.data_unchecked::<context::PageLimits>();
        let limit = match first {
            None => limits.default_size,
            Some(n) if n < 0 => {
                return Err(crate::error::AppError::bad_input(
                    "`first` must not be negative",
                ));
            }
            Some(n) if n as u64 > limits.max_size => {
                return Err(crate::error::AppError::bad_input(format!(
                    "`first` may be at most {}",
                    limits.max_size
                )));
            }
            Some(n) => n as u64,
        };
        let after = after
            .map(|a| EventCursor::decode(&a, "after"))
            .transpose()?;
        Ok(Self { after, limit })
    }
}

/// A page of events, oldest first.
pub struct EventConnection {
    filter: EventFilter,
    visibility: Visibility,
    window: EventWindow,
    page: OnceCell<(Vec<Arc<Event>>, bool)>,
}

impl EventConnection {
    /// The events `filter` keeps that `visibility` shows, paged by `window`.
    pub fn new(filter: EventFilter, visibility: Visibility, window: EventWindow) -> Self {
        Self {
            filter,
            visibility,
            window,
            page: OnceCell::new(),
        }
    }

    async fn page(&self, ctx: &Context<'_>) -> GqlResult<&(Vec<Arc<Event>>, bool)> {
        Ok(self
            .page
            .get_or_try_init(|| async {
                let (events, more) = crate::read::events::page(
                    context::reader(ctx),
                    self.window.after,
                    self.window.limit,
                    &self.filter,
                    self.visibility,
                )
                .await?;
                AppResult::Ok((events.into_iter().map(Arc::new).collect(), more))
            })
            .await?)
    }
}

/// An event in a list.
#[derive(SimpleObject)]
pub struct EventEdge {
    /// Cursor of this event, for `after`.
    pub cursor: String,
    /// The event.
    pub node: EventObject,
}

/// A page of the journal, oldest first.
#[Object(name = "RelationEventConnection")]
impl EventConnection {
    /// The events of this page.
    async fn edges(&self, ctx: &Context<'_>) -> GqlResult<Vec<EventEdge>> {
        Ok(self
            .page(ctx)
            .await?
            .0
            .iter()
            .map(|e| EventEdge {
                cursor: e.cursor.encode(),
                node: EventObject(e.clone()),
            })
            .collect())
    }

    /// Where this page sits: `hasNextPage` says whether more events exist
    /// now (a follower reads on from `endCursor` later for newer ones).
    async fn page_info(&self, ctx: &Context<'_>) -> GqlResult<PageInfo> {
        let (events, more) = self.page(ctx).await?;
        Ok(PageInfo {
            has_next_page: *more,
            has_previous_page: self.window.after.is_some(),
            start_cursor: events.first().map(|e| e.cursor.encode()),
            end_cursor: events
                .last()
                .map(|e| e.cursor.encode())
                .or_else(|| self.window.after.map(EventCursor::encode)),
        })
    }

    /// How many events the filter keeps, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        Ok(crate::read::events::count(context::reader(ctx), &self.filter, self.visibility).await?)
    }
}
