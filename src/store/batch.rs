//! One group commit: read what the batch depends on, decide every request, write one transaction.
//!
//! The decision is made in memory against a snapshot read just before (the position counter, the
//! heads of the streams touched, the idempotency keys used), and the transaction re-checks the
//! one fact that covers all of them: that the position counter has not moved. Every append,
//! from this process or another one sharing the server, writes that counter, so an unchanged
//! counter means nothing the decisions rest on has changed; and two transactions racing past the
//! check both write it, so the engine's write-conflict detection lets only one of them commit.
//! A new stream's head is created with `INSERT`, which refuses an existing id, as a second,
//! independent guard against two first appends to one stream.
//!
//! Every record costs SurrealDB far more than its bytes (a document to process, keys to
//! write), so a commit writes as few as it can: its events as one page record (or a few, of
//! at most `PAGE_EVENTS`), one head per stream touched (its version and its events' positions
//! and pages, which is how a stream's history is found), the counter, and idempotency records
//! and timers only where a command has them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::types::{RecordId, SurrealValue};

use super::events::{AppendOutcome, AppendRequest};
use super::timers::TimerChange;
use super::{StoreError, first_error};

/// An idempotency record as stored: the result stays JSON text.
#[derive(Clone, SurrealValue)]
pub(super) struct CommandRow {
    request_hash: String,
    result: String,
}

impl CommandRow {
    pub(super) fn into_parts(self, key: &str) -> Result<(String, serde_json::Value), StoreError> {
        let result = serde_json::from_str(&self.result).map_err(|error| {
            StoreError::Database(format!("command {key} has a corrupt result: {error}"))
        })?;
        Ok((self.request_hash, result))
    }
}

/// What the batch depends on, read just before deciding it.
struct Snapshot {
    position: u64,
    heads: HashMap<String, u64>,
    commands: HashMap<String, CommandRow>,
}

#[derive(SurrealValue)]
struct HeadRow {
    stream: String,
    version: u64,
}

#[derive(SurrealValue)]
struct KeyedCommandRow {
    key: String,
    request_hash: String,
    result: String,
}

/// The stream heads this writer itself committed, exact for as long as the position counter
/// stays where its last commit left it. Under load the same streams come back batch after
/// batch (a warning is acknowledged, started, submitted within seconds), and reading their
/// heads again would cost a document read each.
#[derive(Default)]
pub(super) struct KnownHeads {
    position: u64,
    heads: HashMap<String, u64>,
}

/// How many heads the writer remembers before it starts again from empty.
const KNOWN_HEADS_LIMIT: usize = 200_000;

impl KnownHeads {
    /// Forgets everything, after a failed commit or when another writer moved the counter.
    pub(super) fn clear(&mut self) {
        self.position = 0;
        self.heads.clear();
    }

    fn committed(&mut self, position: u64, heads: impl Iterator<Item = (String, u64)>) {
        if self.heads.len() > KNOWN_HEADS_LIMIT {
            self.heads.clear();
        }
        self.position = position;
        self.heads.extend(heads);
    }
}

/// Reads the counter first and the heads and keys after it. Each statement runs in its own
/// transaction, so this order matters: whatever commits between them moves the counter, which
/// the write transaction then catches; read the other way round, stale heads could pass.
/// Heads this writer knows are not read at all when the counter is still where its own last
/// commit left it: then nobody else has committed since, and the known heads are exact.
async fn read_snapshot(
    db: &Surreal<Any>,
    requests: &[&AppendRequest],
    known: &mut KnownHeads,
) -> Result<Snapshot, StoreError> {
    let mut response = db.query("RETURN counter:position.n ?? 0").await?;
    let position: Option<u64> = response.take(0)?;
    let position = position.unwrap_or(0);
    if position != known.position {
        known.clear();
    }
    let mut heads = HashMap::new();
    let mut unknown = BTreeSet::new();
    for stream in requests.iter().map(|r| r.stream.as_str()) {
        match known.heads.get(stream) {
            Some(version) => {
                heads.insert(stream.to_string(), *version);
            }
            None => {
                unknown.insert(stream);
            }
        }
    }
    let (read_heads, commands) = read_heads_and_keys(db, requests, unknown).await?;
    heads.extend(read_heads);
    Ok(Snapshot {
        position,
        heads,
        commands,
    })
}

