//! `qingfeng audit verify` and `qingfeng audit list`.

use anyhow::Context;
use clap::Subcommand;

use super::log::{VerifyError, verify_store};
use super::{AuditAction, AuditFilter};
use crate::cli::StoreArgs;
use crate::store::{MAX_AUDIT_PAGE, Store};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole audit log: every record's hash, its place and its link to the one
    /// before, and the head. Exits 0 and prints the last hash when the log is intact (note
    /// it down: it pins everything before it), exits 1 naming the first bad record.
    Verify(StoreArgs),
    /// Print the newest audit records, newest first.
    List {
        /// How many records, at most 500.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only this action (login, login_failed, import, scan, …).
        #[arg(long)]
        action: Option<String>,
        /// Only this actor (a username, `anonymous` or `system`).
        #[arg(long)]
        actor: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify(store) => verify(&store.store).await,
        AuditCommand::List {
            limit,
            action,
            actor,
            store,
        } => {
            anyhow::ensure!(
                (1..=MAX_AUDIT_PAGE).contains(&limit),
                "--limit must be between 1 and {MAX_AUDIT_PAGE}, not {limit}"
            );
            let filter = AuditFilter {
                action: action.as_deref().map(AuditAction::parse).transpose()?,
                actor,
                ..AuditFilter::default()
            };
            list(&store.store, &filter, limit).await
        }
    }
}

/// The whole check; `Err` (exit 1) names the first bad record.
async fn verify(store_url: &str) -> anyhow::Result<()> {
    let store = Store::connect(store_url)
        .await
        .with_context(|| format!("opening the store {store_url}"))?;
    let verdict = verify_store(&store).await;
    store.shutdown().await;
    match verdict {
        Ok(summary) => {
            println!(
                "audit log intact: {} records, last hash {}",
                summary.records, summary.last_hash
            );
            Ok(())
        }
        Err(VerifyError::Broken(broken)) => {
            println!("audit log BROKEN at record {}", broken.seq);
            anyhow::bail!("{broken}")
        }
        Err(error @ VerifyError::Store(_)) => Err(error.into()),
    }
}

async fn list(store_url: &str, filter: &AuditFilter, limit: usize) -> anyhow::Result<()> {
    let store = Store::connect(store_url)
        .await
        .with_context(|| format!("opening the store {store_url}"))?;
    let printed = print_newest(&store, filter, limit).await;
    store.shutdown().await;
    printed
}

/// Prints pages until `limit` records are shown or the log is exhausted: a filtered page
/// may be short and still have a next one.
async fn print_newest(store: &Store, filter: &AuditFilter, limit: usize) -> anyhow::Result<()> {
    let mut shown = 0;
    let mut before = None;
    while shown < limit {
        let page = store.audit_page(filter, before, limit - shown).await?;
        shown += page.records.len();
        for record in &page.records {
            println!(
                "{:>8}  {}  {:<14} {:<16} {:<39} {}  {}",
                record.seq,
                record.at,
                printable(&record.action),
                printable(&record.actor),
                printable(record.client.as_deref().unwrap_or("-")),
                printable(&record.target),
                printable(&record.detail)
            );
        }
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    Ok(())
}

/// Stored text with control characters shown as U+FFFD: entries are cleaned when they are
/// made, but a store changed behind the application's back could hold anything.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}
