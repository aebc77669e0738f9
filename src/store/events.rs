//! Appending to and reading event streams.
//!
//! `append` hands the request to the writer task and waits for its verdict; the reads go
//! straight to SurrealDB. Events are stored in pages, one or a few per commit, each keyed by
//! the position of its last event (`event:⟨position⟩`; a store written before pages existed
//! has one event per record, which reads the same way). Reading the log from a checkpoint is
//! a record-id range scan that needs no index, and a stream is read through its segments
//! `segment:[stream, from]`, one per commit that moved it, which name the pages holding its
//! events.

use chrono::{DateTime, Utc};
use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::types::RecordId;
use tokio::sync::oneshot;

use super::timers::TimerChange;
use super::{MAX_ID, Store, StoreError, writer};

/// An event a command decided to record, before the store gives it a position.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// What happened, e.g. "raised" or "acknowledged".
    pub kind: String,
    /// The domain payload; the store never looks inside it.
    pub data: serde_json::Value,
    /// The username that caused it, or "system".
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The unique id of the command that produced it.
    pub command_id: String,
}

/// An event as the store recorded it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecordedEvent {
    /// Global position: commit-ordered and contiguous from 1.
    pub position: u64,
    /// The stream it belongs to, e.g. a warning id "W20261126-000001".
    pub stream: String,
    /// 1-based version within the stream.
    pub version: u64,
    pub kind: String,
    pub data: serde_json::Value,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub command_id: String,
}

/// An idempotency record, stored atomically with the events it answers for.
#[derive(Clone, Debug, PartialEq)]
pub struct Idempotency {
    pub key: String,
    /// A hash of the request, so a reused key with a different body can be told apart.
    pub request_hash: String,
    /// What the first request answered; a duplicate gets it back.
    pub result: serde_json::Value,
}

/// Everything one command writes, committed all together or not at all.
#[derive(Clone, Debug)]
pub struct AppendRequest {
    pub stream: String,
    /// The version the command was decided against; 0 means the stream must not exist yet.
    pub expected_version: u64,
    /// At least one event.
    pub events: Vec<NewEvent>,
    pub idempotency: Option<Idempotency>,
    pub timer: TimerChange,
}

/// What an append did.
#[derive(Debug)]
pub enum AppendOutcome {
    /// Committed durably. Positions of the first and last event written, and the stream's new
    /// version.
    ///
    /// On `surrealkv://` this is returned only after the transaction holding the events, the
    /// stream's new version, the idempotency record and the timer change has been written to the
    /// write-ahead log *and fsynced* (`sync=every`): it survives the process being killed, or
    /// the machine losing power, the instant after. On `ws://` it means the server committed
    /// under its own durability settings; on `mem://` only that the commit happened.
    Appended {
        first_position: u64,
        last_position: u64,
        version: u64,
    },
    /// The idempotency key was already used: nothing was written; here is what was stored the
    /// first time.
    Duplicate {
        request_hash: String,
        result: serde_json::Value,
    },
}

/// Reads one stored record: a page (a JSON array of `RecordedEvent`s) or, in a store written
/// before pages, a single event.
fn parse_record(text: &str) -> Result<Vec<RecordedEvent>, StoreError> {
    let corrupt = |error: serde_json::Error| {
        StoreError::Database(format!("a stored event page is corrupt: {error}"))
    };
    if text.starts_with('[') {
        serde_json::from_str(text).map_err(corrupt)
    } else {
        serde_json::from_str(text).map(|e| vec![e]).map_err(corrupt)
    }
}

/// Each event record holds the whole event as one JSON string in `e`.
const EVENT_FIELDS: &str = "VALUE e";

impl Store {
    /// Appends a command's events to a stream if the stream is still at `expected_version`.
    ///
    /// Returns `Duplicate` if the idempotency key was used before (whatever the stream's version),
    /// and `Err(Conflict)` with the actual version if the stream moved on; neither writes
    /// anything. The request is committed by the writer task together with whatever other
    /// appends are waiting, in one transaction.
    pub async fn append(&self, req: AppendRequest) -> Result<AppendOutcome, StoreError> {
        if req.events.is_empty() {
            return Err(StoreError::Database(format!(
                "an append to stream {} must carry at least one event",
                req.stream
            )));
        }
        let (reply, verdict) = oneshot::channel();
        let message = writer::Message::Append(writer::Pending { req, reply });
        self.writer
            .send(message)
            .await
            .map_err(|_| StoreError::Closed)?;
        // A dropped reply means the writer stopped before it answered.
        verdict.await.map_err(|_| StoreError::Closed)?
    }