/// The stored heads of `streams` and the stored idempotency records the batch's keys name.
async fn read_heads_and_keys(
    db: &Surreal<Any>,
    requests: &[&AppendRequest],
    streams: BTreeSet<&str>,
) -> Result<(HashMap<String, u64>, HashMap<String, CommandRow>), StoreError> {
    let keys: BTreeSet<&str> = requests
        .iter()
        .filter_map(|r| r.idempotency.as_ref())
        .map(|i| i.key.as_str())
        .collect();
    let streams: Vec<RecordId> = streams
        .into_iter()
        .map(|s| RecordId::new("stream", s))
        .collect();
    let keys: Vec<RecordId> = keys
        .into_iter()
        .map(|k| RecordId::new("command", k))
        .collect();
    if streams.is_empty() && keys.is_empty() {
        return Ok((HashMap::new(), HashMap::new()));
    }
    let mut response = db
        .query(
            "SELECT record::id(id) AS stream, version FROM $streams;
             SELECT record::id(id) AS key, request_hash, result FROM $keys;",
        )
        .bind(("streams", streams))
        .bind(("keys", keys))
        .await?;
    if let Some(error) = first_error(&mut response) {
        return Err(error);
    }
    let heads: Vec<HeadRow> = response.take(0)?;
    let commands: Vec<KeyedCommandRow> = response.take(1)?;
    let commands = commands.into_iter().map(|c| {
        let row = CommandRow {
            request_hash: c.request_hash,
            result: c.result,
        };
        (c.key, row)
    });
    let heads = heads.into_iter().map(|h| (h.stream, h.version)).collect();
    Ok((heads, commands.collect()))
}

/// The decision for one request, final only once the batch has committed.
enum Verdict {
    Appended {
        first_position: u64,
        last_position: u64,
        version: u64,
    },
    /// The key is already stored.
    Stored(CommandRow),
    /// The key is written by the earlier request at this index of the same batch.
    SameKeyAs(usize),
    Conflict {
        expected: u64,
        actual: u64,
    },
}

/// The most events one page record holds. A batch writes its events as consecutive pages of
/// at most this many, so that a reader looking for a position never needs more than the page
/// that ends at or after it.
pub(super) const PAGE_EVENTS: u64 = 4_000;

/// One page of the log: consecutive events, keyed by the position of its last event.
#[derive(SurrealValue)]
struct PageWrite {
    id: RecordId,
    /// The recorded events as one JSON array text. One string per record is what SurrealDB
    /// hands back fastest, and one record per commit instead of one per event is what lets
    /// a group commit cost little more than its bytes.
    e: String,
}

/// A stream's head as the batch leaves it: its version, the positions of the events the batch
/// added, and the page that holds each (both appended to those already stored).
#[derive(SurrealValue)]
struct HeadWrite {
    id: RecordId,
    version: u64,
    positions: Vec<u64>,
    pages: Vec<u64>,
}

/// How the batch moves one stream: from the version the snapshot saw to its new version.
struct HeadMove {
    from: u64,
    version: u64,
    positions: Vec<u64>,
}

#[derive(SurrealValue)]
struct CommandWrite {
    id: RecordId,
    request_hash: String,
    result: String,
}

#[derive(SurrealValue)]
struct TimerWrite {
    id: RecordId,
    stream: String,
    kind: String,
    due: DateTime<Utc>,
    version: u64,
}

/// Everything the batch writes, as arrays bound to set-based statements.
#[derive(Default)]
struct Writes {
    /// Each event as JSON text, in position order from the snapshot's position + 1.
    events: Vec<String>,
    heads: HashMap<String, HeadMove>,
    commands: Vec<CommandWrite>,
    /// The last timer change per stream: `Some` sets it, `None` deletes it.
    timers: BTreeMap<String, Option<TimerWrite>>,
}

/// Decides every request in order against the snapshot, as if each had committed alone.
fn plan(snapshot: Snapshot, requests: &[&AppendRequest]) -> (Vec<Verdict>, Writes) {
    let Snapshot {
        position,
        mut heads,
        commands,
    } = snapshot;
    let mut next = position + 1;
    let mut writes = Writes::default();
    let mut keys_in_batch: HashMap<&str, usize> = HashMap::new();
    let mut verdicts = Vec::with_capacity(requests.len());
    for (index, req) in requests.iter().enumerate() {
        if let Some(idem) = &req.idempotency {
            if let Some(row) = commands.get(&idem.key) {
                verdicts.push(Verdict::Stored(row.clone()));
                continue;
            }
            if let Some(first) = keys_in_batch.get(idem.key.as_str()) {
                verdicts.push(Verdict::SameKeyAs(*first));
                continue;
            }
        }
        let actual = heads.get(&req.stream).copied().unwrap_or(0);
        if req.expected_version != actual {
            verdicts.push(Verdict::Conflict {
                expected: req.expected_version,
                actual,
            });
            continue;
        }
        let version = actual + req.events.len() as u64;
        verdicts.push(Verdict::Appended {
            first_position: next,
            last_position: next + req.events.len() as u64 - 1,
            version,
        });
        add_writes(&mut writes, req, next, actual);
        next += req.events.len() as u64;
        heads.insert(req.stream.clone(), version);
        if let Some(idem) = &req.idempotency {
            keys_in_batch.insert(idem.key.as_str(), index);
        }
    }
    (verdicts, writes)
}

