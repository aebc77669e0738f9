//! What the JSON API sends and receives, as types. Each derives `ToSchema`, so the OpenAPI
//! document (`http/openapi.rs`) is generated from the very types the handlers serialize and
//! cannot drift from them; the API tests validate real responses against that document.

mod ledger;
mod notifications;
mod office;
mod regions;
mod warnings;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};

pub use ledger::{
    CaseView, FunnelRow, FunnelView, LedgerPageView, LedgerRow, NoticeView, RecoveryView,
    RulePrecision,
};
pub use notifications::{ContactInput, ContactList, DeliveryList, DeliveryView};
pub use office::{
    AttachmentView, AuditPage, AuditRecordView, ImportResponse, Me, PublicationDecision,
    PublicationList, PublicationMonth, ReportList, ReportPhones, ReportView, RuleList, RuleRow,
    Session,
};
pub use regions::{ChildRow, MapJson, MapShape, RegionList, RegionRow, RegionSummary};
pub use warnings::{EventView, SupervisionView, WarningPage, WarningView};

/// An error, as `application/problem+json` (RFC 9457). Besides the standard members it
/// carries a stable machine `code` and, depending on the error, extension members that say
/// what to do (`field`, `state`, `allowed`, `commands`, `quota`, `locked_until`, …).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `https://qingfeng.example/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `invalid_field`, `forbidden`, `version_conflict`,
    /// `command_not_applicable`, `rate_limited`.
    pub code: String,
    /// What is wrong, in words, naming the field or file where there is one.
    pub detail: String,
    /// Extension members.
    #[serde(flatten)]
    #[schema(value_type = Object, additional_properties)]
    pub extra: Map<String, Value>,
}

const REGION_CODE_PATTERN: &str = "^[0-9]{12}$";

/// A region code: twelve digits (统计用区划代码).
pub fn region_code_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(REGION_CODE_PATTERN))
        .description(Some("A 12-digit division code (统计用区划代码)"))
        .build()
}

/// A region code, or null.
pub fn optional_region_code_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(REGION_CODE_PATTERN))
        .build()
}

/// The worst level a region holds.
pub fn worst_schema() -> utoipa::openapi::Object {
    string_enum(&["red", "yellow", "green", "none"])
}

/// A string that is one of `values`.
pub fn string_enum(values: &[&str]) -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}
