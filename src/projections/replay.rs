//! Folding the whole log (or its tail) into a projection as fast as the store can hand it
//! out. Reading is the slow half, so several pages are read at once (the embedded store
//! decodes on every core) while the pages already read are folded in order.

use futures::StreamExt;

use super::warnings::Projection;
use crate::store::{Store, StoreError};

/// Events per page read.
const PAGE: u64 = 10_000;
/// Pages read at once, ahead of the fold.
const READ_AHEAD: usize = 4;

/// Folds every event after the projection's position up to the current head. Returns the
/// number of events folded. Events committed meanwhile are left for the next catch-up.
pub async fn fold_log(store: &Store, projection: &mut Projection) -> Result<u64, StoreError> {
    let start = projection.position;
    let head = store.head_position().await?;
    let pages = (start..head).step_by(PAGE as usize).map(|after| {
        let limit = PAGE.min(head - after) as usize;
        async move { store.read_all(after, limit).await }
    });
    let mut pages = futures::stream::iter(pages).buffered(READ_AHEAD);
    while let Some(page) = pages.next().await {
        projection.offer(page?);
    }
    Ok(projection.position - start)
}
