//! The writer task: one per store, and the only code that appends events.
//!
//! A durable commit costs an fsync, and an fsync costs about as much for one command as for a
//! thousand, so appends are not committed one by one. Each `append` queues its request with a
//! reply channel; the writer takes everything that is waiting (up to a bound), decides and
//! commits it as one transaction ([`super::batch`]), then answers every caller. While one batch
//! is being fsynced, the next one queues up, so the batch size follows the load by itself: one
//! request at a time when traffic is light (lowest latency), hundreds when it is heavy.
//!
//! If a batch's transaction fails (most likely another process sharing the server appended in
//! between), the whole batch is decided again from fresh premises a few times, after a short
//! random pause, and then,
//! so that one poisonous request cannot sink the rest, committed request by request.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use surrealdb::Surreal;
use surrealdb::engine::any::Any;

use super::StoreError;
use super::batch::decide_and_commit;
use super::events::{AppendOutcome, AppendRequest};
use super::premises::KnownHeads;

/// The most requests committed in one transaction.
const MAX_BATCH_REQUESTS: usize = 1_000;
/// The most events committed in one transaction, so a few large commands keep a batch small.
const MAX_BATCH_EVENTS: usize = 4_000;
/// How many times a failed batch (or, after that, a single request) is decided and tried again.
/// Two instances committing at full tilt on a loaded machine were seen to collide five times
/// running (a 500 in the scale-out test under the whole suite), so there are eight.
const ATTEMPTS: u32 = 8;
/// The longest pause before the second attempt; each further attempt may wait this much more
/// (at most about a quarter of a second in all, paid only by a batch that keeps colliding).
const BACKOFF_STEP: Duration = Duration::from_millis(8);

/// An append waiting for the writer, with where to send its answer.
pub(super) struct Pending {
    pub(super) req: AppendRequest,
    pub(super) reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// What the writer's channel carries.
pub(super) enum Message {
    Append(Pending),
    /// Commit what came before, refuse what comes after, then stop and say so.
    Shutdown(oneshot::Sender<()>),
}

/// Runs until shut down, or until every store handle is dropped.
pub(super) async fn run(db: Surreal<Any>, mut receiver: mpsc::Receiver<Message>) {
    let mut carried = None;
    let mut known = KnownHeads::default();
    loop {
        let first = match carried.take() {
            Some(message) => message,
            None => match receiver.recv().await {
                Some(message) => message,
                None => return,
            },
        };
        let (batch, stop, next) = collect(first, &mut receiver);
        carried = next;
        if !batch.is_empty() {
            commit_batch(&db, batch, &mut known).await;
        }
        if let Some(done) = stop {
            refuse_the_rest(&mut receiver);
            let _ = done.send(());
            return;
        }
    }
}

/// Takes the first message and whatever else is already queued, up to the batch bounds.
/// Returns the batch, the shutdown acknowledgement if a shutdown came, and a message that did
/// not fit and opens the next batch.
fn collect(
    first: Message,
    receiver: &mut mpsc::Receiver<Message>,
) -> (Vec<Pending>, Option<oneshot::Sender<()>>, Option<Message>) {
    let mut batch = Vec::new();
    let mut events = 0;
    let mut message = Some(first);
    while let Some(current) = message.take() {
        match current {
            Message::Shutdown(done) => return (batch, Some(done), None),
            Message::Append(pending) => {
                let size = pending.req.events.len();
                if !batch.is_empty() && events + size > MAX_BATCH_EVENTS {
                    return (batch, None, Some(Message::Append(pending)));
                }
                events += size;
                batch.push(pending);
            }
        }
        if batch.len() < MAX_BATCH_REQUESTS {
            message = receiver.try_recv().ok();
        }
    }
    (batch, None, None)
}

/// Answers `Closed` to everything queued after a shutdown and closes the channel.
fn refuse_the_rest(receiver: &mut mpsc::Receiver<Message>) {
    receiver.close();
    while let Ok(message) = receiver.try_recv() {
        match message {
            Message::Append(pending) => {
                let _ = pending.reply.send(Err(StoreError::Closed));
            }
            Message::Shutdown(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// Commits a batch, retrying it whole and then request by request; answers every caller.
async fn commit_batch(db: &Surreal<Any>, batch: Vec<Pending>, known: &mut KnownHeads) {
    let requests: Vec<&AppendRequest> = batch.iter().map(|p| &p.req).collect();
    let mut last_error = None;
    for attempt in 1..=ATTEMPTS {
        match decide_and_commit(db, &requests, known).await {
            Ok(answers) => {
                tracing::trace!(requests = batch.len(), attempt, "committed a batch");
                for (pending, answer) in batch.into_iter().zip(answers) {
                    // A caller that gave up waiting has dropped its receiver; nothing to do.
                    let _ = pending.reply.send(answer);
                }
                return;
            }
            Err(error) => {
                // Whatever failed, start the next attempt from what the store says.
                known.clear();
                tracing::warn!(%error, requests = batch.len(), attempt, "a batch failed to commit");
                last_error = Some(error);
                // Almost always another process committed in between.
                super::pause_before_retry(attempt, BACKOFF_STEP).await;
            }
        }
    }
    if batch.len() == 1 {
        for pending in batch {
            let error = last_error.take().unwrap_or(StoreError::Closed);
            let _ = pending.reply.send(Err(error));
        }
        return;
    }
    for pending in batch {
        Box::pin(commit_batch(db, vec![pending], known)).await;
    }
}
