//! `/api/warnings`: raise, list, read one, and send it commands.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::AuthUser;
use super::error::{ApiError, ApiJson};
use super::wire::{DeliveryView, Problem, WarningPage, WarningView};
use crate::domain::region::RegionCode;
use crate::engine::{NewWarning, WarningFilter};
use crate::projections::ListKey;
use crate::workflow::{Colour, Command, Severity, Step};

/// A warning raised by hand (a petition, an inspection).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseRequest {
    /// The 12-digit code of the region it concerns.
    pub region: String,
    /// At most 200 characters.
    pub title: String,
    /// `high`, `medium` or `low`.
    pub severity: String,
    /// What it is about; at most 500 characters.
    pub subject: String,
}

/// `POST /api/warnings`: raise a warning by hand.
#[utoipa::path(post, path = "/api/warnings", tag = "warnings",
    summary = "Raise a warning by hand (an office, within its region)",
    request_body = RaiseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Raise at most once: the same key again answers the first warning (200)")),
    responses(
        (status = 201, description = "Raised, with its history", body = WarningView),
        (status = 200, description = "Already raised under this Idempotency-Key", body = WarningView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this actor's role or region", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the route's limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn raise(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RaiseRequest>,
) -> Result<(StatusCode, Json<WarningView>), ApiError> {
    let region =
        RegionCode::parse(&body.region).map_err(|e| ApiError::invalid("region", e.to_string()))?;
    let severity = Severity::parse(&body.severity).ok_or_else(|| {
        ApiError::invalid(
            "severity",
            format!(
                "severity must be high, medium or low, not {:?}",
                body.severity
            ),
        )
    })?;
    let title = non_empty("title", &body.title, 200)?;
    let subject = non_empty("subject", &body.subject, 500)?;
    let key = idempotency_key(&headers)?;
    let new = NewWarning {
        region,
        title,
        severity,
        subject,
    };
    let outcome = state.engine.raise(&actor, new, key.as_deref()).await?;
    state.metrics.command("raise", "ok");
    let history = state.engine.history(&outcome.warning.id).await?;
    let view = WarningView::of(&state.engine, &actor, &outcome.warning, Some(&history));
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only warnings within this region (12 digits).
    pub region: Option<String>,
    /// `red`, `yellow` or `green`.
    pub level: Option<String>,
    /// A lifecycle state, e.g. `red_issued`, `rectifying`, `observing`.
    pub state: Option<String>,
    /// A rule's catalogue code.
    pub rule: Option<String>,
    pub overdue: Option<bool>,
    /// At most this many items (default 200, at most 1,000).
    pub limit: Option<usize>,
    /// The previous page's `next`: this page starts after it.
    pub after: Option<String>,
    /// Refused: pages are reached by `after`, so that a deep page costs what the first does.
    pub offset: Option<usize>,
}

/// `GET /api/warnings`: the warnings the actor may read, newest first, a page at a time
/// (`next` is the cursor of the page after; `total` how many match in all).
#[utoipa::path(get, path = "/api/warnings", tag = "warnings",
    summary = "The warnings the caller may read, newest first, a page at a time",
    params(ListQuery),
    responses(
        (status = 200, description = "A page; pass `next` as `after` for the next one", body = WarningPage),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is wrong (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<WarningPage>, ApiError> {
    let filter = WarningFilter {
        region: query
            .region
            .as_deref()
            .map(RegionCode::parse)
            .transpose()
            .map_err(|e| ApiError::invalid("region", e.to_string()))?,
        colour: query.level.as_deref().map(parse_colour).transpose()?,
        step: query.state.as_deref().map(parse_step).transpose()?,
        rule: query.rule.clone(),
        overdue: query.overdue,
    };
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    no_offset(query.offset)?;
    let after = cursor(query.after.as_deref(), ListKey::from_cursor)?;
    let page = state
        .engine
        .list_page(&actor, &filter, after.as_ref(), limit);
    Ok(Json(WarningPage::of(&state.engine, &actor, page, limit)))
}

/// The `after` of a page request, read by `parse` (422 if it is not a `next` we gave).
pub(super) fn cursor<K>(
    after: Option<&str>,
    parse: fn(&str) -> Option<K>,
) -> Result<Option<K>, ApiError> {
    after
        .map(|text| {
            parse(text).ok_or_else(|| {
                ApiError::invalid("after", "after must be the `next` of a previous page")
            })
        })
        .transpose()
}

/// Lists are paged by cursor; an `offset` is refused with what to do instead.
pub(super) fn no_offset(offset: Option<usize>) -> Result<(), ApiError> {
    match offset {
        None => Ok(()),
        Some(_) => Err(ApiError::invalid(
            "offset",
            "lists are paged by cursor: pass the previous page's `next` as `after`",
        )),
    }
}

/// `GET /api/warnings/{id}`: one warning with its full history.
#[utoipa::path(get, path = "/api/warnings/{id}", tag = "warnings",
    summary = "One warning with its full history",
    params(("id" = String, Path, description = "The warning's id, e.g. W20260302-3F9A1C")),
    responses(
        (status = 200, description = "The warning", body = WarningView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warning the caller may read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<WarningView>, ApiError> {
    let warning = state.engine.warning_for(&actor, &id)?;
    let history = state.engine.history(&id).await?;
    let deliveries = state.engine.store().deliveries_of(&id).await?;
    let mut view = WarningView::of(&state.engine, &actor, &warning, Some(&history));
    view.deliveries = Some(deliveries.iter().map(DeliveryView::of).collect());
    Ok(Json(view))
}

/// `POST /api/warnings/{id}/commands`: `{"type": ..., ...}`, with an optional
/// `Idempotency-Key` header and an optional `If-Match: VERSION` header.
#[utoipa::path(post, path = "/api/warnings/{id}/commands", tag = "warnings",
    summary = "Send a warning a command of its lifecycle (acknowledge, submit_rectification, verify_rectification, urge, supervise, dismiss, …)",
    params(
        ("id" = String, Path, description = "The warning's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Apply at most once: the same key again answers the first result"),
        ("If-Match" = Option<u64>, Header, description = "The version the caller saw; a newer one is refused with 409 version_conflict"),
    ),
    request_body = Command,
    responses(
        (status = 200, description = "The warning after the command, with its history", body = WarningView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this actor's role or region", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warning the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not applicable in its state (`state`, `allowed`) or a version conflict", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the route's limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid command (`commands` lists them) or a field is wrong", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn command(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<WarningView>, ApiError> {
    // The path names the field a value is wrong in (`people`, `handling[0]`), when there
    // is one: a number too large for its field, an unknown handling.
    let command: Command = serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        let mut extra = json!({ "commands": Command::KINDS });
        if path != "." {
            extra["field"] = json!(path);
        }
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_command",
            format!("the command is not valid: {}", e.inner()),
        )
        .with(extra)
    })?;
    let key = idempotency_key(&headers)?;
    let expected = if_match(&headers)?;
    // Cited photos are fields (422), checked after role and region (403), as every field is.
    if let Command::SubmitRectification { attachments, .. } = &command {
        let warning = state.engine.warning_for(&actor, &id)?;
        if crate::auth::can_write(&actor, &warning.region) {
            super::attachments::check_cited(&state, &id, attachments).await?;
        }
    }
    let kind = command.kind();
    let result = state
        .engine
        .execute(&actor, &id, &command, expected, key.as_deref())
        .await;
    state
        .metrics
        .command(kind, if result.is_ok() { "ok" } else { "refused" });
    let outcome = result?;
    let history = state.engine.history(&id).await?;
    Ok(Json(WarningView::of(
        &state.engine,
        &actor,
        &outcome.warning,
        Some(&history),
    )))
}

fn non_empty(field: &str, text: &str, max_chars: usize) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if text.chars().count() > max_chars {
        return Err(ApiError::invalid(
            field,
            format!("{field} must be at most {max_chars} characters"),
        ));
    }
    Ok(text.to_string())
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "the Idempotency-Key header must be 1 to 200 visible characters",
            )
        })?;
    Ok(Some(key.to_string()))
}

fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("if-match") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_matches('"'))
        .and_then(|v| v.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid("If-Match", "If-Match must be the warning's version number")
        })
}

fn parse_colour(text: &str) -> Result<Colour, ApiError> {
    match text {
        "red" => Ok(Colour::Red),
        "yellow" => Ok(Colour::Yellow),
        "green" => Ok(Colour::Green),
        other => Err(ApiError::invalid(
            "level",
            format!("level must be red, yellow or green, not {other:?}"),
        )),
    }
}

fn parse_step(text: &str) -> Result<Step, ApiError> {
    Step::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::invalid(
                "state",
                format!("state must be one of {}, not {text:?}", names.join(", ")),
            )
        })
}
