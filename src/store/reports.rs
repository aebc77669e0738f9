//! Reports the public filed (我要反映), one record `report:⟨receipt⟩` each.
//!
//! The warning a report raised (or was folded into) holds the report's text as evidence;
//! the reporter's phone number is kept here only, never in the event log, so no wall and
//! no history shows it, and only an audited unmasking reads it.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use super::{Store, StoreError};

/// One report as filed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, SurrealValue)]
pub struct ReportRecord {
    /// The receipt code the reporter was given.
    pub receipt: String,
    /// The warning it raised or was folded into.
    pub warning: String,
    pub village: String,
    pub category: String,
    pub text: String,
    pub phone: Option<String>,
    /// The attachment id of the photo, if one was sent.
    pub photo: Option<String>,
    pub at: DateTime<Utc>,
}

/// The most reports of one warning listed or unmasked at once.
pub const MAX_REPORTS_LISTED: usize = 200;

const FIELDS: &str = "receipt, warning, village, category, text, phone, photo, at";

impl Store {
    pub async fn put_report(&self, report: &ReportRecord) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("CREATE $id CONTENT $record RETURN NONE")
            .bind(("id", RecordId::new("report", report.receipt.as_str())))
            .bind(("record", report.clone()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// The report with this receipt code, if any.
    pub async fn get_report(&self, receipt: &str) -> Result<Option<ReportRecord>, StoreError> {
        let mut response = self
            .db
            .query(format!("SELECT {FIELDS} FROM ONLY $id"))
            .bind(("id", RecordId::new("report", receipt)))
            .await?;
        Ok(response.take(0)?)
    }

    /// The newest [`MAX_REPORTS_LISTED`] reports a warning holds, newest first (a
    /// complaint many people repeat is folded into one warning, so a warning can hold
    /// very many).
    pub async fn reports_of(&self, warning: &str) -> Result<Vec<ReportRecord>, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "SELECT {FIELDS} FROM report WHERE warning = $warning ORDER BY at DESC LIMIT {MAX_REPORTS_LISTED}"
            ))
            .bind(("warning", warning.to_string()))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }
}
