//! Which region tree a process runs with: the file named on its command line; else the
//! tree imported into the store (`qingfeng regions import`), so that the server, every
//! instance beside it and `users add` go by the same tree without a flag to remember;
//! else the fictional demo city of `seeds/regions.csv`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::RegionTree;
use crate::store::Store;

/// The demo city's tree, used when neither a file nor the store names one.
pub const DEMO_TREE: &str = "seeds/regions.csv";

/// Where a tree came from, for logs and messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeSource {
    /// Named with `--regions`.
    File(PathBuf),
    /// Imported into the store from this file.
    Store { imported_from: String },
    /// Nothing named, nothing imported: the demo city.
    Demo(PathBuf),
}

impl TreeSource {
    /// The file to look for a boundary file beside, if the tree came from one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            TreeSource::File(path) | TreeSource::Demo(path) => Some(path),
            TreeSource::Store { .. } => None,
        }
    }
}

impl std::fmt::Display for TreeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TreeSource::File(path) => write!(f, "{}", path.display()),
            TreeSource::Store { imported_from } => {
                write!(f, "the store (imported from {imported_from})")
            }
            TreeSource::Demo(path) => write!(f, "{} (the demo city)", path.display()),
        }
    }
}

/// The tree to run with, and where it came from.
pub async fn resolve(
    store: &Store,
    named: Option<&Path>,
) -> anyhow::Result<(RegionTree, TreeSource)> {
    if let Some(path) = named {
        let tree = RegionTree::load(path)
            .with_context(|| format!("loading the region tree {}", path.display()))?;
        return Ok((tree, TreeSource::File(path.to_owned())));
    }
    if let Some(stored) = store.region_tree().await? {
        let tree = RegionTree::from_csv_str("the stored region tree", &stored.csv)
            .context("reading the region tree kept in the store")?;
        let source = TreeSource::Store {
            imported_from: stored.source,
        };
        return Ok((tree, source));
    }
    let path = crate::home::shipped(DEMO_TREE);
    let tree = RegionTree::load(&path)
        .with_context(|| format!("loading the region tree {}", path.display()))?;
    Ok((tree, TreeSource::Demo(path)))
}
