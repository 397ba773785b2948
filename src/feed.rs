//! Live events: the journal's tail, read once per process and handed to
//! every subscriber in it.
//!
//! One task (started with the first subscription) follows the journal from
//! its end: it reads what is new whenever this process commits a write, when
//! PostgreSQL notifies a commit of another gateway process (`LISTEN
//! relgate_journal`; a wake-up only, the events are read from the journal),
//! and at least every [`POLL`], so a lost notification costs a second at
//! most. It broadcasts each event to the process's subscribers, which filter
//! them by their caller's visibility and their filter.
//!
//! A subscriber given a cursor first replays the journal from it, then goes
//! live: it listens to the broadcast before it replays, and skips what it
//! has already sent, so nothing falls between the two and nothing comes
//! twice. A subscriber that falls behind the broadcast's buffer replays from
//! its last event again. Memory does not grow with subscribers: the
//! broadcast keeps [`BROADCAST`] events in all, shared by every
//! subscriber, and a subscriber is a stream its socket polls (no task and
//! no queue of its own; a page of [`PAGE`] events while it replays).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::{broadcast, watch};

use crate::domain::EventFilter;
use crate::domain::Visibility;
use crate::domain::{Event, EventCursor};
use crate::error::{AppError, AppResult};
use crate::read::events;
use crate::read::{Reader, Store};

/// The longest the tail waits before it looks at the journal again.
pub const POLL: Duration = Duration::from_secs(1);
/// Events the broadcast keeps for subscribers that are a little behind.
pub const BROADCAST: usize = 1024;
/// Events read from the journal per statement.
pub const PAGE: u64 = 500;

/// Everything the store holds: the tail reads all, subscribers filter.
const EVERYTHING: Visibility = Visibility {
    include_private: true,
};

/// The live feed of one process (cheap to clone).
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// Bumped when something may have been committed.
    wake: watch::Sender<u64>,
    /// The tail's events.
    tail: broadcast::Sender<Arc<Event>>,
    /// Where the tail is: every event up to here has been broadcast.
    position: watch::Sender<Option<EventCursor>>,
    started: AtomicBool,
}

