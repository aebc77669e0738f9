//! `/api/warnings`: raise, list, read one, and send it commands.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::views::warning_view;
use crate::auth::Actor;
use crate::domain::region::RegionCode;
use crate::engine::Page;
use crate::engine::{NewWarning, WarningFilter};
use crate::projections::ListKey;
use crate::workflow::{Colour, Command, Severity, Step};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaiseRequest {
    pub region: String,
    pub title: String,
    pub severity: String,
    pub subject: String,
}

/// `POST /api/warnings`: raise a warning by hand.
pub async fn raise(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    Json(body): Json<RaiseRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    let view = warning_view(&state.engine, &actor, &outcome.warning, Some(&history));
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(view)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub region: Option<String>,
    pub level: Option<String>,
    pub state: Option<String>,
    pub rule: Option<String>,
    pub overdue: Option<bool>,
    pub limit: Option<usize>,
    /// The previous page's `next`: this page starts after it.
    pub after: Option<String>,
    /// Refused: pages are reached by `after`, so that a deep page costs what the first does.
    pub offset: Option<usize>,
}

/// `GET /api/warnings`: the warnings the actor may read, newest first, a page at a time
/// (`next` is the cursor of the page after; `total` how many match in all).
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(page_view(&state, &actor, page, limit)))
}

/// A page as JSON: `{total, limit, next, items}`.
pub(super) fn page_view(state: &AppState, actor: &Actor, page: Page, limit: usize) -> Value {
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|w| warning_view(&state.engine, actor, w, None))
        .collect();
    json!({ "total": page.total, "limit": limit, "next": page.next, "items": items })
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
pub async fn get_one(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let warning = state.engine.warning_for(&actor, &id)?;
    let history = state.engine.history(&id).await?;
    Ok(Json(warning_view(
        &state.engine,
        &actor,
        &warning,
        Some(&history),
    )))
}

/// `POST /api/warnings/{id}/commands`: `{"type": ..., ...}`, with an optional
/// `Idempotency-Key` header and an optional `If-Match: VERSION` header.
pub async fn command(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let command: Command = serde_json::from_value(body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_command",
            format!("the command is not valid: {e}"),
        )
        .with(json!({ "commands": Command::KINDS }))
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
    Ok(Json(warning_view(
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
