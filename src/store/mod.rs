//! The event store: the only module in the crate that speaks SurrealQL.
//!
//! Everything the server remembers lives here: append-only event streams with optimistic
//! concurrency, idempotency records, one timer per stream, users, login tokens and a small
//! key/value table for projection checkpoints and settings. Domain payloads are opaque
//! `serde_json::Value`s, stored as JSON strings because SurrealDB handles one string field far
//! more cheaply than a nested object it would have to walk and re-encode on every write.
//!
//! # Layout in the database (namespace `qingfeng`, database `main` unless `?db=` says otherwise)
//!
//! | record                          | holds                                                     |
//! |---------------------------------|-----------------------------------------------------------|
//! | `event:⟨position⟩` (integer id) | a page of consecutive events ending at that position (one commit's, at most 4,000); `read_all` is a range scan over record ids |
//! | `segment:[stream, from]`        | one commit's part of a stream: the version it left the stream at and the pages holding its events |
//! | `counter:position`              | the last position written, checked and set by every append |
//! | `command:⟨key⟩`                 | an idempotency record: request hash and first result       |
//! | `timer:[stream, version]`       | a timer set (or cleared) by the append that left the stream at `version`; the newest is the stream's, indexed on `due` |
//! | `user:⟨name⟩`, `token:⟨hash⟩`, `meta:⟨key⟩` | users, login tokens, settings                  |
//! | `checkpoint:[position, nonce]`, `checkpoint_chunk:[position, nonce, n]` | the projection's checkpoints: a marker and its chunks of warnings as JSON text (`projection_checkpoints.rs`) |
//! | `login_guard:⟨name⟩`             | an account's recent wrong passwords and lock               |
//! | `attachment:⟨id⟩`               | a photo of a warning: metadata and base64 bytes            |
//! | `ds_⟨kind⟩:⟨bucket⟩`            | imported dataset rows hashed by key into 1024 buckets (`datasets.rs`) |
//! | `audit:⟨seq⟩`, `counter:audit`  | the audit log's hash-chained records and its head (`audit.rs`), never changed |
//!
//! Appends go through one writer task ([`writer`]) that commits many requests in one
//! SurrealDB transaction, so that one fsync covers a whole batch (group commit).

mod attachments;
mod audit;
// The baselines benchmarks compare against: SurrealQL, so here, but only built for the
// benchmarks (the `bench` feature) and their tests.
#[cfg(any(test, feature = "bench"))]
mod baseline;
mod batch;
#[cfg(any(test, feature = "bench"))]
pub mod bench_baseline;
mod checkpoints;
mod dataset_edit;
mod datasets;
mod events;
mod migrate;
pub mod outbox;
mod premises;
mod projection_checkpoints;
mod publications;
mod region_tree;
mod reports;
mod timers;
mod users;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_audit;
#[cfg(test)]
mod tests_durability;
#[cfg(test)]
mod tests_pages;
#[cfg(test)]
mod tests_timers;

use std::sync::Arc;
use std::time::Duration;

use surrealdb::Surreal;
use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::Root;
use tokio::sync::{mpsc, oneshot};

pub use attachments::{Attachment, AttachmentInfo};
pub use audit::{AuditPage, AuditTamper, MAX_AUDIT_PAGE};
pub use datasets::RowBucket;
pub use events::{AppendOutcome, AppendRequest, Idempotency, NewEvent, RecordedEvent};
pub use projection_checkpoints::{CheckpointMarker, decode_chunk, encode_chunk};
pub use publications::PublicationRecord;
pub use region_tree::StoredRegionTree;
pub use reports::ReportRecord;
pub use timers::{Timer, TimerChange};
pub use users::{LockoutRecord, TokenRecord, UserRecord};

