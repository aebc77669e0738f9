//! What happened within a region since a moment (the wall's "today"): warnings raised and
//! rectifications verified. A linear pass over the warnings, for summaries read on demand;
//! the incremental counts do not hold it because "today" moves with the clock.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Projection;
use crate::domain::region::RegionCode;

/// Counts of what happened within a region since a moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Warnings first raised at or after the moment (relapses are not new warnings).
    pub raised: i64,
    /// Warnings whose rectification was verified at or after the moment and still stands
    /// (a relapse since then clears it).
    pub rectified: i64,
}

impl Projection {
    pub fn activity_since(&self, region: &RegionCode, since: DateTime<Utc>) -> Activity {
        let mut activity = Activity::default();
        for warning in self.warnings.values() {
            if !warning.region.is_within(region) {
                continue;
            }
            activity.raised += i64::from(warning.raised_at >= since);
            activity.rectified += i64::from(warning.verified_at.is_some_and(|at| at >= since));
        }
        activity
    }
}
