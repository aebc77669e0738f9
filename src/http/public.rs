//! The public pages (`/public`, no sign-in): the published welfare payments by region,
//! fund and month, and 查本人. Anyone may reach them, so every answer is built from the
//! ledger's masked data, every page is small and cacheable (ETag of the ledger's
//! generation), and the one form that searches personal data is limited per address and
//! audited.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::client::client_ip;
use super::public_pages::{
    Crumb, PAYMENTS_PER_PAGE, children_list, fund_table, layout, lookup_body, month_href,
    month_table, period_text, problem_page, region_href, yuan,
};
use super::rate::AddressLimiter;
use crate::audit::{AuditAction, AuditEntry};
use crate::domain::region::RegionCode;
use crate::domain::resident_id::ResidentId;
use crate::import::value::Fund;
use crate::public::mask::mask_id;
use crate::public::{Ledger, Month, Total};
use crate::regions::{Region, RegionTree};
use crate::security::PublicPolicy;

/// The public stylesheet, compiled into the binary like the screens.
const STYLESHEET: &[u8] = include_bytes!("../../screens/public/public.css");

/// The largest 查本人 form accepted, in bytes.
pub const MAX_LOOKUP_BYTES: usize = 1024;

/// The per-address limits of the public pages' forms, and the report form's challenges.
pub struct PublicLimits {
    pub lookups: AddressLimiter,
    pub reports: AddressLimiter,
    pub challenges: super::challenge::Challenges,
}

impl PublicLimits {
    pub fn new(policy: &PublicPolicy) -> PublicLimits {
        PublicLimits {
            lookups: AddressLimiter::per_minute(
                policy.lookups_per_minute_per_address,
                policy.lookup_burst_per_address,
            ),
            reports: AddressLimiter::per_hour(
                policy.reports_per_hour_per_address,
                policy.report_burst_per_address,
            ),
            challenges: super::challenge::Challenges::new(policy.report_min_seconds),
        }
    }

    /// Forgets addresses that have been quiet long enough to be back to a full burst.
    pub fn forget_idle(&self) {
        self.lookups.forget_idle();
        self.reports.forget_idle();
    }
}

/// `GET /public/assets/{file}`.
#[utoipa::path(get, path = "/public/assets/{file}", tag = "public pages",
    summary = "The public pages' style sheet",
    params(("file" = String, Path, description = "The file name")),
    responses(
        (status = 200, description = "The file"),
        (status = 404, description = "Not found", content_type = "text/html", body = String),
    ))]
pub async fn asset(Path(file): Path<String>) -> Response {
    if file != "public.css" {
        return problem(StatusCode::NOT_FOUND, "找不到该页面", "页面地址有误。");
    }
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// `GET /public`: the whole deployment's totals and its regions.
#[utoipa::path(get, path = "/public", tag = "public pages",
    summary = "The public pages (惠民资金公开): the published totals of the whole deployment, and its regions",
    responses(
        (status = 200, description = "The page; an ETag answers repeats with 304", content_type = "text/html", body = String),
    ))]
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let root = state.engine.regions().root().code;
    region_response(&state, &headers, &root)
}

/// `GET /public/`: the same page as `/public`.
#[utoipa::path(get, path = "/public/", tag = "public pages",
    summary = "The same page as /public",
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
pub async fn home_slash(state: State<AppState>, headers: HeaderMap) -> Response {
    home(state, headers).await
}

/// `GET /public/region/{code}`.
#[utoipa::path(get, path = "/public/region/{code}", tag = "public pages",
    summary = "A region's published totals and its children; a village's funds and months",
    params(("code" = String, Path, description = "A 12-digit region code")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 404, description = "Not found", content_type = "text/html", body = String),
    ))]
pub async fn region(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    match RegionCode::parse(&code) {
        Ok(code) if state.engine.regions().get(&code).is_some() => {
            region_response(&state, &headers, &code)
        }
        _ => not_found(),
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// `GET /public/region/{code}/{fund}/{period}?page=N`: one village's payments of a month.
#[utoipa::path(get, path = "/public/region/{code}/{fund}/{period}", tag = "public pages",
    summary = "One village's published payments of a fund's month, names and ID numbers masked",
    params(("code" = String, Path, description = "A village's 12-digit code"), ("fund" = String, Path, description = "The fund, e.g. dibao"), ("period" = String, Path, description = "YYYY-MM"), ("page" = Option<u32>, Query, description = "The page, from 1")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 404, description = "Not found", content_type = "text/html", body = String),
    ))]
