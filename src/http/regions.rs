//! `/api/regions`: the region tree, rolled-up summaries and the overdue list.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::wire::{ChildRow, Problem, RegionList, RegionRow, RegionSummary, WarningPage};
use crate::auth::{Actor, can_read};
use crate::domain::region::RegionCode;
use crate::projections::OverdueKey;

/// `GET /api/regions`: the regions the actor may read.
#[utoipa::path(get, path = "/api/regions", tag = "regions",
    summary = "The regions the caller may read",
    responses(
        (status = 200, description = "Every region within the caller's own", body = RegionList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn tree(State(state): State<AppState>, AuthUser(actor): AuthUser) -> Json<RegionList> {
    let regions = state
        .engine
        .regions()
        .iter()
        .filter(|r| can_read(&actor, &r.code))
        .map(|r| RegionRow {
            code: r.code.as_str().to_string(),
            name: r.name.clone(),
            level: r.level,
            parent: r.parent.as_ref().map(|p| p.as_str().to_string()),
        })
        .collect();
    Json(RegionList { regions })
}

/// `GET /api/regions/{code}/summary`: counts rolled up over the region, and per child.
#[utoipa::path(get, path = "/api/regions/{code}/summary", tag = "regions",
    summary = "Counts rolled up over a region, and per child region",
    params(("code" = String, Path, description = "A 12-digit region code within the caller's region")),
    responses(
        (status = 200, description = "The region's summary", body = RegionSummary),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such region the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a region code", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn summary(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(code): Path<String>,
) -> Result<Json<RegionSummary>, ApiError> {
    let code = readable_region(&state, &actor, &code)?;
    let engine = &state.engine;
    let region = engine.regions().get(&code).expect("checked above");
    let today = start_of_day(engine.now());
    let (own, children, activity) = engine.read(|p| {
        let tree = engine.regions();
        let children: Vec<ChildRow> = tree
            .children(&code)
            .iter()
            .map(|child| ChildRow::of(p, tree, child))
            .collect();
        (p.rolled_up(&code), children, p.activity_since(&code, today))
    });
    Ok(Json(RegionSummary {
        counts: own.summary(),
        code: code.as_str().to_string(),
        name: region.name.clone(),
        level: region.level,
        worst: own.worst(),
        regions: children,
        raised_today: activity.raised,
        rectified_today: activity.rectified,
        today_since: today,
    }))
}

/// Midnight of the engine clock's day in Asia/Shanghai (UTC+8, no daylight saving), the
/// day a city's wall calls "today" (the same day the scan judges as of).
fn start_of_day(now: DateTime<Utc>) -> DateTime<Utc> {
    use crate::domain::date::{shanghai_day, shanghai_midnight};
    shanghai_midnight(shanghai_day(now))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only within this region (12 digits).
    pub region: Option<String>,
    /// At most this many items (default 200, at most 1,000).
    pub limit: Option<usize>,
    /// The previous page's `next`: this page starts after it.
    pub after: Option<String>,
    /// Refused: pages are reached by `after`.
    pub offset: Option<usize>,
}

/// `GET /api/overdue`: overdue and supervised warnings, longest overdue first.
#[utoipa::path(get, path = "/api/overdue", tag = "warnings",
    summary = "Overdue and supervised warnings, longest overdue first",
    params(OverdueQuery),
    responses(
        (status = 200, description = "A page; pass `next` as `after` for the next one", body = WarningPage),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such region the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is wrong (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn overdue(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(query): Query<OverdueQuery>,
) -> Result<Json<WarningPage>, ApiError> {
    let region = match query.region {
        Some(code) => Some(readable_region(&state, &actor, &code)?),
        None => None,
    };
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    super::warnings::no_offset(query.offset)?;
    let after = super::warnings::cursor(query.after.as_deref(), OverdueKey::from_cursor)?;
    let page = state
        .engine
        .overdue_page(&actor, region, after.as_ref(), limit);
    Ok(Json(WarningPage::of(&state.engine, &actor, page, limit)))
}

pub(super) fn readable_region(
    state: &AppState,
    actor: &Actor,
    code: &str,
) -> Result<RegionCode, ApiError> {
    let code = RegionCode::parse(code).map_err(|e| ApiError::invalid("code", e.to_string()))?;
    if state.engine.regions().get(&code).is_none() || !can_read(actor, &code) {
        return Err(ApiError::not_found(format!("region {code} not found")));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_starts_at_midnight_in_shanghai() {
        // 01:00 UTC is 09:00 in Shanghai: today began at 16:00 UTC the day before.
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 16, 0, 0).unwrap();
        assert_eq!(start_of_day(now), start);
        // 17:00 UTC is already the next day in Shanghai.
        let late = Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 0).unwrap();
        assert_eq!(
            start_of_day(late),
            Utc.with_ymd_and_hms(2026, 3, 2, 16, 0, 0).unwrap()
        );
    }
}
