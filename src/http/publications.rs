//! `GET /api/publications` and `POST /api/publications`: the city office decides which
//! fund's months the public pages show. A decision is audited and takes effect at once
//! (the public ledger is rebuilt before the answer).

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;

use super::AppState;
use super::auth::AuthUser;
use super::client::client_ip;
use super::error::{ApiError, ApiJson};
use super::wire::{Problem, PublicationDecision, PublicationList, PublicationMonth};
use crate::audit::{AuditAction, AuditEntry};
use crate::auth::Role;
use crate::import::value::Fund;
use crate::public::{DecisionError, Ledger, Month, MonthState, Total, decide};

/// `GET /api/publications`: every imported month with its total and state (city office
/// and city leader).
#[utoipa::path(get, path = "/api/publications", tag = "public pages",
    summary = "Every imported welfare month with its payments, total and whether the public sees it (city office and leaders)",
    responses(
        (status = 200, description = "The months", body = PublicationList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the city office or a city leader", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<PublicationList>, ApiError> {
    if !matches!(actor.role(), Role::CityOffice | Role::CityLeader) {
        return Err(ApiError::forbidden(
            "only the city office and city leaders see the publication decisions",
        ));
    }
    let (ledger, _) = state.public.current();
    let decisions = state.engine.store().publications().await?;
    let months = ledger
        .months()
        .keys()
        .map(|month| month_json(&ledger, month, &decisions))
        .collect();
    Ok(Json(PublicationList { months }))
}

/// `POST /api/publications` `{fund, period, action: "publish" | "withdraw"}` (city office).
#[utoipa::path(post, path = "/api/publications", tag = "public pages",
    summary = "Publish a fund's month on the public pages, or withdraw it (city office; audited)",
    request_body = PublicationDecision,
    responses(
        (status = 200, description = "The month as now decided", body = PublicationMonth),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the city office", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Withdrawing a month that is not published", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the route's limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong, or the month was never imported", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn decide_one(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
    ApiJson(body): ApiJson<PublicationDecision>,
) -> Result<Json<PublicationMonth>, ApiError> {
    if actor.role() != Role::CityOffice {
        return Err(ApiError::forbidden(
            "only the city office publishes payments",
        ));
    }
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
) -> PublicationMonth {
    let (total, state) = ledger
        .months()
        .get(month)
        .copied()
        .unwrap_or((Total::default(), MonthState::Unpublished));
    let period = month.1.to_string();
    let decision = decisions
        .iter()
        .find(|d| d.fund == month.0.as_str() && d.period == period);
    PublicationMonth {
        fund: month.0.as_str().to_string(),
        fund_name: month.0.chinese_name().to_string(),
        period,
        payments: total.payments,
        total_fen: total.fen,
        total_yuan: total.amount().to_string(),
        state: state.as_str(),
        decided_by: decision.map(|d| d.by.clone()),
        decided_at: decision.map(|d| d.at),
    }
}
