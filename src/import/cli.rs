//! `qingfeng import`: reads the files, checks them all, writes them, shows progress on a
//! terminal and, on refusal, lists every problem (and writes them as CSV with `--report`).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::DatasetKind;
use super::service::{ImportFailure, import_files_within};
use crate::cli::ImportArgs;

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let kind = DatasetKind::parse(&args.kind)?;
    let limits = crate::cli::load_security(args.setup.security.as_deref())?.import;
    let (engine, catalogue) = crate::cli::open_engine(&args.setup).await?;
    let progress = progress_bar(args.files.len());
    let mut files = Vec::new();
    for path in &args.files {
        progress.set_message(format!("reading {}", path.display()));
        let bytes = read_within(path, &limits)?;
        files.push((path.display().to_string(), bytes));
        progress.inc(1);
    }
    progress.set_message("checking and writing");
    let started = Instant::now();
    let result = import_files_within(engine.store(), engine.regions(), kind, &files, &limits).await;
    progress.finish_and_clear();
    let outcome = report_import(kind, &args, result, started);
    if outcome.is_ok() {
        // A scan runs after each import, as on the server.
        let report = crate::scan::run_scan(&engine, &catalogue).await?;
        crate::cli::print_scan(&report, false);
    }
    engine.store().shutdown().await;
    outcome
}

/// Reads a file, refusing one over `max_file_bytes` before reading it.
fn read_within(path: &std::path::Path, limits: &super::ImportLimits) -> anyhow::Result<Vec<u8>> {
    let name = path.display().to_string();
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {name}"))?
        .len();
    if size > limits.max_file_bytes as u64 {
        let max = limits.max_file_bytes as u64;
        let found = format!("{size} bytes");
        let place = super::limits::Place::default();
        let error =
            super::limits::over_limit(&name, super::limits::Limit::MaxFileBytes, max, found, place);
        bail!("{error}; nothing was imported");
    }
    std::fs::read(path).with_context(|| format!("reading {name}"))
}

fn report_import(
    kind: DatasetKind,
    args: &ImportArgs,
    result: Result<super::service::ImportReport, ImportFailure>,
    started: Instant,
) -> anyhow::Result<()> {
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
                println!("warning: {warning}");
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
