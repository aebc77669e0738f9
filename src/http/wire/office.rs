//! The wire shapes of sessions, the rule list, the audit log, photos, publications, public
//! reports and imports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::region_code_schema;
use crate::auth::Role;
use crate::import::service::ImportReport;
use crate::rules::catalogue::Domain;
use crate::scan::ScanReport;
use crate::workflow::Severity;

/// A new session: the token is also set as the `qingfeng_token` cookie for browsers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = Role)]
    pub role: String,
    #[schema(schema_with = region_code_schema)]
    pub region: String,
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/auth/me`: who the token belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    #[schema(value_type = Role)]
    pub role: &'static str,
    #[schema(schema_with = region_code_schema)]
    pub region: String,
}

/// A rule the catalogue has switched on.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleRow {
    pub code: String,
    /// Its Chinese name.
    pub name: String,
    pub name_en: String,
    pub domain: Domain,
    /// The law or regulation it checks.
    pub basis: String,
    pub severity: Severity,
    pub deadline_days: u32,
}

/// `GET /api/rules`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub rules: Vec<RuleRow>,
}

/// One record of the audit log, exactly the stored text its hash covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordView {
    pub seq: u64,
    /// RFC 3339, as hashed.
    pub at: String,
    pub actor: String,
    /// The client's address, when known.
    pub client: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub hash: String,
    pub prev_hash: String,
}

/// `GET /api/audit`: a page, newest first. Pass `next` as `after` for older records; a
/// page may be short and still have a `next`, and a null `next` ends the listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub records: Vec<AuditRecordView>,
    pub next: Option<u64>,
}

/// A stored photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Cite it in `submit_rectification`'s `photos`.
    pub id: String,
    pub name: String,
    /// `image/jpeg`, `image/png` or `image/webp`, judged by the content.
    pub content_type: String,
    /// Bytes.
    pub size: usize,
}

/// A welfare fund's month: what was imported and whether the public sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationMonth {
    pub fund: String,
    pub fund_name: String,
    /// `YYYY-MM`.
    pub period: String,
    pub payments: u64,
    pub total_fen: i64,
    /// The total in yuan, two decimals.
    pub total_yuan: String,
    #[schema(schema_with = month_state_schema)]
    pub state: &'static str,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

fn month_state_schema() -> utoipa::openapi::Object {
    super::string_enum(&["unpublished", "published", "withdrawn", "changed"])
}

/// `GET /api/publications`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationList {
    pub months: Vec<PublicationMonth>,
}

/// `POST /api/publications`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicationDecision {
    pub fund: String,
    /// `YYYY-MM`.
    #[schema(pattern = r"^\d{4}-\d{2}$")]
    pub period: String,
    /// `publish` or `withdraw`.
    pub action: String,
}

/// A public report (我要反映) as an office reads it: the phone number masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub category: String,
    pub category_name: Option<&'static str>,
    pub text: String,
    /// Masked, e.g. `138****5678`; unmask with `POST .../reports/unmask` (audited).
    pub phone: Option<String>,
    /// The attachment id of the photo sent with it.
    pub photo: Option<String>,
    pub at: DateTime<Utc>,
}

/// `GET /api/warnings/{id}/reports`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<ReportView>,
}

/// `POST /api/warnings/{id}/reports/unmask`: the reporters' phone numbers, in the order of
/// the report list (null where none was given).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPhones {
    pub phones: Vec<Option<String>>,
}

/// What an upload imported, and the scan it triggered.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    #[serde(flatten)]
    pub report: ImportReport,
    pub scan: ScanReport,
}
