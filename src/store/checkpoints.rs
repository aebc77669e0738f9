//! A small key/value table for projection checkpoints and settings.
//!
//! Each key is the record `meta:⟨key⟩` holding its value as JSON text, for the same reason
//! event payloads are text: the store never queries inside them.

use surrealdb::types::RecordId;

use super::{Store, StoreError};

impl Store {
    /// Stores `value` under `key`, replacing what was there.
    ///
    /// Instances sharing a server write the same keys (each saves its projection checkpoint
    /// when it stops), so a write can collide with another's; it is tried again after a short
    /// random pause, and the last writer wins, which is what a checkpoint or setting wants.
    pub async fn put_meta(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        let text = value.to_string();
        let mut attempt = 1;
        loop {
            match self.upsert_meta(key, &text).await {
                Err(error) if attempt < 4 => {
                    tracing::debug!(%error, key, attempt, "retrying a meta write");
                    super::pause_before_retry(attempt, std::time::Duration::from_millis(10)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn upsert_meta(&self, key: &str, text: &str) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("UPSERT $id SET value = $text RETURN NONE")
            .bind(("id", RecordId::new("meta", key)))
            .bind(("text", text.to_string()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    pub async fn get_meta(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let id = RecordId::new("meta", key);
        let mut response = self
            .db
            .query("SELECT VALUE value FROM ONLY $id")
            .bind(("id", id))
            .await?;
        let text: Option<String> = response.take(0)?;
        text.map(|text| {
            serde_json::from_str(&text).map_err(|error| {
                StoreError::Database(format!("meta {key} holds corrupt JSON: {error}"))
            })
        })
        .transpose()
    }
}
