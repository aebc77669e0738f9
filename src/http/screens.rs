//! The wall screens: plain HTML, CSS and JavaScript modules from `screens/`, compiled into
//! the binary so a deployed server needs no files beside it and no front-end build step.
//! Pages are the same for every region; their scripts read the code from the address and
//! fetch what the signed-in token may see.

use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{resolve, session_cookie};
use super::error::ApiError;
use super::login::session_cookie as session_cookie_header;
use super::wire::Problem;
use crate::auth::Role;

/// Every page and asset, by the name it is served under.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        HTML,
        include_bytes!("../../screens/index.html"),
    ),
    ("city.html", HTML, include_bytes!("../../screens/city.html")),
    ("town.html", HTML, include_bytes!("../../screens/town.html")),
    (
        "village.html",
        HTML,
        include_bytes!("../../screens/village.html"),
    ),
    (
        "audit.html",
        HTML,
        include_bytes!("../../screens/audit.html"),
    ),
    (
        "notifications.html",
        HTML,
        include_bytes!("../../screens/notifications.html"),
    ),
    (
        "notifications.js",
        JS,
        include_bytes!("../../screens/assets/notifications.js"),
    ),
    (
        "publish.html",
        HTML,
        include_bytes!("../../screens/publish.html"),
    ),
    (
        "ledger.html",
        HTML,
        include_bytes!("../../screens/ledger.html"),
    ),
    (
        "ledger.js",
        JS,
        include_bytes!("../../screens/assets/ledger.js"),
    ),
    (
        "outcome.js",
        JS,
        include_bytes!("../../screens/assets/outcome.js"),
    ),
    (
        "notice.css",
        CSS,
        include_bytes!("../../screens/assets/notice.css"),
    ),
    (
        "publish.js",
        JS,
        include_bytes!("../../screens/assets/publish.js"),
    ),
    (
        "audit.js",
        JS,
        include_bytes!("../../screens/assets/audit.js"),
    ),
    (
        "audit.css",
        CSS,
        include_bytes!("../../screens/assets/audit.css"),
    ),
    ("api.js", JS, include_bytes!("../../screens/assets/api.js")),
    (
        "live.js",
        JS,
        include_bytes!("../../screens/assets/live.js"),
    ),
    (
        "wall.js",
        JS,
        include_bytes!("../../screens/assets/wall.js"),
    ),
    (
        "evidence.js",
        JS,
        include_bytes!("../../screens/assets/evidence.js"),
    ),
    (
        "commands.js",
        JS,
        include_bytes!("../../screens/assets/commands.js"),
    ),
    (
        "login.js",
        JS,
        include_bytes!("../../screens/assets/login.js"),
    ),
    (
        "city.js",
        JS,
        include_bytes!("../../screens/assets/city.js"),
    ),
    (
        "town.js",
        JS,
        include_bytes!("../../screens/assets/town.js"),
    ),
    (
        "village.js",
        JS,
        include_bytes!("../../screens/assets/village.js"),
    ),
    (
        "outbox.js",
        JS,
        include_bytes!("../../screens/assets/outbox.js"),
    ),
    (
        "sync.js",
        JS,
        include_bytes!("../../screens/assets/sync.js"),
    ),
    ("sw.js", JS, include_bytes!("../../screens/assets/sw.js")),
    (
        "wall.css",
        CSS,
        include_bytes!("../../screens/assets/wall.css"),
    ),
    (
        "city.css",
        CSS,
        include_bytes!("../../screens/assets/city.css"),
    ),
    (
        "town.css",
        CSS,
        include_bytes!("../../screens/assets/town.css"),
    ),
    (
        "village.css",
        CSS,
        include_bytes!("../../screens/assets/village.css"),
    ),
    (
        "favicon.svg",
        SVG,
        include_bytes!("../../screens/assets/favicon.svg"),
    ),
];

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// `GET /`: the wall starts at the sign-in page.
#[utoipa::path(get, path = "/", tag = "screens",
    summary = "The wall starts at the sign-in page",
    responses(
        (status = 303, description = "To /screens/"),
    ))]
pub async fn root() -> Redirect {
    Redirect::to("/screens/")
}

/// `GET /screens` (no slash): the same page under its canonical address.
#[utoipa::path(get, path = "/screens", tag = "screens",
    summary = "The screens' canonical address",
    responses(
        (status = 308, description = "To /screens/"),
    ))]
pub async fn screens_bare() -> Redirect {
    Redirect::permanent("/screens/")
}

/// `GET /screens/`: sign in, then go to the screen of the user's role and region.
#[utoipa::path(get, path = "/screens/", tag = "screens",
    summary = "Sign in, then the screen of the user's role and region",
    responses(
        (status = 200, description = "The sign-in page", content_type = "text/html", body = String),
    ))]
pub async fn login_page() -> Response {
    serve("index.html")
}

/// The query of a screen's address: a display token for an unattended wall.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub token: Option<String>,
}

/// `GET /screens/city`.
#[utoipa::path(get, path = "/screens/city", tag = "screens",
    summary = "The city cockpit (市级驾驶舱): map, counts, overdue list, charts, live over /ws",
    params(("token" = Option<String>, Query, description = "A display's token, for wall screens without a sign-in")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "With `token`: the display's cookie is set and the address cleaned (a bad token goes to the sign-in page)"),
        (status = 403, description = "`token` is not a display's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn city_page(state: State<AppState>, query: Query<PageQuery>, parts: Parts) -> Response {
    page(state, query, parts, "city.html").await
}

