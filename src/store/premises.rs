//! What a group commit depends on, read just before it is decided: the position counter, the
//! versions of the streams it touches and the idempotency records its keys name.
//!
//! A stream's version is not stored in one place: each commit that moves a stream adds a
//! segment `segment:[stream, from]` (see [`super::batch`]), and the stream is at the `version`
//! of its last segment. Reading that costs a range scan, so the writer remembers the versions it
//! knows ([`KnownHeads`]) and reads only the streams it has not seen.

use std::collections::{BTreeSet, HashMap};

use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::types::{RecordId, SurrealValue};

use super::events::AppendRequest;
use super::events::{head_position, read_events};
use super::{MAX_ID, StoreError, first_error, stream_record_id};

/// The id of the segment that moves `stream` on from version `from`. Only one commit can
/// move a stream from a given version, and `INSERT` refuses an id that exists, so two racing
/// appends to one stream cannot both commit even if every other check were wrong.
pub(super) fn segment_id(stream: &str, from: u64) -> RecordId {
    stream_record_id("segment", stream, from)
}

/// An idempotency record as stored: the result stays JSON text.
#[derive(Clone, SurrealValue)]
pub(super) struct CommandRow {
    request_hash: String,
    result: String,
}

impl CommandRow {
    pub(super) fn new(request_hash: String, result: String) -> CommandRow {
        CommandRow {
            request_hash,
            result,
        }
    }

    pub(super) fn into_parts(self, key: &str) -> Result<(String, serde_json::Value), StoreError> {
        let result = serde_json::from_str(&self.result).map_err(|error| {
            StoreError::Database(format!("command {key} has a corrupt result: {error}"))
        })?;
        Ok((self.request_hash, result))
    }
}

/// What the batch depends on.
pub(super) struct Premises {
    pub(super) position: u64,
    pub(super) heads: HashMap<String, u64>,
    pub(super) commands: HashMap<String, CommandRow>,
}

#[derive(SurrealValue)]
struct KeyedCommandRow {
    key: String,
    request_hash: String,
    result: String,
}

/// The stream versions this writer knows, exact as of the position counter `position`.
///
/// They come from the writer's own commits and, when another process sharing the server has
/// committed in between, from reading the events it added. Under load the same streams come
/// back batch after batch (a warning is acknowledged, started, submitted within seconds), and
/// reading their versions again would cost a range scan each.
#[derive(Default)]
pub(super) struct KnownHeads {
    position: u64,
    heads: HashMap<String, u64>,
}

/// How many versions the writer remembers before it starts again from empty.
const KNOWN_HEADS_LIMIT: usize = 200_000;
/// The most events another writer may have added for this one to read them rather than
/// forget what it knows.
const CATCH_UP_LIMIT: u64 = 20_000;

impl KnownHeads {
    /// Forgets everything, after a failed commit.
    pub(super) fn clear(&mut self) {
        self.position = 0;
        self.heads.clear();
    }

    pub(super) fn committed(&mut self, position: u64, heads: impl Iterator<Item = (String, u64)>) {
        if self.heads.len() > KNOWN_HEADS_LIMIT {
            self.heads.clear();
        }
        self.position = position;
        self.heads.extend(heads);
    }

    /// Brings the known versions up to the counter `position`: reads what others appended
    /// since, or forgets everything when that is too much (or nothing was known).
    async fn catch_up(&mut self, db: &Surreal<Any>, position: u64) -> Result<(), StoreError> {
        if position == self.position {
            return Ok(());
        }
        let behind = position.saturating_sub(self.position);
        if self.position == 0 || position < self.position || behind > CATCH_UP_LIMIT {
            self.clear();
            self.position = position;
            return Ok(());
        }
        let events = read_events(db, self.position, behind as usize).await?;
        if events.len() as u64 != behind {
            // A gap would leave a stream's version unknown without our noticing; read instead.
            self.clear();
            self.position = position;
            return Ok(());
        }
        for event in events {
            let version = self.heads.entry(event.stream).or_default();
            *version = (*version).max(event.version);
        }
        self.position = position;
        Ok(())
    }
}

