//! Projections: read models folded from the event log. Pure: they take recorded events and
//! answer queries; the engine feeds them and `store` persists nothing of them, so a full
//! replay of the log always rebuilds exactly the live state.

pub mod activity;
pub mod checkpoint;
pub mod counts;
pub mod index;
#[cfg(test)]
mod index_tests;
pub mod subjects;
pub mod supervision;
pub mod warnings;

pub use activity::Activity;
pub use checkpoint::{CHECKPOINT_FORMAT, CheckpointChunk, CheckpointLoader};
pub use counts::{Counts, Summary};
pub use index::{ListIndex, ListKey, OverdueKey};
pub use subjects::SubjectIndex;
pub use supervision::{Funnel, Supervision};
pub use warnings::{Projection, ProjectionFault};
