//! The public side (前台晒): what anyone may see of the welfare payments the city office
//! has published, and the decisions that publish them.
//!
//! `ledger` is the pure read model (masked names, totals, 查本人 by ID number and name);
//! `mask` masks personal data; this module holds the current ledger, rebuilds it from the
//! store after each decision or import, and takes the publication decisions.

pub mod ledger;
#[cfg(test)]
mod ledger_tests;
pub mod mask;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

pub use ledger::{Ledger, Month, MonthState, OwnPayment, PublicPayment, Total};

use crate::import::DatasetKind;
use crate::import::Row;
use crate::import::rows::WelfarePaymentRow;
use crate::import::service::load_datasets;
use crate::regions::RegionTree;
use crate::store::{PublicationRecord, Store, StoreError};

/// The ledger the public pages read, replaced whole by each rebuild.
pub struct PublicSite {
    current: RwLock<(Arc<Ledger>, u64)>,
    /// The imported payments the ledger was built from, kept so that a decision (which
    /// changes no payment) rebuilds without reading a million rows from the store again.
    /// Rebuilds take turns on this lock, so an older one never replaces a newer one.
    payments: tokio::sync::Mutex<Option<Arc<Vec<WelfarePaymentRow>>>>,
    /// Numbers the ledgers; starts at the clock so a restarted server never reuses an ETag.
    next_generation: AtomicU64,
}

impl Default for PublicSite {
    fn default() -> Self {
        let start = Utc::now().timestamp_millis().max(0) as u64;
        PublicSite {
            current: RwLock::new((Arc::new(Ledger::default()), start)),
            payments: tokio::sync::Mutex::new(None),
            next_generation: AtomicU64::new(start + 1),
        }
    }
}

impl PublicSite {
    /// The current ledger and its generation (what the pages' ETags are made of).
    pub fn current(&self) -> (Arc<Ledger>, u64) {
        let current = self
            .current
            .read()
            .expect("the ledger lock is never poisoned");
        (current.0.clone(), current.1)
    }

    /// Builds the ledger again from the imported payments (read afresh: after an import,
    /// at start) and the decisions.
    pub async fn rebuild(
        &self,
        store: &Store,
        regions: &Arc<RegionTree>,
    ) -> Result<(), StoreError> {
        let mut payments = self.payments.lock().await;
        *payments = Some(Arc::new(load_payments(store).await?));
        self.build(store, regions, payments.clone().expect("just loaded"))
            .await
    }

    /// Builds the ledger again after a decision: the same payments, the decisions read
    /// afresh.
    pub async fn redecide(
        &self,
        store: &Store,
        regions: &Arc<RegionTree>,
    ) -> Result<(), StoreError> {
        let mut payments = self.payments.lock().await;
        if payments.is_none() {
            *payments = Some(Arc::new(load_payments(store).await?));
        }
        self.build(store, regions, payments.clone().expect("loaded"))
            .await
    }

    async fn build(
        &self,
        store: &Store,
        regions: &Arc<RegionTree>,
        payments: Arc<Vec<WelfarePaymentRow>>,
    ) -> Result<(), StoreError> {
        let decisions = store.publications().await?;
        let regions = regions.clone();
        let ledger =
            tokio::task::spawn_blocking(move || Ledger::build(&payments, &decisions, &regions))
                .await
                .expect("building the ledger does not panic");
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        *self
            .current
            .write()
            .expect("the ledger lock is never poisoned") = (Arc::new(ledger), generation);
        Ok(())
    }
}

/// Every imported welfare payment.
async fn load_payments(store: &Store) -> Result<Vec<WelfarePaymentRow>, StoreError> {
    let rows = load_datasets(store, &[DatasetKind::WelfarePayments]).await?;
    Ok(rows
        .into_iter()
        .flatten()
        .filter_map(|row| match row {
            Row::WelfarePayment(payment) => Some(payment),
            _ => None,
        })
        .collect())
}

/// Why a publication decision was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("no payments of {fund} for {period} have been imported")]
    NotImported { fund: String, period: String },
    #[error("{fund} for {period} is not published")]
    NotPublished { fund: String, period: String },
}

/// The record of publishing (or withdrawing) `month`, decided against the ledger: only an
/// imported month can be published, only a published (or since changed) one withdrawn.
pub fn decide(
    ledger: &Ledger,
    month: &Month,
    publish: bool,
    by: &str,
    at: DateTime<Utc>,
) -> Result<PublicationRecord, DecisionError> {
    let (fund, period) = (month.0.as_str().to_string(), month.1.to_string());
    let Some((total, state)) = ledger.months().get(month) else {
        return Err(DecisionError::NotImported { fund, period });
    };
    if !publish && !matches!(state, MonthState::Published | MonthState::Changed) {
        return Err(DecisionError::NotPublished { fund, period });
    }
    Ok(PublicationRecord {
        fund,
        period,
        published: publish,
        payments: total.payments,
        total_fen: total.fen,
        by: by.to_string(),
        at,
    })
}
