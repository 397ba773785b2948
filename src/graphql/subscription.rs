//! `Subscription`: the journal, live, over graphql-transport-ws on
//! `/graphql` (see `http::subscriptions` for the socket, its limits and
//! close codes).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{Context, ErrorExtensions, Subscription as SubscriptionObject};
use futures_util::{Stream, StreamExt};

use super::context::{self, service};
use super::errors::GqlResult;
use super::types::event::{EventObject, RelationEventFilterInput};
use crate::auth::Principal;
use crate::domain::EventCursor;
use crate::error::AppError;

/// The root of every subscription.
#[derive(Default)]
pub struct Subscription;

/// What a WebSocket connection's subscriptions share: its caller and its
/// count of subscriptions.
pub struct SubscriberData {
    /// Who subscribes (authenticated at `connection_init`).
    pub principal: Principal,
    /// Live subscriptions of this connection.
    pub open: Arc<AtomicUsize>,
    /// The most this connection may hold at once.
    pub max_open: usize,
}

/// Decrements a connection's count of subscriptions, and the server's,
/// when a subscription ends.
struct Claim(Arc<AtomicUsize>, Arc<crate::metrics::Metrics>);

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
        self.1.subscriptions(-1);
    }
}

/// The root of every subscription.
#[SubscriptionObject]
impl Subscription {
    /// Every committed change to the relation graph, as it happens. With
    /// `after` (an event's `cursor`, or `relationEvents`' `endCursor`) the
    /// journal is replayed from there first, then the stream goes live, with
    /// no gap and no duplicate between the two: a client that reconnects
    /// with the last cursor it saw misses nothing. Changes to private
    /// relations reach admins only.
    async fn relation_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Replay the journal after this cursor first; live events only when omitted."
        )]
        after: Option<String>,
        #[graphql(desc = "Which events; all when omitted.")] filter: Option<
            RelationEventFilterInput,
        >,
    ) -> async_graphql::Result<impl Stream<Item = GqlResult<EventObject>> + use<>> {
        let Some(data) = ctx.data_opt::<SubscriberData>() else {
            return Err(AppError::bad_input(
                "subscriptions run over a WebSocket (graphql-transport-ws) on /graphql",
            )
            .into());
        };
        if data.open.fetch_add(1, Ordering::SeqCst) >= data.max_open {
            data.open.fetch_sub(1, Ordering::SeqCst);
            return Err(async_graphql::Error::new(format!(
                "at most {} subscriptions on one connection",
                data.max_open
            ))
            .extend_with(|_, e| e.set("code", "SUBSCRIPTION_LIMIT_EXCEEDED")));
        }
        let metrics = service(ctx).metrics().clone();
        metrics.subscriptions(1);
        let claim = Claim(data.open.clone(), metrics);
        let after = after
            .map(|a| EventCursor::decode(&a, "after"))
            .transpose()?;
        let filter = filter.unwrap_or_default().decode()?;
        let events = service(ctx)
            .feed()
            .subscribe(after, filter, context::visibility(ctx))
            .await?;
        Ok(events.map(move |e| {
            let _held = &claim;
            e.map(EventObject).map_err(Into::into)
        }))
    }
}