/// Adds one accepted request's records to the batch.
fn add_writes(writes: &mut Writes, req: &AppendRequest, first_position: u64, base_version: u64) {
    let head = writes
        .heads
        .entry(req.stream.clone())
        .or_insert_with(|| HeadMove {
            from: base_version,
            version: base_version,
            positions: Vec::new(),
        });
    head.version = base_version + req.events.len() as u64;
    for (offset, event) in req.events.iter().enumerate() {
        let position = first_position + offset as u64;
        let version = base_version + 1 + offset as u64;
        head.positions.push(position);
        let recorded = super::events::RecordedEvent {
            position,
            stream: req.stream.clone(),
            version,
            kind: event.kind.clone(),
            data: event.data.clone(),
            actor: event.actor.clone(),
            at: event.at,
            command_id: event.command_id.clone(),
        };
        writes
            .events
            .push(serde_json::to_string(&recorded).expect("events serialize"));
    }
    if let Some(idem) = &req.idempotency {
        writes.commands.push(CommandWrite {
            id: RecordId::new("command", idem.key.as_str()),
            request_hash: idem.request_hash.clone(),
            result: idem.result.to_string(),
        });
    }
    let version = base_version + req.events.len() as u64;
    let timer = match &req.timer {
        TimerChange::Keep => return,
        TimerChange::Clear => None,
        TimerChange::Set { kind, due } => Some(TimerWrite {
            id: RecordId::new("timer", req.stream.as_str()),
            stream: req.stream.clone(),
            kind: kind.clone(),
            due: *due,
            version,
        }),
    };
    writes.timers.insert(req.stream.clone(), timer);
}

/// The write transaction. The `IF` makes it fail unless the counter is where the snapshot saw
/// it; the `UPSERT` of the counter makes concurrent writers conflict at commit. Heads of new
/// streams are inserted and heads of existing ones updated in place: an `INSERT .. ON
/// DUPLICATE KEY UPDATE` would first fail to insert each existing head, and SurrealDB builds
/// an error (with a backtrace, when they are switched on) for every such failure.
const WRITE_HEAD: &str = "BEGIN TRANSACTION;
    IF (counter:position.n ?? 0) != $from {
        THROW 'the event position moved since the batch was decided; retry'
    };
    INSERT INTO event $pages RETURN NONE;
    UPSERT counter:position SET n = $to RETURN NONE;
";
const WRITE_NEW_HEADS: &str = "INSERT INTO stream $new_heads RETURN NONE;\n";
const WRITE_MOVED_HEADS: &str = "FOR $head IN $moved_heads {
        UPDATE $head.id SET version = $head.version,
            pages = array::concat(pages ?? positions ?? [], $head.pages),
            positions = array::concat(positions ?? [], $head.positions) RETURN NONE;
    };\n";
const WRITE_COMMANDS: &str = "INSERT INTO command $commands RETURN NONE;\n";
const WRITE_TIMERS: &str = "INSERT INTO timer $timers ON DUPLICATE KEY UPDATE \
    kind = $input.kind, due = $input.due, version = $input.version RETURN NONE;\n";
const CLEAR_TIMERS: &str = "DELETE $cleared RETURN NONE;\n";
const WRITE_TAIL: &str = "COMMIT TRANSACTION;";

