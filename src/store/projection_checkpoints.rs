//! The stored checkpoints of the warnings projection (see `projections::checkpoint`).
//!
//! A checkpoint is a generation of chunk records, `checkpoint_chunk:[position, nonce, n]`,
//! each one JSON text, and then one marker `checkpoint:[position, nonce]` naming how many
//! chunks it has and which checkpoint it adds to. The marker is written last, so a
//! checkpoint interrupted half-way has no marker and is never read; its chunks are removed
//! with the older generations. Records are only added, never changed in place (what
//! SurrealDB does cheaply), and the nonce keeps two instances checkpointing at one
//! position apart.

use surrealdb::types::{RecordId, SurrealValue};

use super::{Store, StoreError, first_error};

/// A checkpoint's marker: which generation, what it holds and what it adds to.
#[derive(Clone, Debug, PartialEq, Eq, SurrealValue)]
pub struct CheckpointMarker {
    /// The projection's position when the checkpoint was taken: its warnings stand at
    /// least there.
    pub position: u64,
    pub nonce: u64,
    /// The position of the checkpoint this one adds to; equal to `position` for a full one.
    pub base: u64,
    /// Whether it holds every warning (and needs no other checkpoint).
    pub full: bool,
    pub chunks: u64,
    /// The warnings it holds.
    pub rows: u64,
    pub format: u32,
}

fn chunk_id(position: u64, nonce: u64, index: u64) -> RecordId {
    let key = surrealdb::types::Array::from(vec![
        (position as i64).into_value(),
        (nonce as i64).into_value(),
        (index as i64).into_value(),
    ]);
    RecordId::new("checkpoint_chunk", key)
}

fn marker_id(position: u64, nonce: u64) -> RecordId {
    let key = surrealdb::types::Array::from(vec![
        (position as i64).into_value(),
        (nonce as i64).into_value(),
    ]);
    RecordId::new("checkpoint", key)
}

impl Store {
    /// Writes chunk `index` of the checkpoint `(position, nonce)`.
    pub async fn write_checkpoint_chunk(
        &self,
        position: u64,
        nonce: u64,
        index: u64,
        text: String,
    ) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("UPSERT $id SET c = $text RETURN NONE")
            .bind(("id", chunk_id(position, nonce, index)))
            .bind(("text", text))
            .await?;
        first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Writes a checkpoint's marker, once every chunk of it is stored.
    pub async fn write_checkpoint_marker(
        &self,
        marker: &CheckpointMarker,
    ) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("UPSERT $id CONTENT $marker RETURN NONE")
            .bind(("id", marker_id(marker.position, marker.nonce)))
            .bind(("marker", marker.clone()))
            .await?;
        first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Every complete checkpoint's marker, oldest first.
    pub async fn checkpoint_markers(&self) -> Result<Vec<CheckpointMarker>, StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT position, nonce, base, full, chunks, rows, format FROM checkpoint
                 ORDER BY position, nonce",
            )
            .await?;
        if let Some(error) = first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }

    /// The text of chunk `index` of a checkpoint; an error if it is missing.
    pub async fn read_checkpoint_chunk(
        &self,
        position: u64,
        nonce: u64,
        index: u64,
    ) -> Result<String, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE c FROM ONLY $id")
            .bind(("id", chunk_id(position, nonce, index)))
            .await?;
        let text: Option<String> = response.take(0)?;
        text.ok_or_else(|| {
            StoreError::Database(format!(
                "checkpoint {position}/{nonce} is missing its chunk {index}"
            ))
        })
    }

    /// Removes every checkpoint taken before `position`, complete or not: a full
    /// checkpoint at `position` makes them useless.
    pub async fn remove_checkpoints_before(&self, position: u64) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query(
                "DELETE checkpoint_chunk:[0, 0, 0]..[$position, 0, 0] RETURN NONE;
                 DELETE checkpoint:[0, 0]..[$position, 0] RETURN NONE;",
            )
            .bind(("position", position as i64))
            .await?;
        first_error(&mut response).map_or(Ok(()), Err)
    }
}