pub async fn month(
    State(state): State<AppState>,
    Path((code, fund, period)): Path<(String, String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let regions = state.engine.regions();
    let (Ok(code), Ok(period)) = (RegionCode::parse(&code), period.parse()) else {
        return not_found();
    };
    let Some(village) = regions.get(&code) else {
        return not_found();
    };
    let page = match query.page.as_deref().map(str::parse::<usize>) {
        None => 1,
        Some(Ok(page)) if page >= 1 => page,
        Some(_) => return not_found(),
    };
    let month: Month = (Fund::parse(&fund), period);
    let (ledger, generation) = state.public.current();
    if let Some(unchanged) = not_modified(&headers, generation) {
        return unchanged;
    }
    let payments = ledger.payments(&code, &month);
    let pages = payments.len().div_ceil(PAYMENTS_PER_PAGE).max(1);
    if payments.is_empty() || page > pages {
        return not_found();
    }
    let total = payments.iter().map(|p| p.amount.fen()).sum::<i64>();
    let shown =
        &payments[(page - 1) * PAYMENTS_PER_PAGE..payments.len().min(page * PAYMENTS_PER_PAGE)];
    let title = format!(
        "{} · {} · {}",
        village.name,
        month.0.chinese_name(),
        period_text(period)
    );
    let base = month_href(code.as_str(), &month);
    let body = html! {
        h1 { (title) }
        p.summary { "共 " strong { (payments.len()) } " 笔，合计 " strong { (yuan(crate::domain::money::Fen::from_fen(total))) } " 元" }
        (super::public_pages::payment_table(shown, page, pages, &base))
        p { a.button href={"/public/report?region=" (code.as_str())} { "对这一期发放有疑问？我要反映" } }
    };
    let crumbs = crumbs(regions, &code, Some((base.clone(), period_text(period))));
    page_response(layout(&title, &crumbs, body), generation)
}

/// The 查本人 form: the resident's full name and 18-character ID number.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LookupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id: String,
}

/// `GET /public/lookup`: the 查本人 form.
#[utoipa::path(get, path = "/public/lookup", tag = "public pages",
    summary = "查本人: the form to look up one's own published payments",
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
    ))]
pub async fn lookup_form() -> Response {
    let body = lookup_body("", None, None);
    private_page(StatusCode::OK, layout("查本人", &[], body))
}

/// `POST /public/lookup`: a resident's own published payments, by full name and ID
/// number. The answer looks the same whether the ID exists or not; over the address's
/// rate it is 429; each lookup is audited with the ID masked.
#[utoipa::path(post, path = "/public/lookup", tag = "public pages",
    summary = "A resident's own published payments, by full name and ID number (audited with the ID masked); the same answer whether the ID exists or not",
    responses(
        (status = 200, description = "The payments, or that none were published", content_type = "text/html", body = String),
        (status = 422, description = "The form is not filled in right", content_type = "text/html", body = String),
        (status = 429, description = "Too many requests from this address (Retry-After)", content_type = "text/html", body = String),
    ))]
pub async fn lookup(
    State(state): State<AppState>,
    parts: Parts,
    form: Result<Form<LookupForm>, FormRejection>,
) -> Response {
    let client = client_ip(&parts);
    if let Err(wait) = state.public_limits.lookups.check(client) {
        let text = format!(
            "同一网络查询次数过多，请 {} 秒后再试。",
            wait.as_secs().max(1)
        );
        return too_many("查询过于频繁", &text, wait);
    }
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "内容过长",
                "查询只需要姓名和身份证号。",
            );
        }
        Err(_) => {
            let body = lookup_body("", Some("请填写姓名和身份证号。"), None);
            return private_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                layout("查本人", &[], body),
            );
        }
    };
    let name = form.name.trim();
    let shown_name: String = name.chars().filter(|c| !c.is_control()).take(20).collect();
    let refuse = |text: &str| {
        let body = lookup_body(&shown_name, Some(text), None);
        private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout("查本人", &[], body),
        )
    };
    let name_ok = (1..=20).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    let id = match (name_ok, form.id.trim().parse::<ResidentId>()) {
        (false, _) => return refuse("姓名应为 1 到 20 个字。"),
        (true, Err(_)) => {
            return refuse("身份证号不正确：应为 18 位，最后一位是数字或 X，并且校验位正确。");
        }
        (true, Ok(id)) => id,
    };
    let (ledger, _) = state.public.current();
    let regions = state.engine.regions();
    let found: Vec<_> = ledger
        .own_payments(id.as_str(), name)
        .iter()
        .map(|own| {
            let village = regions
                .get(&own.village)
                .map_or_else(String::new, |r| r.name.clone());
            (own.clone(), village)
        })
        .collect();
    let entry = AuditEntry::new(
        state.clock.now(),
        "anonymous",
        AuditAction::PublicLookup,
        &mask_id(id.as_str()),
    )
    .with_client(client)
    .with_detail(&format!("{} published payments shown", found.len()));
    crate::audit::record(state.engine.store(), entry).await;
    let body = lookup_body(&shown_name, None, Some(&found));
    private_page(StatusCode::OK, layout("查本人", &[], body))
}