/// The namespace every database of this application lives in.
const NAMESPACE: &str = "qingfeng";
/// The database used when the URL does not name one with `?db=`.
const DEFAULT_DATABASE: &str = "main";
/// How many queued appends the channel to the writer holds before `append` waits: the
/// back-pressure that keeps a burst from growing memory without bound.
const WRITER_QUEUE: usize = 16_384;

/// A handle on the store. Cheap to clone: every clone shares one connection and one writer.
#[derive(Clone)]
pub struct Store {
    db: Surreal<Any>,
    writer: mpsc::Sender<writer::Message>,
    /// Whether other processes may append to the same database (a `ws://` server).
    shared: bool,
    /// Audit appends of this process take turns, so they never collide with each other.
    audit_lock: Arc<tokio::sync::Mutex<()>>,
}

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream's current version is not the one the command was decided against.
    #[error("stream {stream} is at version {actual}, expected {expected}")]
    Conflict {
        stream: String,
        expected: u64,
        actual: u64,
    },
    /// The store URL is malformed or names an unsupported engine.
    #[error("bad store url {url}: {reason}")]
    BadUrl { url: String, reason: String },
    /// SurrealDB refused or failed a query; the text is SurrealDB's own message.
    #[error("database error: {0}")]
    Database(String),
    /// The writer task has stopped (the store is shutting down).
    #[error("the store is shut down")]
    Closed,
}

