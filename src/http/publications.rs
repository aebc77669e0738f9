//! `GET /api/publications` and `POST /api/publications`: the city office decides which
//! fund's months the public pages show. A decision is audited and takes effect at once
//! (the public ledger is rebuilt before the answer).

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::AuthUser;
use super::client::client_ip;
use super::error::ApiError;
use crate::audit::{AuditAction, AuditEntry};
use crate::auth::Role;
use crate::import::value::Fund;
use crate::public::{DecisionError, Ledger, Month, MonthState, Total, decide};

/// `GET /api/publications`: every imported month with its total and state (city office
/// and city leader).
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Value>, ApiError> {
    if !matches!(actor.role(), Role::CityOffice | Role::CityLeader) {
        return Err(ApiError::forbidden(
            "only the city office and city leaders see the publication decisions",
        ));
    }
    let (ledger, _) = state.public.current();
    let decisions = state.engine.store().publications().await?;
    let months: Vec<Value> = ledger
        .months()
        .keys()
        .map(|month| month_json(&ledger, month, &decisions))
        .collect();
    Ok(Json(json!({ "months": months })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    fund: String,
    period: String,
    action: String,
}

/// `POST /api/publications` `{fund, period, action: "publish" | "withdraw"}` (city office).
pub async fn decide_one(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
    body: Result<Json<Decision>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    if actor.role() != Role::CityOffice {
        return Err(ApiError::forbidden(
            "only the city office publishes payments",
        ));
    }
    let Json(body) = body.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    let publish = match body.action.as_str() {
        "publish" => true,
        "withdraw" => false,
        other => {
            return Err(ApiError::invalid(
                "action",
                format!("action {other:?} is neither publish nor withdraw"),
            ));
        }
    };
    let period = body
        .period
        .parse()
        .map_err(|e: String| ApiError::invalid("period", e))?;
    let month: Month = (Fund::parse(&body.fund), period);
    let (ledger, _) = state.public.current();
    let record = decide(
        &ledger,
        &month,
        publish,
        actor.username(),
        state.clock.now(),
    )
    .map_err(|error| match error {
        DecisionError::NotImported { .. } => ApiError::invalid("period", error.to_string()),
        DecisionError::NotPublished { .. } => ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "not_published",
            error.to_string(),
        ),
    })?;
    let store = state.engine.store();
    store.put_publication(&record).await?;
    let action = if publish {
        AuditAction::Publish
    } else {
        AuditAction::Withdraw
    };
    let target = format!("{} {}", record.fund, record.period);
    let detail = format!("{} payments, {} fen", record.payments, record.total_fen);
    let entry = AuditEntry::new(state.clock.now(), actor.username(), action, &target)
        .with_client(client_ip(&parts))
        .with_detail(&detail);
    crate::audit::record(store, entry).await;
    state
        .public
        .redecide(store, &state.engine.shared_regions())
        .await?;
    let (ledger, _) = state.public.current();
    let decisions = store.publications().await?;
    Ok(Json(month_json(&ledger, &month, &decisions)))
}

fn month_json(
    ledger: &Ledger,
    month: &Month,
    decisions: &[crate::store::PublicationRecord],
) -> Value {
    let (total, state) = ledger
        .months()
        .get(month)
        .copied()
        .unwrap_or((Total::default(), MonthState::Unpublished));
    let period = month.1.to_string();
    let decision = decisions
        .iter()
        .find(|d| d.fund == month.0.as_str() && d.period == period);
    json!({
        "fund": month.0.as_str(),
        "fund_name": month.0.chinese_name(),
        "period": period,
        "payments": total.payments,
        "total_fen": total.fen,
        "total_yuan": total.amount().to_string(),
        "state": state.as_str(),
        "decided_by": decision.map(|d| d.by.clone()),
        "decided_at": decision.map(|d| d.at),
    })
}
