//! The load: commands at a steady rate, four raises in random villages to one dismissal
//! of a warning raised at least a second earlier, each sent on its own task so a slow
//! answer never delays the next command. The send time of each is recorded for the
//! screens to measure against.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::plan::Plan;
use super::record::{Effect, Record, TITLE_PREFIX};
use super::server::Api;
use crate::domain::region::RegionCode;

/// Every fifth command dismisses a warning raised this long ago or earlier.
const DISMISS_EVERY: u64 = 5;
const DISMISS_AGE: Duration = Duration::from_secs(1);

/// Where commands go.
#[derive(Clone)]
pub enum Sink {
    /// The real server's HTTP API.
    Server(Arc<Api>),
    /// The floor's control socket: one line `VILLAGE N STATE` per command.
    Floor(mpsc::UnboundedSender<String>),
}

/// What the load did.
pub struct LoadReport {
    pub commands: u64,
    pub failed: u64,
    /// Screen deliveries the acknowledged commands should cause (one per screen whose
    /// scope holds the warning's village).
    pub expected: u64,
    pub elapsed: Duration,
    /// Time from sending each command to its answer (the real server only).
    pub answers: Vec<Duration>,
    pub first_error: Option<String>,
}

/// A raised warning that may be dismissed later.
struct Open {
    n: usize,
    village: RegionCode,
    id: String,
    raised: Instant,
}

#[derive(Default)]
struct Tally {
    failed: AtomicU64,
    expected: AtomicU64,
    answers: Mutex<Vec<Duration>>,
    first_error: Mutex<Option<String>>,
}

/// Sends `rate` commands a second for `seconds`, numbering raises from `first`.
pub async fn drive(
    sink: Sink,
    plan: &Plan,
    record: &Arc<Record>,
    rate: u32,
    seconds: u64,
) -> LoadReport {
    let total = rate as u64 * seconds;
    let open: Arc<Mutex<VecDeque<Open>>> = Arc::default();
    let tally: Arc<Tally> = Arc::default();
    let mut tasks = JoinSet::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    let started = Instant::now();
    let mut next_raise = 0usize;
    for k in 0..total {
        ticker.tick().await;
        let due = (k % DISMISS_EVERY == DISMISS_EVERY - 1)
            .then(|| pop_if_old(&open))
            .flatten();
        let job = match due {
            Some(warning) => Job::Dismiss(warning),
            None => {
                next_raise += 1;
                let village = *plan.villages.choose(&mut rand::thread_rng()).unwrap();
                Job::Raise(next_raise, village)
            }
        };
        let watchers = plan.watchers(job.village());
        let effect = job.effect();
        record.sent(effect);
        let (sink, open, tally, record) =
            (sink.clone(), open.clone(), tally.clone(), record.clone());
        tasks.spawn(async move {
            let sent = Instant::now();
            match job.send(&sink).await {
                Ok(opened) => {
                    record.answered(effect);
                    tally.expected.fetch_add(watchers, Ordering::Relaxed);
                    if let Sink::Server(_) = sink {
                        tally.answers.lock().unwrap().push(sent.elapsed());
                    }
                    if let Some(warning) = opened {
                        open.lock().unwrap().push_back(warning);
                    }
                }
                Err(error) => {
                    tally.failed.fetch_add(1, Ordering::Relaxed);
                    tally
                        .first_error
                        .lock()
                        .unwrap()
                        .get_or_insert(format!("{error:#}"));
                }
            }
        });
    }
    let elapsed = started.elapsed();
    while tasks.join_next().await.is_some() {}
    let tally = Arc::try_unwrap(tally).unwrap_or_default();
    LoadReport {
        commands: total,
        failed: tally.failed.into_inner(),
        expected: tally.expected.into_inner(),
        elapsed,
        answers: tally.answers.into_inner().unwrap(),
        first_error: tally.first_error.into_inner().unwrap(),
    }
}

fn pop_if_old(open: &Mutex<VecDeque<Open>>) -> Option<Open> {
    let mut open = open.lock().unwrap();
    let old_enough = open.front()?.raised.elapsed() >= DISMISS_AGE;
    old_enough.then(|| open.pop_front()).flatten()
}

enum Job {
    Raise(usize, RegionCode),
    Dismiss(Open),
}

impl Job {
    fn village(&self) -> &RegionCode {
        match self {
            Job::Raise(_, village) => village,
            Job::Dismiss(open) => &open.village,
        }
    }

    fn effect(&self) -> Effect {
        match self {
            Job::Raise(n, _) => Effect::Raised(*n),
            Job::Dismiss(open) => Effect::Dismissed(open.n),
        }
    }

    /// Sends the command; a raise returns the warning it opened.
    async fn send(self, sink: &Sink) -> anyhow::Result<Option<Open>> {
        match (self, sink) {
            (Job::Raise(n, village), Sink::Server(api)) => {
                let id = api
                    .raise(village.as_str(), &format!("{TITLE_PREFIX}{n}"))
                    .await?;
                Ok(Some(Open::new(n, village, id)))
            }
            (Job::Dismiss(open), Sink::Server(api)) => {
                api.dismiss(&open.id).await?;
                Ok(None)
            }
            (Job::Raise(n, village), Sink::Floor(lines)) => {
                lines.send(format!("{} {n} notified\n", village.as_str()))?;
                Ok(Some(Open::new(n, village, n.to_string())))
            }
            (Job::Dismiss(open), Sink::Floor(lines)) => {
                lines.send(format!("{} {} dismissed\n", open.village.as_str(), open.n))?;
                Ok(None)
            }
        }
    }
}

impl Open {
    fn new(n: usize, village: RegionCode, id: String) -> Open {
        Open {
            n,
            village,
            id,
            raised: Instant::now(),
        }
    }
}
