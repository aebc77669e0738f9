//! The stored checkpoints of the warnings projection (see `projections::checkpoint`).
//!
//! A checkpoint is a generation of chunk records, `checkpoint_chunk:[position, nonce, n]`,
//! each one JSON text compressed (LZ4, in base64), and then one marker `checkpoint:[position, nonce]` naming how many
//! chunks it has and which checkpoint it adds to. The marker is written last, so a
//! checkpoint interrupted half-way has no marker and is never read; its chunks are removed
//! with the older generations. Records are only added, never changed in place (what
//! SurrealDB does cheaply), and the nonce keeps two instances checkpointing at one
//! position apart.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
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
    /// Writes chunk `index` of the checkpoint `(position, nonce)`: `stored` is what
    /// [`encode_chunk`] made of its JSON text.
    pub async fn write_checkpoint_chunk(
        &self,
        position: u64,
        nonce: u64,
        index: u64,
        stored: String,
    ) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("UPSERT $id SET c = $text RETURN NONE")
            .bind(("id", chunk_id(position, nonce, index)))
            .bind(("text", stored))
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

    /// Chunk `index` of a checkpoint as stored (see [`decode_chunk`]); an error if it is
    /// missing.
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

/// A chunk's JSON text as it is stored: compressed with LZ4 and written in base64.
///
/// The embedded store keeps every value it reads in its block cache, which SurrealKV sizes
/// at half the machine's memory and the SDK cannot change; a start reads every chunk, so
/// what the chunks weigh stays in the server's memory. At a million warnings the chunks
/// were 770 MB of JSON held after a start; compressed they are about a quarter of that.
pub fn encode_chunk(json: &str) -> String {
    STANDARD.encode(lz4_flex::compress_prepend_size(json.as_bytes()))
}

/// The JSON text of a chunk stored by [`encode_chunk`]. Chunks are at most a few
/// megabytes; a stored length beyond [`MAX_CHUNK_BYTES`] is corruption, not a chunk.
pub fn decode_chunk(stored: &str) -> Result<String, String> {
    let compressed = STANDARD
        .decode(stored)
        .map_err(|e| format!("not base64: {e}"))?;
    let declared = compressed
        .get(..4)
        .map(|len| u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize)
        .ok_or("shorter than its length")?;
    if declared > MAX_CHUNK_BYTES {
        return Err(format!(
            "declares {declared} bytes, more than a chunk holds"
        ));
    }
    let json =
        lz4_flex::decompress_size_prepended(&compressed).map_err(|e| format!("not LZ4: {e}"))?;
    String::from_utf8(json).map_err(|e| format!("not UTF-8: {e}"))
}

/// The most a chunk's JSON may be: 2,000 warnings of about a kilobyte each, with room.
pub const MAX_CHUNK_BYTES: usize = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_reads_back_as_written_and_smaller() {
        let json = serde_json::json!({"warnings": vec![
            serde_json::json!({"id": "W20261207-ABCDEF", "title": "低保对象名下有车辆", "step": "raised"});
            500
        ]})
        .to_string();
        let stored = encode_chunk(&json);
        assert!(
            stored.len() * 4 < json.len(),
            "{} of {}",
            stored.len(),
            json.len()
        );
        assert_eq!(decode_chunk(&stored).unwrap(), json);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic_or_a_huge_allocation() {
        let huge_length = STANDARD.encode([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
        for garbage in [
            "",
            "not base64!",
            "AAAA",
            &huge_length,
            "{\"warnings\": []}",
        ] {
            assert!(decode_chunk(garbage).is_err(), "{garbage}");
        }
    }
}