    /// What was stored for an idempotency key: the request hash and the result.
    pub async fn find_command(
        &self,
        key: &str,
    ) -> Result<Option<(String, serde_json::Value)>, StoreError> {
        let id = RecordId::new("command", key);
        let mut response = self
            .db
            .query("SELECT request_hash, result FROM ONLY $id")
            .bind(("id", id))
            .await?;
        let row: Option<super::premises::CommandRow> = response.take(0)?;
        row.map(|row| row.into_parts(key)).transpose()
    }

    /// Removes up to `limit` idempotency records of commands executed before `cutoff`
    /// (records written before they carried a time are kept) and answers how many went. A
    /// retry with a purged key is decided afresh, against the warning's state by then.
    pub async fn purge_commands_before(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let mut response = self
            .db
            .query(
                "LET $old = SELECT VALUE id FROM command WHERE at < $cutoff AND at != NONE LIMIT $limit;
                 DELETE $old RETURN NONE;
                 RETURN array::len($old);",
            )
            .bind(("cutoff", cutoff))
            .bind(("limit", limit as i64))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        let removed: Option<i64> = response.take(2)?;
        Ok(removed.unwrap_or(0).max(0) as usize)
    }

    /// All events of a stream in version order; empty if the stream does not exist.
    pub async fn read_stream(&self, stream: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        let query = format!(
            "LET $pages = array::distinct(array::flatten(
                SELECT VALUE pages FROM segment:[$stream, 0]..=[$stream, {MAX_ID}]));
             SELECT {EVENT_FIELDS} FROM $pages.map(|$p| type::record('event', $p));"
        );
        let mut response = self
            .db
            .query(query)
            .bind(("stream", stream.to_string()))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        let rows: Vec<String> = response.take(1)?;
        let mut events = Vec::new();
        for text in &rows {
            let page = parse_record(text)?;
            events.extend(page.into_iter().filter(|e| e.stream == stream));
        }
        events.sort_by_key(|e| e.version);
        Ok(events)
    }

    /// Events with position > `after`, in position order, at most `limit`.
    pub async fn read_all(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        read_events(&self.db, after, limit).await
    }

    /// The position of the last committed event; 0 when the log is empty.
    pub async fn head_position(&self) -> Result<u64, StoreError> {
        head_position(&self.db).await
    }
}

/// Events with position > `after`, in position order, at most `limit`.
///
/// Pages are keyed by their last position, so the events wanted are in the pages with ids
/// `after + 1 ..= after + limit` and, for the end of the range, the first page after it.
pub(super) async fn read_events(
    db: &Surreal<Any>,
    after: u64,
    limit: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if limit == 0 || after >= MAX_ID as u64 {
        return Ok(Vec::new());
    }
    let first = after as i64 + 1;
    let last = after.saturating_add(limit as u64).min(MAX_ID as u64) as i64;
    let query = format!(
        "SELECT {EVENT_FIELDS} FROM type::record('event', $first..=$last);
         SELECT {EVENT_FIELDS} FROM type::record('event', $next..=$max) LIMIT 1;"
    );
    let mut response = db
        .query(query)
        .bind(("first", first))
        .bind(("last", last))
        .bind(("next", last.saturating_add(1)))
        .bind(("max", MAX_ID))
        .await?;
    if let Some(error) = super::first_error(&mut response) {
        return Err(error);
    }
    let mut rows: Vec<String> = response.take(0)?;
    rows.extend(response.take::<Vec<String>>(1)?);
    let (first, last) = (first as u64, last as u64);
    let mut events = Vec::with_capacity(limit);
    for text in &rows {
        let page = parse_record(text)?;
        events.extend(
            page.into_iter()
                .filter(|e| (first..=last).contains(&e.position)),
        );
    }
    Ok(events)
}

/// The position of the last committed event; 0 when the log is empty.
pub(super) async fn head_position(db: &Surreal<Any>) -> Result<u64, StoreError> {
    let mut response = db.query("RETURN counter:position.n ?? 0").await?;
    let position: Option<u64> = response.take(0)?;
    Ok(position.unwrap_or(0))
}
