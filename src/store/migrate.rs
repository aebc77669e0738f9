//! Upgrades a store written by an earlier version of the layout, once, when it is opened.
//!
//! - Format 1 found a stream's events through one `stream_version:[stream, version]` record
//!   per event.
//! - Format 2 kept a head per stream (`stream:⟨id⟩` with its version, the positions of its
//!   events and the pages holding them), updated by every commit that moved the stream, and one
//!   timer per stream (`timer:⟨stream⟩`), overwritten in place.
//! - Format 3 (today's) only adds records: a segment `segment:[stream, from]` per commit and
//!   stream, and a timer record `timer:[stream, version]` per timer change.
//!
//! An older store is brought to format 3 in one transaction: a store is either wholly migrated
//! or untouched, and a crash midway leaves the old format to migrate again on the next start.
//! Which format a store is in shows in its tables: format 1 has `stream_version`, format 2 has
//! `stream`, and format 3 has neither.

use surrealdb::Surreal;
use surrealdb::engine::any::Any;

use super::{StoreError, first_error};

/// Which of the older formats' tables the store still has.
const OLD_TABLES: &str = "LET $tables = (INFO FOR DB).tables;
    RETURN [$tables.stream_version != NONE, $tables.stream != NONE];";

/// Format 1 to 2: copies every stream's positions, in version order, into its head and drops
/// the old table. The range `[stream, 1]..=[stream, MAX]` lists a stream's versions in order
/// because integer array members compare numerically.
const ONE_TO_TWO: &str = "
    FOR $head IN (SELECT VALUE id FROM stream) {
        LET $stream = record::id($head);
        UPDATE $head SET positions = (
            SELECT VALUE position FROM stream_version:[$stream, 1]..=[$stream, 9223372036854775807]
        ) RETURN NONE;
    };
    REMOVE TABLE stream_version;";

/// Format 2 to 3: each head becomes its stream's first and only segment (from version 0 to
/// the head's version, naming every page that holds one of its events), and each timer is
/// re-keyed by the stream version that set it. A page list absent from a head means the
/// format-1 layout, where each position is its own record.
const TWO_TO_THREE: &str = "
    LET $heads = SELECT record::id(id) AS stream, version, pages ?? positions ?? [] AS pages
        FROM stream;
    INSERT INTO segment $heads.map(|$h| {
        id: type::record('segment', [$h.stream, 0]),
        version: $h.version,
        pages: array::distinct($h.pages)
    }) RETURN NONE;
    LET $timers = SELECT stream, kind, due, version FROM timer;
    DELETE timer RETURN NONE;
    INSERT INTO timer $timers.map(|$t| {
        id: type::record('timer', [$t.stream, $t.version]),
        stream: $t.stream, kind: $t.kind, due: $t.due, version: $t.version, cleared: false
    }) RETURN NONE;
    REMOVE TABLE stream;";

