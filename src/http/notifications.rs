//! `GET /api/notifications` and `POST /api/notifications/{key}/resend`: the city office's
//! view of what the outbox could not deliver (dead letters, uncertain sends, messages
//! nobody could be found for) and its resend, audited.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;

use super::AppState;
use super::auth::{AuthUser, city_office_only};
use super::client::client_ip;
use super::error::ApiError;
use super::wire::{DeliveryList, DeliveryView, Problem};
use crate::audit::{AuditAction, AuditEntry};

/// Every status a delivery can have, and the ones listed when none is asked for.
const STATUSES: [&str; 7] = [
    "pending",
    "sending",
    "retrying",
    "sent",
    "dead",
    "uncertain",
    "unaddressed",
];
const NEEDS_ACTION: [&str; 3] = ["dead", "uncertain", "unaddressed"];

/// The most a list answers.
const MAX_LIMIT: usize = 200;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses; default `dead,uncertain,unaddressed`.
    status: Option<String>,
    /// At most 200; default 100.
    limit: Option<usize>,
}

/// `GET /api/notifications?status=dead,uncertain&limit=100` (city office).
#[utoipa::path(get, path = "/api/notifications", tag = "notifications",
    summary = "Notifications by status, newest change first: by default the ones that need the city office (dead letters, uncertain sends, no contact)",
    params(ListQuery),
    responses(
        (status = 200, description = "The deliveries", body = DeliveryList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the city office", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status or a limit out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    city_office_only(&actor, "sees and resends undelivered notifications")?;
    let limit = query.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    let mut statuses = Vec::new();
    match query.status.as_deref() {
        None | Some("") => statuses.extend(NEEDS_ACTION),
        Some(text) => {
            for part in text.split(',').map(str::trim).take(STATUSES.len() + 1) {
                let Some(status) = STATUSES.iter().find(|s| **s == part) else {
                    let shown: String = part.chars().take(40).collect();
                    return Err(ApiError::invalid(
                        "status",
                        format!(
                            "unknown status {shown:?}; expected some of {}",
                            STATUSES.join(", ")
                        ),
                    ));
                };
                statuses.push(*status);
            }
        }
    }
    let records = state.engine.store().deliveries_in(&statuses, limit).await?;
    Ok(Json(DeliveryList {
        items: records.iter().map(DeliveryView::of).collect(),
    }))
}

/// `POST /api/notifications/{key}/resend` (city office; audited).
#[utoipa::path(post, path = "/api/notifications/{key}/resend", tag = "notifications",
    summary = "Put a dead or uncertain notification back in the outbox, due now (city office; audited)",
    params(("key" = String, Path, description = "The delivery's key")),
    responses(
        (status = 200, description = "The delivery, waiting again", body = DeliveryView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the city office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is neither dead nor uncertain", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn resend(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
    Path(key): Path<String>,
) -> Result<Json<DeliveryView>, ApiError> {
    city_office_only(&actor, "sees and resends undelivered notifications")?;
    if key.len() > 300 {
        return Err(ApiError::not_found("no such delivery"));
    }
    let store = state.engine.store();
    let Some(before) = store.delivery(&key).await? else {
        return Err(ApiError::not_found("no such delivery"));
    };
    let now = state.outbox.now();
    if !store.resend_delivery(&key, now.timestamp_millis()).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_resendable",
            format!(
                "the delivery is {}, neither dead nor uncertain",
                before.status
            ),
        ));
    }
    let entry = AuditEntry::new(
        state.clock.now(),
        actor.username(),
        AuditAction::NotificationResent,
        &key,
    )
    .with_client(client_ip(&parts))
    .with_detail(&format!(
        "{} {} {}",
        before.warning, before.channel, before.status
    ));
    crate::audit::record(store, entry).await;
    let after = store.delivery(&key).await?.unwrap_or(before);
    Ok(Json(DeliveryView::of(&after)))
}