/// Commits the batch's writes as one transaction, moving the counter from `from` to `to`.
async fn commit(db: &Surreal<Any>, writes: Writes, from: u64, to: u64) -> Result<(), StoreError> {
    let (mut new_heads, mut moved_heads) = (Vec::new(), Vec::new());
    for (stream, head) in writes.heads {
        let write = HeadWrite {
            id: RecordId::new("stream", stream),
            version: head.version,
            pages: head
                .positions
                .iter()
                .map(|p| page_of(*p, from, to))
                .collect(),
            positions: head.positions,
        };
        if head.from == 0 {
            new_heads.push(write);
        } else {
            moved_heads.push(write);
        }
    }
    let mut set = Vec::new();
    let mut cleared = Vec::new();
    for (stream, timer) in writes.timers {
        match timer {
            Some(timer) => set.push(timer),
            None => cleared.push(RecordId::new("timer", stream)),
        }
    }
    let mut query = String::from(WRITE_HEAD);
    for (statement, needed) in [
        (WRITE_NEW_HEADS, !new_heads.is_empty()),
        (WRITE_MOVED_HEADS, !moved_heads.is_empty()),
        (WRITE_COMMANDS, !writes.commands.is_empty()),
        (WRITE_TIMERS, !set.is_empty()),
        (CLEAR_TIMERS, !cleared.is_empty()),
    ] {
        if needed {
            query.push_str(statement);
        }
    }
    query.push_str(WRITE_TAIL);
    let mut response = db
        .query(query)
        .bind(("from", from as i64))
        .bind(("to", to as i64))
        .bind(("pages", pages(writes.events, from)))
        .bind(("new_heads", new_heads))
        .bind(("moved_heads", moved_heads))
        .bind(("commands", writes.commands))
        .bind(("timers", set))
        .bind(("cleared", cleared))
        .await?;
    match first_error(&mut response) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The id (last position) of the page that holds `position`, in a batch from `from` to `to`.
fn page_of(position: u64, from: u64, to: u64) -> u64 {
    let chunk = (position - from - 1) / PAGE_EVENTS;
    (from + (chunk + 1) * PAGE_EVENTS).min(to)
}

/// The batch's events, which follow `from`, cut into pages.
fn pages(events: Vec<String>, from: u64) -> Vec<PageWrite> {
    let mut pages = Vec::new();
    let mut last = from;
    for chunk in events.chunks(PAGE_EVENTS as usize) {
        last += chunk.len() as u64;
        let size = chunk.iter().map(|e| e.len() + 1).sum::<usize>() + 2;
        let mut text = String::with_capacity(size);
        text.push('[');
        for (i, event) in chunk.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(event);
        }
        text.push(']');
        pages.push(PageWrite {
            id: RecordId::new("event", last as i64),
            e: text,
        });
    }
    pages
}

/// Decides and commits a batch. `Err` means nothing was written and the batch may be retried;
/// `Ok` holds each request's final answer, in order.
pub(super) async fn decide_and_commit(
    db: &Surreal<Any>,
    requests: &[&AppendRequest],
    known: &mut KnownHeads,
) -> Result<Vec<Result<AppendOutcome, StoreError>>, StoreError> {
    let snapshot = read_snapshot(db, requests, known).await?;
    let from = snapshot.position;
    let (verdicts, writes) = plan(snapshot, requests);
    let to = from + writes.events.len() as u64;
    if to > from {
        let heads: Vec<(String, u64)> = writes
            .heads
            .iter()
            .map(|(stream, head)| (stream.clone(), head.version))
            .collect();
        commit(db, writes, from, to).await?;
        known.committed(to, heads.into_iter());
    }
    let answers = verdicts
        .into_iter()
        .zip(requests)
        .map(|(verdict, req)| match verdict {
            Verdict::Appended {
                first_position,
                last_position,
                version,
            } => Ok(AppendOutcome::Appended {
                first_position,
                last_position,
                version,
            }),
            Verdict::Stored(row) => duplicate(row, req),
            Verdict::SameKeyAs(first) => {
                // The earlier request carries the same key, so it has an idempotency record.
                let idem = requests[first].idempotency.as_ref().ok_or_else(|| {
                    StoreError::Database("an idempotency record went missing in a batch".into())
                })?;
                Ok(AppendOutcome::Duplicate {
                    request_hash: idem.request_hash.clone(),
                    result: idem.result.clone(),
                })
            }
            Verdict::Conflict { expected, actual } => Err(StoreError::Conflict {
                stream: req.stream.clone(),
                expected,
                actual,
            }),
        });
    Ok(answers.collect())
}

fn duplicate(row: CommandRow, req: &AppendRequest) -> Result<AppendOutcome, StoreError> {
    let key = req.idempotency.as_ref().map_or("", |i| i.key.as_str());
    let (request_hash, result) = row.into_parts(key)?;
    Ok(AppendOutcome::Duplicate {
        request_hash,
        result,
    })
}