/// `GET /screens/town/{code}`.
#[utoipa::path(get, path = "/screens/town/{code}", tag = "screens",
    summary = "A town's screen (乡镇): its villages, warnings and escalations",
    params(("code" = String, Path, description = "The town's 12-digit code"), ("token" = Option<String>, Query, description = "A display's token")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "With `token`: the display's cookie is set and the address cleaned (a bad token goes to the sign-in page)"),
        (status = 403, description = "`token` is not a display's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn town_page(state: State<AppState>, query: Query<PageQuery>, parts: Parts) -> Response {
    page(state, query, parts, "town.html").await
}

/// `GET /screens/village/{code}`.
#[utoipa::path(get, path = "/screens/village/{code}", tag = "screens",
    summary = "A village steward's tablet page (村级): tasks, rectifications with photos, offline queue",
    params(("code" = String, Path, description = "The village's 12-digit code"), ("token" = Option<String>, Query, description = "A display's token")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "With `token`: the display's cookie is set and the address cleaned (a bad token goes to the sign-in page)"),
        (status = 403, description = "`token` is not a display's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn village_page(
    state: State<AppState>,
    query: Query<PageQuery>,
    parts: Parts,
) -> Response {
    page(state, query, parts, "village.html").await
}

/// A screen, or, when its address carries `?token=`, the display token adopted as the
/// session cookie and the browser sent back to the address without it (so the token is
/// neither shown on the wall nor kept in its history).
///
/// Only display tokens are taken from an address: a link that carried an office user's
/// token would hand that user's powers to whoever opens it. And a display token never
/// replaces the session of an office user signed in on this browser (a wall link opened
/// at an office desk must not sign the office out).
async fn page(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    parts: Parts,
    name: &str,
) -> Response {
    let Some(token) = query.token.filter(|t| !t.is_empty()) else {
        return serve(name);
    };
    let clean = parts.uri.path().to_string();
    let actor = match resolve(&state, &token).await {
        Ok(actor) => actor,
        Err(_) => {
            let back = format!("/screens/?next={clean}");
            return Redirect::to(&back).into_response();
        }
    };
    if actor.role() != Role::Display {
        let detail = "only a display token may be opened in a screen's address; sign in instead";
        return ApiError::forbidden(detail).into_response();
    }
    let mut response = Redirect::to(&clean).into_response();
    if let Some(current) = session_cookie(&parts)
        && let Ok(signed_in) = resolve(&state, &current).await
        && signed_in.role() != Role::Display
    {
        return response;
    }
    let secure = state.settings.http.secure_cookies;
    let cookie = session_cookie_header(&token, DISPLAY_COOKIE_SECONDS, secure);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// A wall's cookie lasts as long as browsers allow (400 days); the token's own expiry is
/// what the server goes by.
const DISPLAY_COOKIE_SECONDS: i64 = 400 * 24 * 3600;

/// `GET /screens/village/sw.js`: the steward's service worker. Served beside the village
/// pages so that its scope is theirs alone (`/screens/village/`): it keeps the page and
/// the tasks for a tablet without network, and the walls never go through it.
#[utoipa::path(get, path = "/screens/village/sw.js", tag = "screens",
    summary = "The village page's service worker (offline queue)",
    responses(
        (status = 200, description = "The script", content_type = "text/javascript", body = String),
    ))]
pub async fn village_worker() -> Response {
    serve("sw.js")
}

/// `GET /screens/audit`: the audit log (审计日志), for the city office.
#[utoipa::path(get, path = "/screens/audit", tag = "screens",
    summary = "The audit log (审计日志), for the city office",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
    ))]
pub async fn audit_page() -> Response {
    serve("audit.html")
}

/// `GET /screens/notifications`: 通知送达, for the city office.
#[utoipa::path(get, path = "/screens/notifications", tag = "screens",
    summary = "The notifications the outbox could not deliver, and their resend (通知送达), for the city office",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
    ))]
pub async fn notifications_page() -> Response {
    serve("notifications.html")
}

/// `GET /screens/publish`: the publication decisions (惠民资金公开发布), for the city office.
#[utoipa::path(get, path = "/screens/publish", tag = "screens",
    summary = "The publication decisions (惠民资金公开发布), for the city office",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
    ))]
pub async fn publish_page() -> Response {
    serve("publish.html")
}

/// `GET /screens/ledger`: the ledger (疑似问题线索台账), for town and city offices.
#[utoipa::path(get, path = "/screens/ledger", tag = "screens",
    summary = "The ledger of suspected clues (疑似问题线索台账), for town and city offices",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
    ))]
pub async fn ledger_page() -> Response {
    serve("ledger.html")
}

/// `GET /screens/assets/{file}`: a script, the style sheet or an icon; 404 otherwise.
#[utoipa::path(get, path = "/screens/assets/{file}", tag = "screens",
    summary = "A script, the style sheet or an icon of the screens",
    params(("file" = String, Path, description = "The file name")),
    responses(
        (status = 200, description = "The file"),
        (status = 404, description = "Not found", content_type = "text/html", body = String),
    ))]
pub async fn asset(Path(file): Path<String>) -> Response {
    if file.ends_with(".html") {
        return not_found(&file);
    }
    serve(&file)
}

fn serve(name: &str) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return not_found(name);
    };
    let mut response = (StatusCode::OK, *body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Walls run for months: they must pick up a new version of a page at their next
    // reload, so every load revalidates.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn not_found(name: &str) -> Response {
    ApiError::not_found(format!("no screen file named {name:?}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_unique_name_and_content() {
        for (i, (name, _, body)) in FILES.iter().enumerate() {
            assert!(!body.is_empty(), "{name} is empty");
            assert!(
                FILES[i + 1..].iter().all(|(other, _, _)| other != name),
                "{name} listed twice"
            );
        }
    }
}