/// Reads the counter first and the versions and keys after it. Each statement runs in its own
/// transaction, so this order matters: whatever commits between them moves the counter, which
/// the write transaction then catches; read the other way round, stale versions could pass.
pub(super) async fn read_premises(
    db: &Surreal<Any>,
    requests: &[&AppendRequest],
    known: &mut KnownHeads,
) -> Result<Premises, StoreError> {
    let position = head_position(db).await?;
    known.catch_up(db, position).await?;
    let mut heads = HashMap::new();
    let mut unknown: HashMap<&str, u64> = HashMap::new();
    for req in requests {
        match known.heads.get(&req.stream) {
            Some(version) => {
                heads.insert(req.stream.clone(), *version);
            }
            None => {
                unknown.insert(&req.stream, req.expected_version);
            }
        }
    }
    let (existing, commands) = read_first_segments_and_keys(db, requests, &unknown).await?;
    // Streams expected to exist, and new ones that turn out to, need their segments scanned.
    let mut to_scan: BTreeSet<String> = unknown
        .iter()
        .filter(|(_, expected)| **expected > 0)
        .map(|(stream, _)| stream.to_string())
        .collect();
    to_scan.extend(existing);
    heads.extend(scan_versions(db, to_scan).await?);
    Ok(Premises {
        position,
        heads,
        commands,
    })
}

/// In one query: which of the `unknown` streams expected to be new (most of them: warnings
/// being raised) already have a first segment, and the stored idempotency records the
/// batch's keys name.
async fn read_first_segments_and_keys(
    db: &Surreal<Any>,
    requests: &[&AppendRequest],
    unknown: &HashMap<&str, u64>,
) -> Result<(Vec<String>, HashMap<String, CommandRow>), StoreError> {
    let first_segments: Vec<RecordId> = unknown
        .iter()
        .filter(|(_, expected)| **expected == 0)
        .map(|(stream, _)| segment_id(stream, 0))
        .collect();
    let keys: BTreeSet<&str> = requests
        .iter()
        .filter_map(|r| r.idempotency.as_ref())
        .map(|i| i.key.as_str())
        .collect();
    if first_segments.is_empty() && keys.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let keys: Vec<RecordId> = keys
        .into_iter()
        .map(|k| RecordId::new("command", k))
        .collect();
    let mut response = db
        .query(
            "SELECT VALUE record::id(id)[0] FROM $first_segments;
             SELECT record::id(id) AS key, request_hash, result FROM $keys;",
        )
        .bind(("first_segments", first_segments))
        .bind(("keys", keys))
        .await?;
    if let Some(error) = first_error(&mut response) {
        return Err(error);
    }
    let existing: Vec<String> = response.take(0)?;
    let commands: Vec<KeyedCommandRow> = response.take(1)?;
    let commands = commands
        .into_iter()
        .map(|c| (c.key, CommandRow::new(c.request_hash, c.result)));
    Ok((existing, commands.collect()))
}

/// The stored versions of `streams`, from their segments (a stream is at the version of its
/// last one); a stream with no segment is at version 0 and left out.
async fn scan_versions(
    db: &Surreal<Any>,
    streams: BTreeSet<String>,
) -> Result<HashMap<String, u64>, StoreError> {
    if streams.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = String::new();
    for index in 0..streams.len() {
        query.push_str(&format!(
            "SELECT VALUE version FROM segment:[$s{index}, 0]..=[$s{index}, {MAX_ID}];\n"
        ));
    }
    let mut pending = db.query(query);
    for (index, stream) in streams.iter().enumerate() {
        pending = pending.bind((format!("s{index}"), stream.clone()));
    }
    let mut response = pending.await?;
    if let Some(error) = first_error(&mut response) {
        return Err(error);
    }
    let mut versions = HashMap::new();
    for (index, stream) in streams.into_iter().enumerate() {
        let segments: Vec<u64> = response.take(index)?;
        if let Some(version) = segments.into_iter().max() {
            versions.insert(stream, version);
        }
    }
    Ok(versions)
}
