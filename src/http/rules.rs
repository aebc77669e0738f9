//! `GET /api/rules`: the rules the catalogue has switched on, with their Chinese names, so
//! a screen can show "the basis of the comparison" by name rather than by code.

use axum::Json;
use axum::extract::State;

use super::AppState;
use super::auth::AuthUser;
use super::wire::{Problem, RuleList, RuleRow};

#[utoipa::path(get, path = "/api/rules", tag = "rules",
    summary = "The rules the catalogue has switched on, with their names and legal basis",
    responses(
        (status = 200, description = "The rules", body = RuleList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, AuthUser(_actor): AuthUser) -> Json<RuleList> {
    let rules = state
        .catalogue
        .entries()
        .iter()
        .map(|rule| RuleRow {
            code: rule.code.clone(),
            name: rule.name_zh.clone(),
            name_en: rule.name_en.clone(),
            domain: rule.domain,
            basis: rule.legal_basis.clone(),
            severity: rule.severity,
            deadline_days: rule.deadline_days,
        })
        .collect();
    Json(RuleList { rules })
}