/// A region's page: its totals, its children or (for a region without children, a
/// village) its months.
fn region_response(state: &AppState, headers: &HeaderMap, code: &RegionCode) -> Response {
    let (ledger, generation) = state.public.current();
    if let Some(unchanged) = not_modified(headers, generation) {
        return unchanged;
    }
    let regions = state.engine.regions();
    let region = regions.get(code).expect("the caller checked the code");
    let title = format!("{} 惠民资金公开", region.name);
    let body = region_body(&ledger, regions, region);
    page_response(
        layout(&title, &crumbs(regions, code, None), body),
        generation,
    )
}

fn region_body(ledger: &Ledger, regions: &RegionTree, region: &Region) -> Markup {
    let funds: Vec<(String, Total)> = ledger
        .fund_totals(&region.code)
        .into_iter()
        .map(|(fund, total)| (fund.chinese_name().to_string(), total))
        .collect();
    let children: Vec<(&Region, Total)> = regions
        .children(&region.code)
        .iter()
        .filter_map(|code| regions.get(code))
        .map(|child| (child, ledger.total(&child.code)))
        .collect();
    let empty = BTreeMap::new();
    let mut months: Vec<(&Month, Total)> = ledger
        .month_totals(&region.code)
        .unwrap_or(&empty)
        .iter()
        .map(|(month, total)| (month, *total))
        .collect();
    months.sort_by(|a, b| (b.0.1, &a.0.0).cmp(&(a.0.1, &b.0.0)));
    let village = children.is_empty().then_some(region.code.as_str());
    html! {
        h1 { (region.name) " 惠民资金公开" }
        section {
            h2 { "发放合计" }
            (fund_table(&funds))
        }
        @if !children.is_empty() {
            section {
                h2 { "下辖地区" }
                (children_list(&children))
            }
        }
        @if !months.is_empty() {
            section {
                h2 { "按月公开" @if village.is_some() { span.hint { "点期间查看名单" } } }
                (month_table(village, &months))
            }
        }
        @if let Some(village) = village {
            p { a.button href={"/public/report?region=" (village)} { "反映这个村（社区）的问题" } }
        }
    }
}

/// The trail from the root to `code`, and then `last` if given.
fn crumbs(regions: &RegionTree, code: &RegionCode, last: Option<Crumb>) -> Vec<Crumb> {
    let mut chain = regions.ancestors(code);
    chain.reverse();
    let mut crumbs: Vec<Crumb> = chain
        .iter()
        .filter_map(|code| regions.get(code))
        .map(|r| {
            let href = if r.parent.is_none() {
                "/public".to_string()
            } else {
                region_href(r.code.as_str())
            };
            (href, r.name.clone())
        })
        .collect();
    crumbs.extend(last);
    crumbs
}

fn etag(generation: u64) -> String {
    format!("\"pub-{generation:x}\"")
}

/// 304 if the browser holds the page of this generation.
fn not_modified(headers: &HeaderMap, generation: u64) -> Option<Response> {
    let tag = etag(generation);
    let held = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    held.split(',')
        .any(|candidate| candidate.trim().trim_start_matches("W/") == tag)
        .then(|| (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response())
}

/// A page of published data: anyone may cache it, but must check it is still current
/// (a withdrawal takes effect at once).
fn page_response(markup: Markup, generation: u64) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, "public, no-cache".to_string()),
            (header::ETAG, etag(generation)),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// 429 with `Retry-After`: the address is over a public form's limit.
pub(super) fn too_many(title: &str, text: &str, wait: std::time::Duration) -> Response {
    let mut response = problem(StatusCode::TOO_MANY_REQUESTS, title, text);
    let seconds = wait.as_secs().max(1);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// A page about one person (查本人, a report and its receipt): never stored by a cache.
pub(super) fn private_page(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

fn problem(status: StatusCode, title: &str, text: &str) -> Response {
    private_page(status, problem_page(title, text))
}

fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "找不到该页面",
        "没有这个地区，或者这一期还没有公开。",
    )
}
