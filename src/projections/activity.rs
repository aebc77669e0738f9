//! What happened within a region since a moment (the wall's "today"): warnings raised and
//! rectifications verified. Read from the ordered indexes (the region's newest warnings,
//! the newest verifications), so it costs what happened since, not the whole log; the
//! incremental counts do not hold it because "today" moves with the clock.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Projection;
use crate::domain::region::RegionCode;
use crate::workflow::Warning;

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
        let raised = self.index.raised_since(region, since).count() as i64;
        let rectified = self
            .index
            .verified_since(since)
            .filter_map(|id| self.warnings.get(id))
            .filter(|w| w.region.is_within(region))
            .count() as i64;
        Activity { raised, rectified }
    }

    /// The warnings within `region` raised or verified at or after `since`, each once:
    /// all a trend from `since` on needs.
    pub fn active_since(&self, region: &RegionCode, since: DateTime<Utc>) -> Vec<&Warning> {
        let raised = self.index.raised_since(region, since);
        let verified = self.index.verified_since(since).filter(|id| {
            self.warnings
                .get(*id)
                .is_some_and(|w| w.region.is_within(region) && w.raised_at < since)
        });
        raised
            .chain(verified)
            .filter_map(|id| self.warnings.get(id).map(Box::as_ref))
            .collect()
    }
}
