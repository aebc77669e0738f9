//! One group commit: decide every request against its premises, write one transaction.
//!
//! The decision is made in memory against its premises read just before ([`super::premises`]:
//! the position counter, the versions of the streams touched, the idempotency keys used), and
//! the transaction re-checks the one fact that covers all of them: that the position counter
//! has not moved. Every append, from this process or another one sharing the server, writes
//! that counter, so an unchanged counter means nothing the decisions rest on has changed; and
//! two transactions racing past the check both write it, so the engine's write-conflict
//! detection lets only one of them commit. Each stream a commit moves gets a new segment
//! `segment:[stream, from]`, which `INSERT` refuses to write twice: a second, independent
//! guard against two commits moving one stream from the same version.
//!
//! Every record costs SurrealDB far more than its bytes, and changing a record costs far more
//! than adding one (a read, a merge, an error built for the failed insert), so a commit only
//! ever adds records: its events as one page record (or a few, of at most `PAGE_EVENTS`), one
//! segment per stream moved, the counter, and idempotency records and timers only where a
//! command has them. Nothing is read back or updated in place.

use std::collections::{BTreeMap, HashMap};

use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::types::{RecordId, SurrealValue};

use super::events::{AppendOutcome, AppendRequest};
use super::premises::{CommandRow, KnownHeads, Premises, read_premises, segment_id};
use super::timers::TimerWrite;
use super::{StoreError, first_error};

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

/// The part of a stream one commit added: `segment:[stream, from]` holds the stream's version
/// after the commit and the pages that hold the events it added. A stream is at the version of
/// its last segment, and its history is in the pages its segments name.
#[derive(SurrealValue)]
struct SegmentWrite {
    id: RecordId,
    version: u64,
    pages: Vec<u64>,
}

/// How the batch moves one stream: from the version the premises saw to its new version.
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
    /// When the command was executed (the engine's clock): what housekeeping purges old
    /// records by.
    at: chrono::DateTime<chrono::Utc>,
}

/// Everything the batch writes, as arrays bound to set-based statements.
#[derive(Default)]
struct Writes {
    /// Each event as JSON text, in position order from the premises' position + 1.
    events: Vec<String>,
    heads: HashMap<String, HeadMove>,
    commands: Vec<CommandWrite>,
    /// The last timer change per stream.
    timers: BTreeMap<String, TimerWrite>,
}

/// Decides every request in order against the premises, as if each had committed alone.
fn plan(premises: Premises, requests: &[&AppendRequest]) -> (Vec<Verdict>, Writes) {
    let Premises {
        position,
        mut heads,
        commands,
    } = premises;
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
            at: req
                .events
                .first()
                .map_or_else(chrono::Utc::now, |event| event.at),
        });
    }
    let version = base_version + req.events.len() as u64;
    if let Some(timer) = TimerWrite::new(&req.stream, base_version, version, &req.timer) {
        writes.timers.insert(req.stream.clone(), timer);
    }
}

/// The write transaction. The `IF` makes it fail unless the counter is where the premises saw
/// it; the `UPSERT` of the counter makes concurrent writers conflict at commit. Everything
/// else is a plain `INSERT` of new records.
const WRITE_HEAD: &str = "BEGIN TRANSACTION;
    IF (counter:position.n ?? 0) != $from {
        THROW 'the event position moved since the batch was decided; retry'
    };
    INSERT INTO event $pages RETURN NONE;
    INSERT INTO segment $segments RETURN NONE;
    UPSERT counter:position SET n = $to RETURN NONE;
";
const WRITE_COMMANDS: &str = "INSERT INTO command $commands RETURN NONE;\n";
const WRITE_TIMERS: &str = "INSERT INTO timer $timers RETURN NONE;\n";
const WRITE_TAIL: &str = "COMMIT TRANSACTION;";

/// Commits the batch's writes as one transaction, moving the counter from `from` to `to`.
async fn commit(db: &Surreal<Any>, writes: Writes, from: u64, to: u64) -> Result<(), StoreError> {
    let segments: Vec<SegmentWrite> = writes
        .heads
        .into_iter()
        .map(|(stream, head)| {
            let mut pages: Vec<u64> = head
                .positions
                .iter()
                .map(|p| page_of(*p, from, to))
                .collect();
            pages.dedup();
            SegmentWrite {
                id: segment_id(&stream, head.from),
                version: head.version,
                pages,
            }
        })
        .collect();
    let timers: Vec<TimerWrite> = writes.timers.into_values().collect();
    let mut query = String::from(WRITE_HEAD);
    if !writes.commands.is_empty() {
        query.push_str(WRITE_COMMANDS);
    }
    if !timers.is_empty() {
        query.push_str(WRITE_TIMERS);
    }
    query.push_str(WRITE_TAIL);
    let mut response = db
        .query(query)
        .bind(("from", from as i64))
        .bind(("to", to as i64))
        .bind(("pages", pages(writes.events, from)))
        .bind(("segments", segments))
        .bind(("commands", writes.commands))
        .bind(("timers", timers))
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
    let premises = read_premises(db, requests, known).await?;
    let from = premises.position;
    let (verdicts, writes) = plan(premises, requests);
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
