//! The region tree a deployment runs with, kept in the store so that every instance
//! sharing it, and every command line tool (`users add`), goes by the same tree without a
//! file to remember. One record, `region_tree:current`, holds the tree in the
//! `code,name,parent` form, where it came from and when; `qingfeng regions import`
//! replaces it whole.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use super::{Store, StoreError};

/// The stored tree.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, SurrealValue)]
pub struct StoredRegionTree {
    /// The tree as `code,name,parent` CSV text (what `RegionTree::to_csv` writes).
    pub csv: String,
    /// The file it was imported from, as given.
    pub source: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

fn current() -> RecordId {
    RecordId::new("region_tree", "current")
}

impl Store {
    /// Replaces the stored tree.
    pub async fn put_region_tree(&self, tree: &StoredRegionTree) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("UPSERT $id CONTENT $tree RETURN NONE")
            .bind(("id", current()))
            .bind(("tree", tree.clone()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// The stored tree, if one was imported.
    pub async fn region_tree(&self) -> Result<Option<StoredRegionTree>, StoreError> {
        let mut response = self
            .db
            .query("SELECT csv, source, by, at FROM ONLY $id")
            .bind(("id", current()))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }
}
