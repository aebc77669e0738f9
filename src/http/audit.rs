//! `GET /api/audit`: the audit log, newest first, for the city office only.
//!
//! Reading the log is not itself recorded: an auditor paging through it would otherwise add
//! a record per page and the log would mostly record its own reading. Exporting records
//! (the `export` action) is a separate, recorded act.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::wire::{AuditPage, AuditRecordView, Problem};
use crate::audit::{AuditAction, AuditFilter, StoredAudit};
use crate::auth::Role;
use crate::store::MAX_AUDIT_PAGE;

/// The page size when `limit` is not given.
const DEFAULT_LIMIT: usize = 100;

/// The parameters of one request, checked.
#[derive(Debug, PartialEq)]
struct AuditQuery {
    filter: AuditFilter,
    after: Option<u64>,
    limit: usize,
}

/// `GET /api/audit?action=&actor=&from=&to=&after=&limit=`: `{records, next}`; pass `next` as
/// `after` for the following (older) page. A page may hold fewer than `limit` records and
/// still have a `next`: the listing is over when `next` is null.
#[utoipa::path(get, path = "/api/audit", tag = "audit",
    summary = "The audit log, newest first (city office)",
    params(
        ("action" = Option<String>, Query, description = "Only records of this action, e.g. login, import, publish, unmask"),
        ("actor" = Option<String>, Query, description = "Only records of this username"),
        ("from" = Option<String>, Query, description = "From this RFC 3339 time, or this day (YYYY-MM-DD, Asia/Shanghai)"),
        ("to" = Option<String>, Query, description = "Up to and including this time or day"),
        ("after" = Option<u64>, Query, description = "The previous page's `next`"),
        ("limit" = Option<usize>, Query, description = "At most this many records (default 100)"),
    ),
    responses(
        (status = 200, description = "A page of records", body = AuditPage),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the city office reads the audit log", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is wrong or unknown (`field` names it)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<AuditPage>, ApiError> {
    if actor.role() != Role::CityOffice {
        return Err(ApiError::forbidden(
            "only the city office reads the audit log",
        ));
    }
    let query = AuditQuery::parse(&params)?;
    let page = state
        .engine
        .store()
        .audit_page(&query.filter, query.after, query.limit)
        .await?;
    let records = page.records.iter().map(record_view).collect();
    Ok(Json(AuditPage {
        records,
        next: page.next,
    }))
}

/// A record as the API shows it: the stored text, exactly what its hash covers.
fn record_view(record: &StoredAudit) -> AuditRecordView {
    AuditRecordView {
        seq: record.seq,
        at: record.at.clone(),
        actor: record.actor.clone(),
        client: record.client.clone(),
        action: record.action.clone(),
        target: record.target.clone(),
        detail: record.detail.clone(),
        hash: record.hash.clone(),
        prev_hash: record.prev_hash.clone(),
    }
}

impl AuditQuery {
    /// Every parameter is optional and an empty one counts as absent (a form's empty field);
    /// an unknown or unreadable one is refused with 422 naming it.
    fn parse(params: &HashMap<String, String>) -> Result<AuditQuery, ApiError> {
        const KNOWN: [&str; 6] = ["action", "actor", "from", "to", "after", "limit"];
        if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            let known = KNOWN.join(", ");
            return Err(ApiError::invalid(
                unknown,
                format!("unknown parameter {unknown:?}; the parameters are {known}"),
            ));
        }
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let action = get("action")
            .map(AuditAction::parse)
            .transpose()
            .map_err(|e| ApiError::invalid("action", e.to_string()))?;
        let from = get("from").map(|v| parse_bound(v, "from")).transpose()?;
        let until = get("to").map(|v| parse_bound(v, "to")).transpose()?;
        let until = until.map(|bound| bound.end());
        let from = from.map(|bound| bound.start);
        if let (Some(from), Some(until)) = (from, until)
            && until <= from
        {
            return Err(ApiError::invalid("to", "to must not be before from"));
        }
        Ok(AuditQuery {
            filter: AuditFilter {
                action,
                actor: get("actor").map(str::to_string),
                from,
                until,
            },
            after: get("after").map(|v| parse_number(v, "after")).transpose()?,
            limit: get("limit").map_or(Ok(DEFAULT_LIMIT), parse_limit)?,
        })
    }
}

