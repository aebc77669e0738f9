//! Checkpoints of the projection: taken incrementally while the server runs and when it
//! stops, and read back at start so that only the events after the newest one are folded.
//!
//! Each checkpoint stores the warnings that changed since this instance's previous one (its
//! *base*); when the warnings stored since the last full checkpoint reach half of all
//! warnings, the next one stores every warning and the older ones are removed. Saving thus
//! costs what changed, and a start reads at most one and a half copies of the warnings. With
//! several instances on one store each keeps its own chain; any chain that reaches back to
//! the newest full checkpoint is complete, because every instance folds every event.

use futures::StreamExt;
use rand::Rng;

use super::{Engine, EngineError};
use crate::projections::{CHECKPOINT_FORMAT, CheckpointChunk, CheckpointLoader, Projection};
use crate::store::{CheckpointMarker, Store, StoreError};
use crate::store::{decode_chunk, encode_chunk};

/// Warnings per stored chunk: about a megabyte of JSON, serialized under a short read lock.
const CHUNK_WARNINGS: usize = 2_000;
/// Chunks or event pages read at once while starting (the embedded store decodes on every
/// core while the pages already read are folded in order).
const READ_AHEAD: usize = 4;
/// Events per page read while folding the log.
const EVENT_PAGE: u64 = 10_000;

/// What this instance knows of its own checkpoints.
#[derive(Debug, Default)]
pub(super) struct CheckpointLog {
    /// The position of the checkpoint the next one adds to (the one this instance last
    /// wrote or started from); `None` until there is one, so the first one is full.
    base: Option<u64>,
    /// Warnings stored by incremental checkpoints since the last full one.
    rows_since_full: u64,
}

/// Which stored checkpoints a start reads: the newest full one, then every incremental
/// one whose chain reaches back to it, in position order.
#[derive(Debug, PartialEq)]
struct RestorePlan {
    markers: Vec<CheckpointMarker>,
    position: u64,
    rows_since_full: u64,
}

impl RestorePlan {
    fn choose(markers: Vec<CheckpointMarker>) -> Option<RestorePlan> {
        let mut current: Vec<CheckpointMarker> = markers
            .into_iter()
            .filter(|m| m.format == CHECKPOINT_FORMAT)
            .collect();
        current.sort_by_key(|m| (m.position, m.nonce));
        let full = current.iter().rposition(|m| m.full)?;
        let start = current[full].position;
        let mut chosen = vec![current[full].clone()];
        let mut rows_since_full = 0;
        for marker in current.into_iter().skip(full + 1) {
            let reaches = marker.base <= start || chosen.iter().any(|c| c.position == marker.base);
            if !marker.full && reaches {
                rows_since_full += marker.rows;
                chosen.push(marker);
            }
        }
        let position = chosen.iter().map(|m| m.position).max().unwrap_or(start);
        Some(RestorePlan {
            markers: chosen,
            position,
            rows_since_full,
        })
    }
}

impl Engine {
    /// Stores a checkpoint of what changed since the last one (or of everything, when due),
    /// so the next start folds only newer events. Returns the position it stands at.
    pub async fn save_checkpoint(&self) -> Result<u64, EngineError> {
        let mut log = self.checkpoints.lock().await;
        let (position, taken, full) = {
            let mut projection = self.projection.write().expect("projection lock poisoned");
            let changed = projection.take_changed();
            let live = projection.warnings.len() as u64;
            let due = 2 * (log.rows_since_full + changed.len() as u64) > live;
            (projection.position, changed, log.base.is_none() || due)
        };
        // Until the checkpoint is stored, what it holds stays owed: if writing fails or this
        // future is dropped half-way (the server stopping), the ids are marked again.
        let owed = Owed {
            engine: self,
            ids: Some(taken),
        };
        if !full && owed.ids().is_empty() {
            return Ok(position);
        }
        let ids = if full {
            self.read(|p| p.warning_ids())
        } else {
            owed.ids().to_vec()
        };
        let marker = self
            .write_checkpoint(position, &ids, full, log.base)
            .await?;
        owed.settle();
        if full {
            log.rows_since_full = 0;
            self.store.remove_checkpoints_before(position).await?;
        } else {
            log.rows_since_full += marker.rows;
        }
        log.base = Some(position);
        Ok(position)
    }

    async fn write_checkpoint(
        &self,
        position: u64,
        ids: &[String],
        full: bool,
        base: Option<u64>,
    ) -> Result<CheckpointMarker, StoreError> {
        let nonce = rand::thread_rng().gen_range(0..i64::MAX as u64);
        let mut rows = 0;
        let mut chunks = 0;
        for part in ids.chunks(CHUNK_WARNINGS) {
            let text = self.read(|p| {
                let chunk = p.checkpoint_chunk(part);
                rows += chunk.warnings.len() as u64;
                serde_json::to_string(&chunk)
            });
            let text = text.map_err(|e| StoreError::Database(format!("checkpoint: {e}")))?;
            let stored = tokio::task::spawn_blocking(move || encode_chunk(&text))
                .await
                .map_err(|e| StoreError::Database(format!("compressing a checkpoint: {e}")))?;
            self.store
                .write_checkpoint_chunk(position, nonce, chunks, stored)
                .await?;
            chunks += 1;
        }
        let marker = CheckpointMarker {
            position,
            nonce,
            base: if full { position } else { base.unwrap_or(0) },
            full,
            chunks,
            rows,
            format: CHECKPOINT_FORMAT,
        };
        self.store.write_checkpoint_marker(&marker).await?;
        Ok(marker)
    }
}

/// Warnings taken from the projection's changed set for a checkpoint not yet stored.
struct Owed<'a> {
    engine: &'a Engine,
    ids: Option<Vec<String>>,
}

