//! Upgrades a store written by an earlier version of the layout, once, when it is opened.
//!
//! Format 1 found a stream's events through one `stream_version:[stream, version]` record
//! per event. Format 2 keeps those positions in the stream's head (`stream:⟨id⟩.positions`),
//! which saves a record on every event appended. Opening a format-1 store copies each
//! stream's positions into its head and removes the old table, in one transaction: a store is
//! either wholly migrated or untouched, and a crash midway leaves the old format to migrate
//! again on the next start.

use surrealdb::Surreal;
use surrealdb::engine::any::Any;

use super::{StoreError, first_error};

/// Whether the store still has the format-1 table.
const HAS_OLD_TABLE: &str = "RETURN (INFO FOR DB).tables.stream_version != NONE;";

/// Copies every stream's positions, in version order, into its head and drops the old table.
/// The range `[stream, 1]..=[stream, MAX]` lists a stream's versions in order because integer
/// array members compare numerically.
const MIGRATE: &str = "BEGIN TRANSACTION;
    FOR $head IN (SELECT VALUE id FROM stream) {
        LET $stream = record::id($head);
        UPDATE $head SET positions = (
            SELECT VALUE position FROM stream_version:[$stream, 1]..=[$stream, 9223372036854775807]
        ) RETURN NONE;
    };
    REMOVE TABLE stream_version;
    COMMIT TRANSACTION;";

/// Migrates the store to the current format if it is older; does nothing otherwise.
pub(super) async fn run(db: &Surreal<Any>) -> Result<(), StoreError> {
    let mut response = db.query(HAS_OLD_TABLE).await?;
    let old: Option<bool> = response.take(0)?;
    if old != Some(true) {
        return Ok(());
    }
    tracing::info!("migrating the store: stream positions move into the stream heads");
    let started = std::time::Instant::now();
    let mut response = db.query(MIGRATE).await?;
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
    use crate::store::Store;

    /// Writes a stream the way format 1 did, opens the store, and reads it back.
    #[tokio::test]
    async fn a_format_one_store_is_migrated_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("surrealkv://{}", dir.path().join("old.db").display());
        let old = Store::connect(&url).await.unwrap();
        let event = |position: u64, version: u64| {
            serde_json::json!({"position": position, "stream": "W1", "version": version,
                "kind": "raised", "data": {}, "actor": "a",
                "at": "2026-01-05T00:00:00Z", "command_id": "c"})
            .to_string()
        };
        old.db
            .query(
                "DEFINE TABLE stream_version SCHEMALESS;
                 CREATE event:1 SET e = $e1; CREATE event:2 SET e = $e2; CREATE event:3 SET e = $e3;
                 CREATE stream:W1 SET version = 2; CREATE stream:W2 SET version = 1;
                 CREATE stream_version:['W1', 1] SET position = 1;
                 CREATE stream_version:['W2', 1] SET position = 2;
                 CREATE stream_version:['W1', 2] SET position = 3;
                 UPSERT counter:position SET n = 3;",
            )
            .bind(("e1", event(1, 1)))
            .bind(("e2", event(2, 1).replace("W1", "W2")))
            .bind(("e3", event(3, 2)))
            .await
            .unwrap()
            .check()
            .unwrap();
        old.shutdown().await;
        drop(old);

        let store = Store::connect(&url).await.unwrap();
        let positions: Vec<u64> = store
            .read_stream("W1")
            .await
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect();
        assert_eq!(positions, vec![1, 3]);
        assert_eq!(store.read_stream("W2").await.unwrap().len(), 1);
        let mut response = store.db.query(HAS_OLD_TABLE).await.unwrap();
        assert_eq!(response.take::<Option<bool>>(0).unwrap(), Some(false));
    }
}