/// Migrates the store to the current format if it is older; does nothing otherwise.
pub(super) async fn run(db: &Surreal<Any>) -> Result<(), StoreError> {
    // The projection's checkpoint was one record before it came in chunks
    // (`projection_checkpoints.rs`); at a million warnings that record is half a gigabyte
    // nothing reads any more.
    let mut response = db
        .query("DELETE meta:⟨projection.warnings⟩ RETURN NONE")
        .await?;
    if let Some(error) = first_error(&mut response) {
        return Err(error);
    }
    let mut response = db.query(OLD_TABLES).await?;
    let old: Vec<bool> = response.take(1)?;
    let (format_one, format_two) = (old.first() == Some(&true), old.get(1) == Some(&true));
    if !format_one && !format_two {
        return Ok(());
    }
    tracing::info!(
        from = if format_one { 1 } else { 2 },
        "migrating the store to format 3: stream segments and timer records"
    );
    let started = std::time::Instant::now();
    let mut query = String::from("BEGIN TRANSACTION;");
    if format_one {
        query.push_str(ONE_TO_TWO);
    }
    query.push_str(TWO_TO_THREE);
    query.push_str("\nCOMMIT TRANSACTION;");
    let mut response = db.query(query).await?;
    if let Some(error) = first_error(&mut response) {
        return Err(StoreError::Database(format!(
            "the store could not be migrated to the current format (nothing was changed): {error}"
        )));
    }
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "store migrated");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AppendRequest, NewEvent, Store, StoreError, TimerChange};
    use chrono::{TimeZone, Utc};

    fn event(position: u64, stream: &str, version: u64) -> String {
        serde_json::json!({"position": position, "stream": stream, "version": version,
            "kind": "raised", "data": {}, "actor": "a",
            "at": "2026-01-05T00:00:00Z", "command_id": "c"})
        .to_string()
    }

    /// Writes `statements` into a fresh on-disk store, closes it and opens it again.
    async fn reopened_after(dir: &tempfile::TempDir, statements: &str) -> Store {
        let url = format!("surrealkv://{}", dir.path().join("old.db").display());
        let old = Store::connect(&url).await.unwrap();
        old.db
            .query(statements)
            .bind(("e1", event(1, "W1", 1)))
            .bind(("e2", event(2, "W2", 1)))
            .bind(("e3", event(3, "W1", 2)))
            .bind((
                "page",
                format!("[{},{}]", event(1, "W1", 1), event(2, "W2", 1)),
            ))
            .await
            .unwrap()
            .check()
            .unwrap();
        old.shutdown().await;
        drop(old);
        Store::connect(&url).await.unwrap()
    }

    async fn positions(store: &Store, stream: &str) -> Vec<u64> {
        let events = store.read_stream(stream).await.unwrap();
        events.iter().map(|e| e.position).collect()
    }

    async fn old_tables(store: &Store) -> Vec<bool> {
        let mut response = store.db.query(OLD_TABLES).await.unwrap();
        response.take::<Vec<bool>>(1).unwrap()
    }

    fn append(stream: &str, expected_version: u64) -> AppendRequest {
        AppendRequest {
            stream: stream.into(),
            expected_version,
            events: vec![NewEvent {
                kind: "noted".into(),
                data: serde_json::json!({}),
                actor: "a".into(),
                at: Utc::now(),
                command_id: "c2".into(),
            }],
            idempotency: None,
            timer: TimerChange::Keep,
        }
    }

    #[tokio::test]
    async fn a_format_one_store_is_migrated_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = reopened_after(
            &dir,
            "DEFINE TABLE stream_version SCHEMALESS;
             CREATE event:1 SET e = $e1; CREATE event:2 SET e = $e2; CREATE event:3 SET e = $e3;
             CREATE stream:W1 SET version = 2; CREATE stream:W2 SET version = 1;
             CREATE stream_version:['W1', 1] SET position = 1;
             CREATE stream_version:['W2', 1] SET position = 2;
             CREATE stream_version:['W1', 2] SET position = 3;
             UPSERT counter:position SET n = 3;",
        )
        .await;
        assert_eq!(positions(&store, "W1").await, vec![1, 3]);
        assert_eq!(positions(&store, "W2").await, vec![2]);
        assert_eq!(old_tables(&store).await, vec![false, false]);
        let outcome = store.append(append("W1", 2)).await.unwrap();
        assert!(matches!(
            outcome,
            crate::store::AppendOutcome::Appended { version: 3, .. }
        ));
    }

    #[tokio::test]
    async fn a_format_two_store_is_migrated_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = reopened_after(
            &dir,
            "CREATE event:2 SET e = $page; CREATE event:3 SET e = $e3;
             CREATE stream:W1 SET version = 2, positions = [1, 3], pages = [2, 3];
             CREATE stream:W2 SET version = 1, positions = [2], pages = [2];
             CREATE timer:W1 SET stream = 'W1', kind = 'deadline',
                 due = d'2026-01-10T00:00:00Z', version = 2;
             UPSERT counter:position SET n = 3;",
        )
        .await;
        assert_eq!(positions(&store, "W1").await, vec![1, 3]);
        assert_eq!(positions(&store, "W2").await, vec![2]);
        assert_eq!(old_tables(&store).await, vec![false, false]);
        let due = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
        let timers = store.due_timers(due, 10).await.unwrap();
        assert_eq!(timers.len(), 1);
        assert_eq!((timers[0].stream.as_str(), timers[0].version), ("W1", 2));
        // The migrated store carries on from the stored versions.
        assert!(matches!(
            store.append(append("W2", 0)).await,
            Err(StoreError::Conflict { actual: 1, .. })
        ));
        store.append(append("W2", 1)).await.unwrap();
        assert_eq!(positions(&store, "W2").await, vec![2, 4]);
    }
}
