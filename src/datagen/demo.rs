//! The committed demo datasets in `seeds/demo/`: which config makes them and which files
//! they are.
//!
//! The files are generated, never edited by hand: a test regenerates them and compares
//! byte for byte, and `QINGFENG_BLESS_DEMO=1 cargo test --lib datagen` rewrites them.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::{GenConfig, Generated, Sizes, villages};
use crate::regions::RegionTree;

/// The seed of the demo city.
pub const SEED: u64 = 20_261_126;

/// The scan date the demo is made for: the rules must run "as of" this day (the engine
/// clock's day in Asia/Shanghai) to find exactly the planted anomalies.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default()
}

/// The demo config: demo sizes, every anomaly planted, villages from `tree`.
pub fn config(tree: &RegionTree) -> GenConfig {
    GenConfig {
        seed: SEED,
        as_of: as_of(),
        villages: villages(tree),
        sizes: Sizes::demo(),
        plant: true,
    }
}

/// Where the demo files live.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/demo")
}

/// The name of the ground-truth file.
pub const TRUTH_FILE: &str = "ground-truth.csv";

/// Every generated demo file as (file name, text): `KIND.csv` and the ground truth.
pub fn files(generated: &Generated) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = generated
        .files
        .iter()
        .map(|(kind, text)| (format!("{kind}.csv"), text.clone()))
        .collect();
    files.push((TRUTH_FILE.to_owned(), generated.truth_csv()));
    files
}
