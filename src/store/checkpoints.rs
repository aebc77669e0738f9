//! A small key/value table for projection checkpoints and settings.
//!
//! Each key is the record `meta:⟨key⟩` holding its value as JSON text, for the same reason
//! event payloads are text: the store never queries inside them.

use surrealdb::types::RecordId;

use super::{Store, StoreError};

impl Store {
    /// Stores `value` under `key`, replacing what was there.
    pub async fn put_meta(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        let id = RecordId::new("meta", key);
        let mut response = self
            .db
            .query("UPSERT $id SET value = $text RETURN NONE")
            .bind(("id", id))
            .bind(("text", value.to_string()))
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