/// A `from` or `to` value: an instant, or a whole day.
struct Bound {
    start: DateTime<Utc>,
    whole_day: bool,
}

impl Bound {
    /// The first instant after the bound, so that `to` includes what it names: the whole
    /// day for a date, the instant itself (records are kept to the microsecond) otherwise.
    fn end(&self) -> DateTime<Utc> {
        match self.whole_day {
            true => self.start + Duration::days(1),
            false => self.start + Duration::microseconds(1),
        }
    }
}

/// RFC 3339 (`2026-03-02T09:00:00+08:00`) or a date (`2026-03-02`, a day in Asia/Shanghai).
fn parse_bound(text: &str, field: &str) -> Result<Bound, ApiError> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(Bound {
            start: instant.with_timezone(&Utc).trunc_subsecs(6),
            whole_day: false,
        });
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid(
            field,
            format!("{field} must be a date (YYYY-MM-DD) or an RFC 3339 time, not {text:?}"),
        )
    })?;
    Ok(Bound {
        start: crate::domain::date::shanghai_midnight(date),
        whole_day: true,
    })
}

fn parse_number(text: &str, field: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::invalid(
            field,
            format!("{field} must be a whole number, not {text:?}"),
        )
    })
}

fn parse_limit(text: &str) -> Result<usize, ApiError> {
    let refused = || {
        ApiError::invalid(
            "limit",
            format!("limit must be a whole number from 1 to {MAX_AUDIT_PAGE}, not {text:?}"),
        )
    };
    let limit: usize = text.parse().map_err(|_| refused())?;
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return Err(refused());
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parse(pairs: &[(&str, &str)]) -> Result<AuditQuery, ApiError> {
        let params = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AuditQuery::parse(&params)
    }

    fn field_of(error: ApiError) -> String {
        assert_eq!(error.status, 422);
        error.extra["field"].as_str().unwrap().to_string()
    }

    #[test]
    fn audit_query_defaults_and_dates_are_china_days() {
        let query = parse(&[("actor", ""), ("action", "login_failed")]).unwrap();
        assert_eq!(query.limit, DEFAULT_LIMIT);
        assert_eq!(query.filter.actor, None);
        assert_eq!(query.filter.action, Some(AuditAction::LoginFailed));

        let query = parse(&[("from", "2026-03-02"), ("to", "2026-03-02")]).unwrap();
        let utc = |d, h| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
        assert_eq!(query.filter.from, Some(utc(1, 16)));
        assert_eq!(query.filter.until, Some(utc(2, 16)));

        let query = parse(&[("to", "2026-03-02T09:00:00+08:00"), ("after", "7")]).unwrap();
        assert_eq!(
            query.filter.until,
            Some(utc(2, 1) + Duration::microseconds(1))
        );
        assert_eq!(query.after, Some(7));
    }

    #[test]
    fn audit_query_refusals_name_the_field() {
        for (pairs, field) in [
            (vec![("limit", "0")], "limit"),
            (vec![("limit", "501")], "limit"),
            (vec![("limit", "ten")], "limit"),
            (vec![("action", "dance")], "action"),
            (vec![("from", "2026-13-01")], "from"),
            (vec![("to", "yesterday")], "to"),
            (vec![("after", "-1")], "after"),
            (vec![("from", "2026-03-03"), ("to", "2026-03-02")], "to"),
            (vec![("sort", "asc")], "sort"),
        ] {
            let error = parse(&pairs).expect_err(field);
            assert_eq!(field_of(error), field, "{pairs:?}");
        }
        assert_eq!(parse(&[("limit", "500")]).unwrap().limit, 500);
    }
}