impl StoreError {
    /// Whether another writer's commit refused this one (SurrealDB's optimistic
    /// transactions): trying again, after reading again, can succeed.
    pub fn is_write_conflict(&self) -> bool {
        match self {
            StoreError::Conflict { .. } => true,
            StoreError::Database(message) => message.contains("Transaction conflict"),
            _ => false,
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl From<surrealdb::Error> for StoreError {
    fn from(error: surrealdb::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}

/// A parsed store URL: what to hand to the SDK, and which database to use.
#[derive(Debug, PartialEq)]
struct Target {
    sdk_url: String,
    database: String,
    remote: bool,
}

impl Store {
    /// Opens the store named by `url` and starts its writer task.
    ///
    /// * `mem://` keeps everything in memory (tests).
    /// * `surrealkv://PATH` is the embedded on-disk default. The store always asks for
    ///   `sync=every`, so every commit is fsynced before it is acknowledged; a URL asking for
    ///   any other sync mode is refused rather than silently weakening that promise.
    /// * `ws://HOST:PORT` (or `wss://`) connects to a SurrealDB server as the root user named by
    ///   `QINGFENG_DB_USER`/`QINGFENG_DB_PASS` (default `root`/`root`).
    ///
    /// Any of them may end in `?db=NAME` to use a database other than `main` in the namespace
    /// `qingfeng`. The schema is defined idempotently, so connecting twice is harmless.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let target = parse_url(url)?;
        let db = open(&target).await?;
        db.use_ns(NAMESPACE).use_db(&target.database).await?;
        define_schema(&db).await?;
        migrate::run(&db).await?;
        let (sender, receiver) = mpsc::channel(WRITER_QUEUE);
        tokio::spawn(writer::run(db.clone(), receiver));
        Ok(Store {
            db,
            writer: sender,
            shared: target.remote,
            audit_lock: Arc::default(),
        })
    }

    /// Whether other processes may append to this store: true for a SurrealDB server, false
    /// for the embedded store (which one process holds locked) and for `mem://`.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Stops the writer after it has committed (or refused) every append it had accepted.
    /// Appends made afterwards fail with [`StoreError::Closed`]. Calling it twice is harmless.
    pub async fn shutdown(&self) {
        let (done, finished) = oneshot::channel();
        if self
            .writer
            .send(writer::Message::Shutdown(done))
            .await
            .is_ok()
        {
            // The writer answers once it has drained its queue; if it died instead, the
            // dropped sender ends the wait just as well.
            let _ = finished.await;
        }
    }
}

/// Connects to the engine, retrying briefly when an embedded datastore is still locked.
///
/// The SDK closes an embedded datastore in a background task after the last handle is dropped,
/// so a store reopened on the same path in the same process (a restart in a test, say) can find
/// the lock file still held for a few milliseconds. Another process holding it makes us give up
/// after about two seconds with SurrealDB's own message.
async fn open(target: &Target) -> Result<Surreal<Any>, StoreError> {
    let mut attempts = 0;
    let db = loop {
        match any::connect(target.sdk_url.as_str()).await {
            Ok(db) => break db,
            Err(error) if error.to_string().contains("locked") && attempts < 100 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => return Err(error.into()),
        }
    };
    if target.remote {
        let username = std::env::var("QINGFENG_DB_USER").unwrap_or_else(|_| "root".into());
        let password = std::env::var("QINGFENG_DB_PASS").unwrap_or_else(|_| "root".into());
        db.signin(Root { username, password }).await?;
    }
    Ok(db)
}

/// Splits a store URL into the SDK's URL and our own `db` parameter, enforcing `sync=every`.
fn parse_url(url: &str) -> Result<Target, StoreError> {
    let bad = |reason: &str| StoreError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut database = DEFAULT_DATABASE.to_string();
    let mut passed = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some(("db", name)) if is_plain_name(name) => database = name.to_string(),
            Some(("db", _)) => return Err(bad("the database name must be letters, digits or _")),
            Some(("sync", "every")) => {}
            Some(("sync", _)) => {
                return Err(bad("the store always syncs every commit (sync=every)"));
            }
            _ => passed.push(pair),
        }
    }
    let (scheme, rest) = base
        .split_once("://")
        .ok_or_else(|| bad("expected mem://, surrealkv://PATH or ws://HOST:PORT"))?;
    let (sdk_url, remote) = match scheme {
        "mem" if rest.is_empty() && passed.is_empty() => ("mem://".to_string(), false),
        "mem" => return Err(bad("mem:// takes no path and no parameter but db")),
        "surrealkv" if rest.is_empty() => return Err(bad("surrealkv:// needs a path")),
        "surrealkv" => {
            passed.push("sync=every");
            (format!("surrealkv://{rest}?{}", passed.join("&")), false)
        }
        "ws" | "wss" if rest.is_empty() => return Err(bad("ws:// needs HOST:PORT")),
        "ws" | "wss" if passed.is_empty() => (base.to_string(), true),
        "ws" | "wss" => return Err(bad("ws:// takes no parameter but db")),
        _ => return Err(bad("unsupported engine; use mem://, surrealkv:// or ws://")),
    };
    Ok(Target {
        sdk_url,
        database,
        remote,
    })
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The schema. Tables are schemaless because every field is written by this module alone, and
/// SurrealDB would otherwise check each field of each record on every write. Each table must
/// exist before it is read: SurrealDB 3 reports selecting from a missing table as an error.
const SCHEMA: &str = "
    DEFINE TABLE IF NOT EXISTS event SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS segment SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS counter SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS command SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS timer SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS timer_due ON TABLE timer FIELDS due;
    DEFINE TABLE IF NOT EXISTS user SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS token SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS token_expires ON TABLE token FIELDS expires_at;
    DEFINE TABLE IF NOT EXISTS login_guard SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS meta SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS checkpoint SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS checkpoint_chunk SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS baseline SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS attachment SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS attachment_warning ON TABLE attachment FIELDS warning;
    DEFINE INDEX IF NOT EXISTS attachment_uploader ON TABLE attachment FIELDS uploaded_by, at;
    DEFINE INDEX IF NOT EXISTS command_at ON TABLE command FIELDS at;
    DEFINE TABLE IF NOT EXISTS audit SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS publication SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS region_tree SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS report SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS report_warning ON TABLE report FIELDS warning;
    DEFINE TABLE IF NOT EXISTS delivery SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS delivery_status ON TABLE delivery FIELDS status;
    DEFINE INDEX IF NOT EXISTS delivery_warning ON TABLE delivery FIELDS warning;
    DEFINE TABLE IF NOT EXISTS delivery_claim SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS outbox_cursor SCHEMALESS;
";

/// Defines the schema, retrying a few times because two processes starting together against one
/// server can collide on the definitions themselves.
async fn define_schema(db: &Surreal<Any>) -> Result<(), StoreError> {
    let mut attempt = 0;
    loop {
        let result = match db.query(SCHEMA).await {
            Ok(response) => response.check().map(|_| ()),
            Err(error) => Err(error),
        };
        match result {
            Ok(()) => return Ok(()),
            Err(error) if attempt >= 4 => return Err(error.into()),
            Err(error) => {
                attempt += 1;
                tracing::debug!(%error, attempt, "retrying the schema definition");
            }
        }
    }
}

/// The largest integer a record id holds: the open end of a range of positions or versions.
const MAX_ID: i64 = i64::MAX;

/// The id `table:[stream, n]` of a stream's record numbered `n` (a version). Integer array
/// members compare numerically, so a stream's records sort by `n` and
/// `table:[stream, a]..=[stream, MAX_ID]` ranges over them in order.
fn stream_record_id(table: &str, stream: &str, n: u64) -> surrealdb::types::RecordId {
    use surrealdb::types::SurrealValue;
    let key = surrealdb::types::Array::from(vec![
        stream.to_string().into_value(),
        (n as i64).into_value(),
    ]);
    surrealdb::types::RecordId::new(table, key)
}

/// Waits a random while, up to `step` times `attempt`, before the next attempt of a write
/// that collided with another process's: two that retried at once would likely collide again.
async fn pause_before_retry(attempt: u32, step: Duration) {
    tokio::time::sleep(step.mul_f64(f64::from(attempt) * rand::random::<f64>())).await;
}

/// Returns the most telling error of a multi-statement response, if any statement failed.
///
/// When one statement of a transaction fails, SurrealDB also reports every other statement as
/// "not executed"; those echoes say nothing, so the first error of another kind is preferred.
fn first_error(response: &mut surrealdb::IndexedResults) -> Option<StoreError> {
    let mut errors: Vec<(usize, surrealdb::Error)> = response.take_errors().into_iter().collect();
    errors.sort_by_key(|(index, _)| *index);
    let echo = |error: &surrealdb::Error| {
        error.query_details() == Some(&surrealdb::types::QueryError::NotExecuted)
    };
    let best = errors
        .iter()
        .position(|(_, error)| !echo(error))
        .unwrap_or(0);
    errors
        .into_iter()
        .nth(best)
        .map(|(_, error)| StoreError::from(error))
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn surrealkv_urls_always_sync_every_commit() {
        let target = parse_url("surrealkv:///var/lib/qf?db=test").unwrap();
        assert_eq!(target.sdk_url, "surrealkv:///var/lib/qf?sync=every");
        assert_eq!(target.database, "test");
        let target = parse_url("surrealkv://data/qf?sync=every&versioned=true").unwrap();
        assert_eq!(
            target.sdk_url,
            "surrealkv://data/qf?versioned=true&sync=every"
        );
        assert!(matches!(
            parse_url("surrealkv://data?sync=never"),
            Err(StoreError::BadUrl { .. })
        ));
    }

    #[test]
    fn other_engines_and_bad_urls() {
        assert_eq!(parse_url("mem://").unwrap().sdk_url, "mem://");
        let ws = parse_url("ws://127.0.0.1:8000?db=other").unwrap();
        assert_eq!(
            (ws.sdk_url.as_str(), ws.remote),
            ("ws://127.0.0.1:8000", true)
        );
        for url in [
            "",
            "mem",
            "rocksdb://x",
            "surrealkv://",
            "mem://?db=a-b",
            "ws://",
        ] {
            assert!(
                matches!(parse_url(url), Err(StoreError::BadUrl { .. })),
                "{url}"
            );
        }
    }
}