impl Owed<'_> {
    fn ids(&self) -> &[String] {
        self.ids.as_deref().unwrap_or_default()
    }

    /// The checkpoint holding them is stored.
    fn settle(mut self) {
        self.ids = None;
    }
}

impl Drop for Owed<'_> {
    fn drop(&mut self) {
        if let Some(ids) = self.ids.take()
            && let Ok(mut projection) = self.engine.projection.write()
        {
            projection.mark_changed(ids);
        }
    }
}

/// The projection as the log now stands, and what this instance's checkpoints start from:
/// the stored checkpoints, then the events after them. The bulk of the log is folded before
/// anyone can watch, reading pages in parallel.
pub async fn current_projection(store: &Store) -> Result<Projection, EngineError> {
    Ok(restore(store).await?.0)
}

pub(super) async fn restore(store: &Store) -> Result<(Projection, CheckpointLog), EngineError> {
    let (mut projection, log) = match restore_checkpoints(store).await {
        Ok(Some(restored)) => restored,
        Ok(None) => (Projection::default(), CheckpointLog::default()),
        Err(error) => {
            // A bad checkpoint costs time, never correctness.
            tracing::warn!(%error, "checkpoint unreadable; replaying the whole log");
            (Projection::default(), CheckpointLog::default())
        }
    };
    fold_log(store, &mut projection).await?;
    release_freed_memory();
    Ok((projection, log))
}

async fn restore_checkpoints(
    store: &Store,
) -> Result<Option<(Projection, CheckpointLog)>, StoreError> {
    let Some(plan) = RestorePlan::choose(store.checkpoint_markers().await?) else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    // Each chunk is read and then parsed on the blocking pool, several at once, so parsing
    // (the larger part) uses every core while the loader takes chunks in order.
    let chunks = plan.markers.iter().flat_map(|m| {
        (0..m.chunks).map(move |index| async move {
            let stored = store
                .read_checkpoint_chunk(m.position, m.nonce, index)
                .await?;
            let parse = move || {
                let text = decode_chunk(&stored)?;
                serde_json::from_str::<CheckpointChunk>(&text).map_err(|e| e.to_string())
            };
            tokio::task::spawn_blocking(parse)
                .await
                .map_err(|e| StoreError::Database(format!("parsing a checkpoint chunk: {e}")))?
                .map_err(|e| StoreError::Database(format!("a checkpoint chunk is corrupt: {e}")))
        })
    });
    let mut chunks = futures::stream::iter(chunks).buffered(READ_AHEAD);
    let mut loader = CheckpointLoader::default();
    while let Some(chunk) = chunks.next().await {
        loader.add(chunk?);
    }
    let loaded_s = started.elapsed().as_secs_f64();
    let entered = std::time::Instant::now();
    let projection = loader.finish(plan.position);
    tracing::info!(
        position = plan.position,
        warnings = projection.warnings.len(),
        checkpoints = plan.markers.len(),
        load_s = loaded_s,
        index_s = entered.elapsed().as_secs_f64(),
        total_s = started.elapsed().as_secs_f64(),
        "projection restored from checkpoints"
    );
    let log = CheckpointLog {
        base: Some(plan.position),
        rows_since_full: plan.rows_since_full,
    };
    Ok(Some((projection, log)))
}

/// Hands the memory a start used and freed (the checkpoint's text, parsed chunks, the lists
/// the indexes were built from) back to the system. glibc keeps freed memory in its heap
/// for reuse, and a start's transient half a gigabyte would otherwise stay resident.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Folds every event after the projection's position up to the current head. Returns the
/// number of events folded. Events committed meanwhile are left for the next catch-up.
pub async fn fold_log(store: &Store, projection: &mut Projection) -> Result<u64, StoreError> {
    let start = projection.position;
    let head = store.head_position().await?;
    let pages = (start..head).step_by(EVENT_PAGE as usize).map(|after| {
        let limit = EVENT_PAGE.min(head - after) as usize;
        async move { store.read_all(after, limit).await }
    });
    let mut pages = futures::stream::iter(pages).buffered(READ_AHEAD);
    while let Some(page) = pages.next().await {
        projection.offer(page?);
    }
    Ok(projection.position - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(position: u64, base: u64, full: bool, rows: u64) -> CheckpointMarker {
        CheckpointMarker {
            position,
            nonce: position,
            base,
            full,
            chunks: 1,
            rows,
            format: CHECKPOINT_FORMAT,
        }
    }

    fn positions(plan: &RestorePlan) -> Vec<u64> {
        plan.markers.iter().map(|m| m.position).collect()
    }

    #[test]
    fn a_start_reads_the_newest_full_checkpoint_and_the_chains_that_reach_it() {
        let plan = RestorePlan::choose(vec![
            marker(5, 5, true, 10),
            marker(10, 10, true, 12),
            // Another instance's chain from before the full one still reaches it.
            marker(12, 7, false, 3),
            marker(15, 10, false, 4),
            marker(20, 15, false, 2),
            // Its base was never completed: a chain with a hole.
            marker(30, 25, false, 1),
        ])
        .unwrap();
        assert_eq!(positions(&plan), [10, 12, 15, 20]);
        assert_eq!((plan.position, plan.rows_since_full), (20, 9));
    }

    #[test]
    fn without_a_full_checkpoint_of_this_format_the_log_is_folded_whole() {
        let mut old = marker(10, 10, true, 3);
        old.format = CHECKPOINT_FORMAT - 1;
        assert_eq!(
            RestorePlan::choose(vec![old, marker(12, 10, false, 1)]),
            None
        );
        assert_eq!(RestorePlan::choose(Vec::new()), None);
    }
}
