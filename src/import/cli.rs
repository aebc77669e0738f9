//! `qingfeng import`: reads the files, checks them all, writes them, shows progress on a
//! terminal and, on refusal, lists every problem (and writes them as CSV with `--report`).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::DatasetKind;
use super::service::{ImportFailure, import_files};
use crate::cli::ImportArgs;
use crate::regions::RegionTree;
use crate::store::Store;

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let kind = DatasetKind::parse(&args.kind)?;
    let regions = RegionTree::load(&args.regions)?;
    let progress = progress_bar(args.files.len());
    let mut files = Vec::new();
    for path in &args.files {
        progress.set_message(format!("reading {}", path.display()));
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        files.push((path.display().to_string(), bytes));
        progress.inc(1);
    }
    progress.set_message("checking and writing");
    let store = Store::connect(&args.store.store).await?;
    let started = Instant::now();
    let result = import_files(&store, &regions, kind, &files).await;
    progress.finish_and_clear();
    store.shutdown().await;
    match result {
        Ok(report) => {
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "imported {} {} rows from {} file(s) in {seconds:.2} s ({:.0} rows/s)",
                report.rows,
                kind.as_str(),
                report.files,
                report.rows as f64 / seconds.max(1e-9)
            );
            for warning in &report.warnings {
                println!("note: {warning}");
            }
            Ok(())
        }
        Err(ImportFailure::Invalid(errors)) => {
            eprintln!("{errors}");
            if let Some(path) = &args.report {
                std::fs::write(path, errors.to_csv())
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("the problems are also in {}", path.display());
            }
            bail!("{} problem(s) found; nothing was imported", errors.len())
        }
        Err(ImportFailure::Store(e)) => Err(e.into()),
    }
}

/// A bar over the files on a terminal; hidden when output is piped.
fn progress_bar(files: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} files  {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