impl Feed {
    /// The feed of `store`; its tail starts with the first subscription.
    pub fn new(store: Store) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                wake: watch::Sender::new(0),
                tail: broadcast::Sender::new(BROADCAST),
                position: watch::Sender::new(None),
                started: AtomicBool::new(false),
            }),
        }
    }

    /// Tells the tail that this process committed events.
    pub fn wake(&self) {
        self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Starts the tail (once), and waits until it knows where the journal
    /// ends.
    async fn start(&self) -> AppResult<EventCursor> {
        if !self.inner.started.swap(true, Ordering::SeqCst) {
            let end = end_of_journal(&self.inner.store).await;
            let end = match end {
                Ok(end) => end,
                Err(e) => {
                    self.inner.started.store(false, Ordering::SeqCst);
                    return Err(e);
                }
            };
            self.inner.position.send_replace(Some(end));
            tokio::spawn(follow(self.inner.clone(), end));
            if self.inner.store.backend() == sea_orm::DatabaseBackend::Postgres {
                tokio::spawn(listen(self.inner.clone()));
            }
        }
        let mut position = self.inner.position.subscribe();
        let at = position
            .wait_for(Option::is_some)
            .await
            .map_err(AppError::internal)?;
        Ok(at.unwrap_or_default())
    }

    /// The events after `after` (from now on without it) that `filter` and
    /// `vis` keep: replayed from the journal, then live.
    pub async fn subscribe(
        &self,
        after: Option<EventCursor>,
        filter: EventFilter,
        vis: Visibility,
    ) -> AppResult<impl Stream<Item = AppResult<Arc<Event>>> + Send + use<>> {
        // Listen first: what the tail sends from now on is not missed.
        let live = self.inner.tail.subscribe();
        let now = self.start().await?;
        if let Some(c) = after {
            // A pruned cursor is refused before the subscription starts.
            events::page(&Reader::new(&self.inner.store), Some(c), 0, &filter, vis).await?;
        }
        let sub = Subscriber {
            store: self.inner.store.clone(),
            filter,
            vis,
            cursor: after.unwrap_or(now),
            replay: after.is_some(),
            replayed: VecDeque::new(),
            live,
        };
        // An error is the stream's last item.
        Ok(futures_util::stream::unfold(Some(sub), |sub| async move {
            let mut sub = sub?;
            match sub.next().await {
                Ok(Some(event)) => Some((Ok(event), Some(sub))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        }))
    }
}

/// The cursor of the journal's newest readable event (the start when empty).
async fn end_of_journal(store: &Store) -> AppResult<EventCursor> {
    let mut at = EventCursor::default();
    // Page to the end: the journal is read in order anyway.
    loop {
        let (page, more) = events::page(
            &Reader::new(store),
            Some(at).filter(|c| *c != EventCursor::default()),
            PAGE,
            &EventFilter::default(),
            EVERYTHING,
        )
        .await?;
        if let Some(last) = page.last() {
            at = last.cursor;
        }
        if !more {
            return Ok(at);
        }
    }
}

/// The tail: reads what is new after `from` whenever woken (or every
/// [`POLL`]), and broadcasts it.
async fn follow(inner: Arc<Inner>, mut from: EventCursor) {
    let mut wake = inner.wake.subscribe();
    loop {
        loop {
            let after = Some(from).filter(|c| *c != EventCursor::default());
            match events::page(
                &Reader::new(&inner.store),
                after,
                PAGE,
                &EventFilter::default(),
                EVERYTHING,
            )
            .await
            {
                Ok((page, more)) => {
                    for event in page {
                        from = event.cursor;
                        let _ = inner.tail.send(Arc::new(event));
                    }
                    inner.position.send_replace(Some(from));
                    if !more {
                        break;
                    }
                }
                Err(e) => {
                    if let AppError::Internal(cause) = &e {
                        tracing::warn!(error = %cause, "reading the journal's tail");
                    }
                    break;
                }
            }
        }
        let _ = tokio::time::timeout(POLL, wake.changed()).await;
    }
}

/// PostgreSQL: wakes the tail at each commit that any process notifies;
/// reconnects when the connection drops (and wakes the tail then, to catch
/// up on what the lost notifications announced).
async fn listen(inner: Arc<Inner>) {
    loop {
        match events::listen(&inner.store).await {
            Ok(mut listener) => {
                inner.wake.send_modify(|n| *n = n.wrapping_add(1));
                loop {
                    match listener.recv().await {
                        Ok(_) => inner.wake.send_modify(|n| *n = n.wrapping_add(1)),
                        Err(e) => {
                            tracing::warn!(error = %e, "the journal's notification connection dropped; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                if let AppError::Internal(cause) = &e {
                    tracing::warn!(error = %cause, "listening for the journal's notifications");
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One subscription: replay, then the broadcast.
struct Subscriber {
    store: Store,
    filter: EventFilter,
    vis: Visibility,
    /// The last event handed on (or where the subscription started).
    cursor: EventCursor,
    /// Whether the journal has more to replay after `cursor`.
    replay: bool,
    /// The rest of the page being replayed.
    replayed: VecDeque<Event>,
    live: broadcast::Receiver<Arc<Event>>,
}

impl Subscriber {
    /// The subscription's next event; `None` once the feed is gone. After a
    /// lag it replays from the last event it handed on.
    async fn next(&mut self) -> AppResult<Option<Arc<Event>>> {
        loop {
            if let Some(event) = self.replayed.pop_front() {
                self.cursor = event.cursor;
                return Ok(Some(Arc::new(event)));
            }
            if self.replay {
                let after = Some(self.cursor).filter(|c| *c != EventCursor::default());
                // Boxed: the statement's future is large, and a subscription
                // is mostly idle.
                let reader = Reader::new(&self.store);
                let (page, more) =
                    Box::pin(events::page(&reader, after, PAGE, &self.filter, self.vis)).await?;
                self.replayed = page.into();
                self.replay = more;
                continue;
            }
            match self.live.recv().await {
                Ok(event) if event.cursor <= self.cursor => {}
                Ok(event) => {
                    self.cursor = event.cursor;
                    if self.vis.shows(event.is_private()) && self.filter.matches(&event) {
                        return Ok(Some(event));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.replay = true,
                Err(broadcast::error::RecvError::Closed) => return Ok(None),
            }
        }
    }
}
