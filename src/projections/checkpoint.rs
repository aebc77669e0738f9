//! Checkpoints of the warnings projection, taken incrementally: each checkpoint holds the
//! warnings changed since the one before (or, now and then, every warning), so saving costs
//! what changed and a restart folds only the events after the newest checkpoint. The engine
//! decides when and stores them; this module says what goes in and how they are put back.
//!
//! Counts, the list indexes and the subject index are derived again from the warnings, so a
//! checkpoint cannot disagree with itself. A warning may be stored in several checkpoints;
//! the one with the highest version wins, and events a restored warning already includes
//! are skipped by version when the tail of the log is folded (see `Projection::fold`).

use std::collections::{HashMap, HashSet};

use compact_str::CompactString;

use serde::{Deserialize, Serialize};

use super::warnings::Projection;
use crate::workflow::Warning;

/// Bump when the stored shape of `Warning` changes; older checkpoints are then ignored and
/// the projection is rebuilt from the log. Format 3 split the checkpoint into chunks;
/// format 4 compresses them; format 5 adds each warning's case record and notice marks
/// (an older checkpoint lacks the marks of notices it folded, which number the notices).
pub const CHECKPOINT_FORMAT: u32 = 5;

/// One stored piece of a checkpoint: some warnings as they stood, and the subject index
/// entries that point at them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckpointChunk {
    pub warnings: Vec<Warning>,
    /// `(rule, subject, warning id)`: the newest warning of a rule subject, for each of the
    /// chunk's warnings that is one.
    pub subjects: Vec<(String, String, String)>,
}

/// Which warnings changed since the last checkpoint was taken. Bookkeeping, not state: two
/// projections of the same log are equal whatever their checkpoints were.
#[derive(Clone, Debug, Default)]
pub struct Changed(HashSet<String>);

impl PartialEq for Changed {
    fn eq(&self, _: &Changed) -> bool {
        true
    }
}

impl Changed {
    pub(super) fn mark(&mut self, id: &str) {
        if !self.0.contains(id) {
            self.0.insert(id.to_owned());
        }
    }
}

impl Projection {
    /// The warnings changed since the last call, forgetting them: what the next
    /// incremental checkpoint must hold.
    pub fn take_changed(&mut self) -> Vec<String> {
        std::mem::take(&mut self.changed.0).into_iter().collect()
    }

    /// Marks warnings changed again, after a checkpoint that was to hold them failed.
    pub fn mark_changed(&mut self, ids: impl IntoIterator<Item = String>) {
        self.changed.0.extend(ids);
    }

    /// Every warning's id, for a checkpoint of the whole projection.
    pub fn warning_ids(&self) -> Vec<String> {
        self.warnings.keys().map(CompactString::to_string).collect()
    }

    /// The named warnings as they stand now (ids no longer known are left out).
    pub fn checkpoint_chunk(&self, ids: &[String]) -> CheckpointChunk {
        let mut chunk = CheckpointChunk::default();
        for id in ids {
            let Some(warning) = self.warnings.get(id.as_str()) else {
                continue;
            };
            if let crate::workflow::Origin::Rule { rule, subject } = &warning.origin
                && self.by_subject.get(rule, subject) == Some(id.as_str())
            {
                chunk
                    .subjects
                    .push((rule.clone(), subject.clone(), id.clone()));
            }
            chunk.warnings.push(Warning::clone(warning));
        }
        chunk
    }
}

/// Puts a projection back together from checkpoint chunks read oldest checkpoint first.
#[derive(Default)]
pub struct CheckpointLoader {
    warnings: HashMap<CompactString, Box<Warning>>,
    subjects: super::SubjectIndex,
}

impl CheckpointLoader {
    /// Adds a chunk. Of two copies of a warning the one with the higher version is kept
    /// (the later one on a tie), and a later chunk's subject entries replace earlier ones.
    pub fn add(&mut self, chunk: CheckpointChunk) {
        for warning in chunk.warnings {
            match self.warnings.get(warning.id.as_str()) {
                Some(kept) if kept.version > warning.version => {}
                _ => {
                    self.warnings
                        .insert(CompactString::from(warning.id.as_str()), Box::new(warning));
                }
            }
        }
        for (rule, subject, id) in chunk.subjects {
            self.subjects.set(&rule, &subject, &id);
        }
    }

    /// The projection at `position`: every warning entered into the counts and indexes.
    /// The warnings stay where they were loaded (a million of them moved into another
    /// table would hold both tables at once).
    pub fn finish(self, position: u64) -> Projection {
        let mut projection = Projection::default();
        projection.position = position;
        projection.warnings = self.warnings;
        projection.enter_all();
        projection.by_subject = self.subjects;
        projection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(id: &str, version: u64) -> Warning {
        let mut warning: Warning = serde_json::from_value(serde_json::json!({
            "id": id, "region": "410221101201", "title": "t", "severity": "high",
            "subject": "s", "origin": {"kind": "manual"}, "evidence": {}, "step": "raised",
            "version": version, "raised_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "deadline": "2026-01-08T00:00:00Z",
            "overdue_since": null, "respond_by": null, "misses": 0, "rung": null,
            "holder": null, "extensions": 0, "submitted_at": null, "submitted_on_time": null,
            "verified_at": null, "observation_until": null, "closed_at": null,
            "before_dismissal": null, "last_reason": null, "relapses": 0
        }))
        .unwrap();
        warning.version = version;
        warning
    }

    #[test]
    fn the_copy_with_the_higher_version_wins_in_either_order() {
        for order in [[1, 3], [3, 1]] {
            let mut loader = CheckpointLoader::default();
            for version in order {
                loader.add(CheckpointChunk {
                    warnings: vec![warning("W1", version)],
                    subjects: Vec::new(),
                });
            }
            let projection = loader.finish(9);
            assert_eq!(projection.warnings["W1"].version, 3);
            assert_eq!(projection.position, 9);
            assert_eq!(
                projection
                    .rolled_up(&projection.warnings["W1"].region)
                    .total,
                1
            );
        }
    }
}
