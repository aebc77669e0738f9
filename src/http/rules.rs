//! `GET /api/rules`: the rules the catalogue has switched on, with their Chinese names, so
//! a screen can show "the basis of the comparison" by name rather than by code.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::auth::AuthUser;

pub async fn list(State(state): State<AppState>, AuthUser(_actor): AuthUser) -> Json<Value> {
    let rules: Vec<Value> = state
        .catalogue
        .entries()
        .iter()
        .map(|rule| {
            json!({
                "code": rule.code,
                "name": rule.name_zh,
                "name_en": rule.name_en,
                "domain": rule.domain.as_str(),
                "basis": rule.legal_basis,
                "severity": rule.severity,
                "deadline_days": rule.deadline_days,
            })
        })
        .collect();
    Json(json!({ "rules": rules }))
}
