//! `/charts/{trend,rectification,domains}.svg?region=CODE`: charts drawn on the server,
//! cached and redrawn when their data changes (see `crate::charts`).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::maps::svg_response;
use super::regions::readable_region;
use super::wire::Problem;
use crate::auth::Actor;
use crate::charts::{ChartKey, ChartKind, MAX_DAYS};

/// The query every chart takes; `days` only for the trend.
#[derive(Debug, Deserialize)]
pub struct ChartQuery {
    pub region: Option<String>,
    pub days: Option<String>,
}

/// `GET /charts/{trend,rectification,domains}.svg?region=CODE` (`days` for the trend).
#[utoipa::path(get, path = "/charts/{file}", tag = "regions",
    summary = "A chart drawn on the server: `trend.svg` (raised and rectified per day, Asia/Shanghai), `rectification.svg` (on-time rate per child region), `domains.svg` (warnings by rule domain)",
    params(
        ("file" = String, Path, description = "trend.svg, rectification.svg or domains.svg"),
        ("region" = Option<String>, Query, description = "The region (12 digits); the caller's own by default"),
        ("days" = Option<u32>, Query, description = "The trend's days, 1 to 366 (default 30)"),
    ),
    responses(
        (status = 200, description = "The chart; `ETag`, `Cache-Control: no-cache`", content_type = "image/svg+xml", body = String),
        (status = 304, description = "Not modified since the ETag sent"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such chart, or no such region the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is wrong (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn chart(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(file): Path<String>,
    headers: HeaderMap,
    Query(query): Query<ChartQuery>,
) -> Result<Response, ApiError> {
    let kind = match file.as_str() {
        "trend.svg" => ChartKind::Trend,
        "rectification.svg" => ChartKind::Rectification,
        "domains.svg" => ChartKind::Domains,
        _ => return Err(ApiError::not_found(format!("no chart named {file}"))),
    };
    let key = parse_key(&state, &actor, &query, kind)?;
    let drawn = state
        .charts
        .chart(&state.engine, &state.catalogue, key)
        .map_err(|e| ApiError::internal(&e))?;
    Ok(svg_response(
        &headers,
        &drawn.etag,
        drawn.svg.as_ref().clone(),
    ))
}

/// The region defaults to the actor's own; `days` to 30, at most `MAX_DAYS`.
fn parse_key(
    state: &AppState,
    actor: &Actor,
    query: &ChartQuery,
    kind: ChartKind,
) -> Result<ChartKey, ApiError> {
    let region = readable_region(
        state,
        actor,
        query.region.as_deref().unwrap_or(actor.region().as_str()),
    )?;
    let days = match (kind, query.days.as_deref()) {
        (ChartKind::Trend, None) => 30,
        (ChartKind::Trend, Some(text)) => text
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| {
                ApiError::invalid(
                    "days",
                    format!("days must be a whole number from 1 to {MAX_DAYS}, found '{text}'"),
                )
            })?,
        (_, Some(_)) => return Err(ApiError::invalid("days", "only the trend chart takes days")),
        (_, None) => 0,
    };
    Ok(ChartKey { kind, region, days })
}
