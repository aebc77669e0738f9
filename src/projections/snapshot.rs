//! Checkpoints of the warnings projection: its position and every warning, so a restart
//! folds only the events after the checkpoint instead of the whole log. Counts, the list
//! indexes and the subject index are derived again from the warnings, so a checkpoint cannot disagree with
//! itself.

use serde::{Deserialize, Serialize};

use super::warnings::Projection;
use crate::workflow::Warning;

/// Bump when the stored shape of `Warning` changes; an older checkpoint is then ignored
/// and the projection is rebuilt from the log. Format 2 added the reminder fields.
pub const SNAPSHOT_FORMAT: u32 = 2;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub position: u64,
    pub warnings: Vec<Warning>,
    /// `(rule, subject, warning id)` for the newest warning of each rule subject.
    pub by_subject: Vec<(String, String, String)>,
}

impl Projection {
    /// The checkpoint of this projection's applied state.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            position: self.position,
            warnings: self.warnings.values().cloned().collect(),
            by_subject: self
                .by_subject
                .iter()
                .map(|((rule, subject), id)| (rule.clone(), subject.clone(), id.clone()))
                .collect(),
        }
    }

    /// A projection restored from a checkpoint; `None` if it has an older format.
    pub fn from_snapshot(snapshot: Snapshot) -> Option<Projection> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return None;
        }
        let mut projection = Projection::default();
        projection.position = snapshot.position;
        for warning in snapshot.warnings {
            projection.restore(warning);
        }
        for (rule, subject, id) in snapshot.by_subject {
            projection.by_subject.insert((rule, subject), id);
        }
        Some(projection)
    }
}
