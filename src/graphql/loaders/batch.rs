//! Deterministic batching for the dataloaders of one request.
//!
//! async-graphql's `DataLoader` collects keys for a fixed delay on a spawned
//! task, then loads them. On a busy multi-threaded runtime, keys of one query
//! level that arrive after the timer fires go into a second batch, so the
//! statements a request runs would depend on timing. Instead, the loaders of a
//! request hand their batch futures to a [`BatchQueue`], and [`Driven`] polls
//! them on the request's own task only once the resolvers can make no more
//! progress (they returned `Pending`): by then every resolver of the level
//! has registered its key, so each level is exactly one batch per loader, with
//! no timer latency added.
//!
//! "Can make no more progress" needs care: `join_all` over many children
//! yields after a budget of polls by waking itself and returning `Pending`.
//! [`Driven`] polls the work with a waker that notes such a self-wake, and
//! polls again instead of starting the batches early.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};

/// Where the loaders of one request put their batch futures.
#[derive(Clone, Default)]
pub struct BatchQueue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl BatchQueue {
    /// The `DataLoader` spawner: queue the batch instead of spawning it.
    pub fn spawner(&self) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static {
        let queue = self.0.clone();
        move |fut| {
            if let Ok(mut q) = queue.lock() {
                q.push(fut);
            }
        }
    }

    fn drain(&self) -> Vec<BoxFuture<'static, ()>> {
        self.0
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }

    /// Runs `work` (the execution of one request) with this queue's batches.
    pub fn drive<F: Future>(&self, work: F) -> Driven<F> {
        Driven {
            work: Box::pin(work),
            queue: self.clone(),
            batches: FuturesUnordered::new(),
        }
    }
}

/// A request's execution together with the batches its loaders queue.
pub struct Driven<F: Future> {
    work: Pin<Box<F>>,
    queue: BatchQueue,
    batches: FuturesUnordered<BoxFuture<'static, ()>>,
}

/// A waker that notes whether it was woken, and passes the wake on.
struct Noting {
    woken: AtomicBool,
    inner: Waker,
}

impl Wake for Noting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.inner.wake_by_ref();
    }
}

/// How often the work may yield in one poll before we yield too (a
/// cooperative budget that only resets when we return `Pending`).
const MAX_YIELDS: usize = 256;

impl<F: Future> Future for Driven<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut yields = 0;
        loop {
            let noting = Arc::new(Noting {
                woken: AtomicBool::new(false),
                inner: cx.waker().clone(),
            });
            let waker = Waker::from(noting.clone());
            if let Poll::Ready(out) = self.work.as_mut().poll(&mut Context::from_waker(&waker)) {
                return Poll::Ready(out);
            }
            if noting.woken.load(Ordering::Acquire) {
                // The work yielded rather than waited: more keys may come.
                yields += 1;
                if yields >= MAX_YIELDS {
                    return Poll::Pending;
                }
                continue;
            }
            // The resolvers are all waiting: start what they asked for.
            let queued = self.queue.drain();
            let started = !queued.is_empty();
            self.batches.extend(queued);
            let mut finished = false;
            while let Poll::Ready(Some(())) = self.batches.poll_next_unpin(cx) {
                finished = true;
            }
            // A finished batch wakes resolvers: poll them again at once.
            // Otherwise every batch in flight waits on IO with our waker.
            if !finished && (!started || self.queue.0.lock().map(|q| q.is_empty()).unwrap_or(true))
            {
                return Poll::Pending;
            }
        }
    }
}
