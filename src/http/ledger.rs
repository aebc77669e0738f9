//! The ledger of suspected clues (疑似问题线索台账) for town and city offices: `GET
//! /api/ledger` (a page), `GET /api/ledger.xlsx` (the export, `ledger_xlsx.rs`) and `GET
//! /api/funnel` (whether supervision works). Scoped by the actor's region.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use chrono::{Datelike, NaiveDate};

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::wire::{FunnelView, LedgerPageView, LedgerRow, Problem};
use crate::auth::Actor;
use crate::domain::date::shanghai_day;
use crate::domain::region::RegionCode;
use crate::engine::LedgerFilter;
use crate::projections::ListKey;
use crate::workflow::Finding;

/// The parameters of a ledger request, checked.
pub(super) struct LedgerQuery {
    pub filter: LedgerFilter,
    pub after: Option<ListKey>,
    pub limit: usize,
}

const KNOWN: [&str; 9] = [
    "town", "village", "rule", "finding", "from", "to", "after", "limit", "region",
];

impl LedgerQuery {
    /// Every parameter is optional, an empty one counts as absent; an unknown or
    /// unreadable one is refused with 422 naming it.
    pub(super) fn parse(params: &HashMap<String, String>) -> Result<LedgerQuery, ApiError> {
        if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(ApiError::invalid(
                unknown,
                format!("unknown parameter; the parameters are {}", KNOWN.join(", ")),
            ));
        }
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let region = |name: &'static str| {
            get(name)
                .map(RegionCode::parse)
                .transpose()
                .map_err(|e| ApiError::invalid(name, e.to_string()))
        };
        // The narrowest of the three region parameters wins; they must agree.
        let mut chosen: Option<RegionCode> = None;
        for name in ["region", "town", "village"] {
            if let Some(code) = region(name)? {
                if chosen.is_some_and(|c| !code.is_within(&c)) {
                    return Err(ApiError::invalid(
                        name,
                        format!("{name} is not within the region asked"),
                    ));
                }
                chosen = Some(code);
            }
        }
        let finding = match get("finding") {
            None => None,
            Some("pending") => Some(None),
            Some(text) => Some(Some(Finding::parse(text).ok_or_else(|| {
                ApiError::invalid(
                    "finding",
                    "finding must be substantiated, partly_substantiated, unsubstantiated or pending",
                )
            })?)),
        };
        let day = |name: &'static str| {
            get(name)
                .map(|v| {
                    NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| ApiError::invalid(name, format!("{name} must be YYYY-MM-DD")))
                })
                .transpose()
        };
        let (from, to) = (day("from")?, day("to")?);
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(ApiError::invalid("to", "to must not be before from"));
        }
        let rule = get("rule").map(str::to_string);
        if rule.as_ref().is_some_and(|r| r.chars().count() > 64) {
            return Err(ApiError::invalid(
                "rule",
                "rule must be at most 64 characters",
            ));
        }
        let limit = match get("limit") {
            None => 100,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| ApiError::invalid("limit", "limit must be 1 to 500"))?,
        };
        let after = super::warnings::cursor(get("after"), ListKey::from_cursor)?;
        Ok(LedgerQuery {
            filter: LedgerFilter {
                region: chosen,
                rule,
                finding,
                from,
                to,
            },
            after,
            limit,
        })
    }
}

/// Only offices keep the ledger.
pub(super) fn office_only(actor: &Actor) -> Result<(), ApiError> {
    super::auth::offices_only(actor, "keep the ledger")
}

/// The Chinese name of a catalogue rule.
pub(super) fn rule_namer(state: &AppState) -> impl Fn(&str) -> Option<String> + '_ {
    |code: &str| state.catalogue.get(code).map(|r| r.name_zh.clone())
}

/// `GET /api/ledger`.
#[utoipa::path(get, path = "/api/ledger", tag = "ledger",
    summary = "The ledger of suspected clues (疑似问题线索台账), newest found first (town and city offices)",
    params(
        ("town" = Option<String>, Query, description = "Only this town (12 digits)"),
        ("village" = Option<String>, Query, description = "Only this village (12 digits)"),
        ("region" = Option<String>, Query, description = "Only within this region (12 digits)"),
        ("rule" = Option<String>, Query, description = "Only this rule's code"),
        ("finding" = Option<String>, Query, description = "substantiated, partly_substantiated, unsubstantiated, or pending (no outcome yet)"),
        ("from" = Option<String>, Query, description = "Found on or after this day (YYYY-MM-DD, Asia/Shanghai)"),
        ("to" = Option<String>, Query, description = "Found on or before this day"),
        ("after" = Option<String>, Query, description = "The previous page's `next`"),
        ("limit" = Option<usize>, Query, description = "At most this many rows (default 100, at most 500)"),
    ),
    responses(
        (status = 200, description = "A page of rows", body = LedgerPageView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a town or city office", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is wrong or unknown (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<LedgerPageView>, ApiError> {
    office_only(&actor)?;
    let query = LedgerQuery::parse(&params)?;
    let page = state
        .engine
        .ledger_page(&actor, &query.filter, query.after.as_ref(), query.limit);
    let tree = state.engine.regions();
    let names = rule_namer(&state);
    Ok(Json(LedgerPageView {
        total: page.total,
        limit: query.limit,
        next: page.next,
        items: page
            .items
            .iter()
            .map(|e| LedgerRow::of(tree, &names, e))
            .collect(),
    }))
}

/// `GET /api/funnel?region=&year=`.
#[utoipa::path(get, path = "/api/funnel", tag = "ledger",
    summary = "Whether supervision works: a year's warnings raised → found true → people handled → money returned, by town, and each rule's findings",
    params(
        ("region" = Option<String>, Query, description = "Within this region (default: the caller's)"),
        ("year" = Option<i32>, Query, description = "The year the warnings were raised (default: this year, Beijing time)"),
    ),
    responses(
        (status = 200, description = "The funnel", body = FunnelView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a town or city office, or a region outside the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is wrong or unknown (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn funnel(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<FunnelView>, ApiError> {
    office_only(&actor)?;
    if let Some(unknown) = params
        .keys()
        .find(|k| !["region", "year"].contains(&k.as_str()))
    {
        return Err(ApiError::invalid(
            unknown,
            "unknown parameter; the parameters are region, year",
        ));
    }
    let region = match params.get("region").filter(|v| !v.is_empty()) {
        None => *actor.region(),
        Some(text) => {
            RegionCode::parse(text).map_err(|e| ApiError::invalid("region", e.to_string()))?
        }
    };
    if !region.is_within(actor.region()) {
        return Err(ApiError::forbidden("the region is outside the caller's"));
    }
    let year = match params.get("year").filter(|v| !v.is_empty()) {
        None => shanghai_day(state.engine.now()).year(),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| ApiError::invalid("year", "year must be 2000 to 2100"))?,
    };
    let tree = state.engine.regions();
    let names = rule_namer(&state);
    Ok(Json(
        state
            .engine
            .read(|p| FunnelView::of(p, tree, &region, year, &names)),
    ))
}
