//! The city office's decisions to publish a fund's month on the public pages.
//!
//! Each (fund, period) has at most one record `publication:[fund, period]`, overwritten by
//! each decision: its state, what was published (how many payments and their total, so a
//! later re-import that changes the month is noticed), and who decided when. The history
//! of decisions is in the audit log.

use chrono::{DateTime, Utc};
use surrealdb::types::{Array, RecordId, SurrealValue};

use super::{Store, StoreError};

/// One month of one fund, as decided.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, SurrealValue)]
pub struct PublicationRecord {
    /// The fund's canonical name (`Fund::as_str`).
    pub fund: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Published (true) or withdrawn (false).
    pub published: bool,
    /// The payments and their total in fen when it was published.
    pub payments: u64,
    pub total_fen: i64,
    pub by: String,
    pub at: DateTime<Utc>,
}

fn publication_id(fund: &str, period: &str) -> RecordId {
    let key = Array::from(vec![
        fund.to_string().into_value(),
        period.to_string().into_value(),
    ]);
    RecordId::new("publication", key)
}

impl Store {
    /// Writes the decision for its (fund, period), replacing the one before.
    pub async fn put_publication(&self, record: &PublicationRecord) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("UPSERT $id CONTENT $record RETURN NONE")
            .bind(("id", publication_id(&record.fund, &record.period)))
            .bind(("record", record.clone()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Every decision, published or withdrawn.
    pub async fn publications(&self) -> Result<Vec<PublicationRecord>, StoreError> {
        let mut response = self
            .db
            .query("SELECT fund, period, published, payments, total_fen, by, at FROM publication")
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }
}
