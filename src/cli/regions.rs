//! `qingfeng regions import FILE [--root CODE]`: the region tree a deployment runs with,
//! from the statistics bureau's published tables or the `code,name,parent` form, checked
//! whole (file, row, column) and kept in the store, which the server and `users add` then
//! go by. `qingfeng regions show` prints what the store holds.
//!
//! A tree is refused, and the stored one kept, if a user's region or a warning's region
//! is not in it: replacing the tree must not leave anyone scoped to a place that no
//! longer exists, nor a warning that no screen can show.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::StoreArgs;
use crate::audit::{AuditAction, AuditEntry};
use crate::domain::region::{Level, RegionCode};
use crate::import::limits::ImportLimits;
use crate::regions::RegionTree;
use crate::regions::import::import;
use crate::store::{Store, StoredRegionTree};

#[derive(Debug, Subcommand)]
pub enum RegionsCommand {
    /// Check a region file and keep it in the store as the tree to run with. The file is
    /// the statistics bureau's table (统计用区划代码, 名称[, 城乡分类代码]: parents read from
    /// the codes) or `code,name,parent`, as .csv (UTF-8 or GBK) or .xlsx.
    Import {
        /// The region file.
        file: PathBuf,
        /// The code to root the tree at (a county, a prefecture or a province), when the
        /// file holds more (a whole province's table, say).
        #[arg(long)]
        root: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the tree kept in the store (`code,name,parent`), or say there is none.
    Show {
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(command: RegionsCommand) -> anyhow::Result<()> {
    match command {
        RegionsCommand::Import { file, root, store } => {
            import_tree(&file, root, &store.store).await
        }
        RegionsCommand::Show { store } => show(&store.store).await,
    }
}

async fn import_tree(
    file: &std::path::Path,
    root: Option<String>,
    store_url: &str,
) -> anyhow::Result<()> {
    let root = root
        .map(|code| RegionCode::parse(&code).with_context(|| format!("--root {code}")))
        .transpose()?;
    let name = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("reading {name}"))?;
    let imported = import(&name, &bytes, root, &ImportLimits::default())?;
    let store = Store::connect(store_url).await?;
    let result = keep(&store, &name, &imported.tree).await;
    store.shutdown().await;
    result?;
    let tree = &imported.tree;
    let count = |level| tree.iter().filter(|r| r.level == level).count();
    println!(
        "region tree {} {} from {name}: {} towns, {} villages; kept in {store_url}",
        tree.root().name,
        tree.root().code,
        count(Level::Town),
        count(Level::Village),
    );
    if imported.outside_root > 0 {
        println!(
            "{} rows outside {} left out",
            imported.outside_root,
            tree.root().code
        );
    }
    if !imported.ignored_columns.is_empty() {
        println!("columns not read: {}", imported.ignored_columns.join(", "));
    }
    Ok(())
}

/// Checks that every user's and every warning's region is in `tree`, then stores it.
async fn keep(store: &Store, source: &str, tree: &RegionTree) -> anyhow::Result<()> {
    let users = store.list_users().await?;
    let lost_users: Vec<String> = users
        .iter()
        .filter(|u| RegionCode::parse(&u.region).map_or(true, |code| tree.get(&code).is_none()))
        .map(|u| format!("{} ({})", u.username, u.region))
        .collect();
    if !lost_users.is_empty() {
        bail!(
            "{source}: refused: {} users are scoped to regions not in this tree: {}; \
             change or remove them first (users add)",
            lost_users.len(),
            lost_users
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // From the checkpoint and what came after it, as the server starts.
    let projection = crate::engine::current_projection(store).await?;
    let lost: Vec<&RegionCode> = projection
        .warnings
        .values()
        .map(|w| &w.region)
        .filter(|code| tree.get(code).is_none())
        .collect();
    if let Some(first) = lost.first() {
        bail!(
            "{source}: refused: {} warnings are of regions not in this tree (the first: {first})",
            lost.len()
        );
    }
    let record = StoredRegionTree {
        csv: tree.to_csv(),
        source: source.to_owned(),
        by: super::cli_actor(),
        at: chrono::Utc::now(),
    };
    store.put_region_tree(&record).await?;
    let target = format!("region tree {}", tree.root().code);
    let detail = format!("{} regions from {source}", tree.len());
    let entry = AuditEntry::new(record.at, &record.by, AuditAction::RegionsImported, &target)
        .with_detail(&detail);
    crate::audit::record(store, entry).await;
    Ok(())
}

async fn show(store_url: &str) -> anyhow::Result<()> {
    let store = Store::connect(store_url).await?;
    let stored = store.region_tree().await;
    store.shutdown().await;
    match stored? {
        Some(tree) => {
            eprintln!(
                "imported from {} by {} at {}",
                tree.source, tree.by, tree.at
            );
            print!("{}", tree.csv);
        }
        None => eprintln!(
            "no region tree in {store_url}: the server runs with --regions or the demo city"
        ),
    }
    Ok(())
}
