//! The audit log's two doors to the store: [`record`], which every audited action calls in
//! one line, and [`verify_store`], which reads a whole log page by page and checks its chain.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    AuditAction, AuditBreak, AuditEntry, AuditProblem, AuditRecord, ChainSummary, ChainVerifier,
    SYSTEM,
};
use crate::engine::Engine;
use crate::scan::ScanReport;
use crate::store::{Store, StoreError};

/// How many records `verify_store` reads per query.
pub const VERIFY_PAGE: usize = 5_000;

/// Audit records that could not be written since the process started.
static FAILURES: AtomicU64 = AtomicU64::new(0);

/// Appends `entry` to the audit log.
///
/// The action being audited has already happened (or been refused) by the time it is
/// recorded, so a failed append does not undo it or fail the request: it is logged at error
/// level with the whole entry, so it is not lost, and counted in [`audit_failures`], which
/// `/metrics` shows and an alert watches.
pub async fn record(store: &Store, entry: AuditEntry) {
    if let Err(error) = store.append_audit(entry.clone()).await {
        FAILURES.fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            %error,
            action = entry.action().as_str(),
            actor = entry.actor(),
            client = ?entry.client(),
            target = entry.target(),
            detail = entry.detail(),
            at = %entry.at(),
            "an audit record could not be written"
        );
    }
}

/// Records a scan run by `qingfeng scan`: by the system, naming the operating-system user
/// who ran it, since the command line has no signed-in user.
pub async fn record_command_line_scan(engine: &Engine, report: &ScanReport) {
    let os_user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let opened: u64 = report.rules.iter().map(|line| line.raised).sum();
    let relapsed: u64 = report.rules.iter().map(|line| line.relapsed).sum();
    let detail = format!(
        "qingfeng scan on the command line (OS user {os_user}): {} rows, {} rules, {opened} warnings opened, {relapsed} relapsed",
        report.rows,
        report.rules.len()
    );
    let target = format!("datasets as of {}", report.as_of);
    let entry =
        AuditEntry::new(engine.now(), SYSTEM, AuditAction::Scan, &target).with_detail(&detail);
    record(engine.store(), entry).await;
}

/// How many audit records could not be written since the process started.
pub fn audit_failures() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}

/// Why a store's audit log did not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] AuditBreak),
    #[error("the audit log could not be read: {0}")]
    Store(#[from] StoreError),
}

/// Reads the whole audit log in `seq` order, [`VERIFY_PAGE`] records at a time, and checks
/// the chain and its head; the error names the first bad record.
///
/// Records may be appended while it runs. Each append writes its record and the head in one
/// transaction, so once the records run out the head is read, and if it has moved past the
/// last record read, the records after it are read too; only a head ahead of records that
/// are not there is a truncated log.
pub async fn verify_store(store: &Store) -> Result<ChainSummary, VerifyError> {
    let mut verifier = ChainVerifier::default();
    let mut last = check_pages(store, &mut verifier, 0).await?;
    loop {
        let head = store.audit_head().await?;
        if head.as_ref().is_none_or(|head| head.seq <= last) {
            return Ok(verifier.finish(head.as_ref())?);
        }
        // The head moved past what was read: everything up to it was committed before it
        // was seen, so reading again must find it, or the log was truncated.
        let more = check_pages(store, &mut verifier, last).await?;
        if more == last {
            return Ok(verifier.finish(head.as_ref())?);
        }
        last = more;
    }
}

/// Checks every record after `after` until the records run out; returns the last `seq` read.
async fn check_pages(
    store: &Store,
    verifier: &mut ChainVerifier,
    mut after: u64,
) -> Result<u64, VerifyError> {
    loop {
        let page = store.audit_in_order(after, VERIFY_PAGE).await?;
        let full = page.len() == VERIFY_PAGE;
        for (place, stored) in page {
            let broken = |problem| AuditBreak {
                seq: place,
                problem,
            };
            if stored.seq != place {
                return Err(broken(AuditProblem::Moved { found: stored.seq }).into());
            }
            let record = AuditRecord::try_from(stored)
                .map_err(|reason| broken(AuditProblem::Malformed(reason)))?;
            verifier.check(&record)?;
            after = place;
        }
        if !full {
            return Ok(after);
        }
    }
}
