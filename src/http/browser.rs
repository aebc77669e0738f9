//! What keeps a browser's session to itself: security headers on every answer, and the
//! same-origin rule for requests that change something on the strength of the cookie.
//!
//! The session cookie is `SameSite=Strict`, which already keeps other sites' pages from
//! sending it; the `Origin` check is the second lock (older browsers, a sibling subdomain
//! that counts as the same site). Requests with `Authorization: Bearer` are not affected:
//! a page on another site cannot make a browser send a bearer token it does not have.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use super::error::ApiError;
use super::login::SESSION_COOKIE;

/// Pages load scripts, styles, images and sockets from this server only, and may not be
/// framed (clickjacking). Photos are previewed from `blob:` URLs before upload.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `router` with the headers every answer carries (unless a handler set its own).
pub fn with_security_headers(router: Router) -> Router {
    security_headers()
        .into_iter()
        .fold(router, |router, layer| router.layer(layer))
}

fn security_headers() -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let pairs: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        // A display token may be in a wall's address for one load; it must never leave
        // in a Referer.
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    pairs
        .into_iter()
        .map(|(name, value)| {
            SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
        })
        .collect()
}

/// Refuses a request that would change something, is authenticated by the session cookie
/// and does not come from an allowed origin.
pub async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    let by_cookie = !headers.contains_key(header::AUTHORIZATION) && has_session_cookie(headers);
    if safe || !by_cookie {
        return next.run(request).await;
    }
    match headers.get(header::ORIGIN) {
        Some(origin) if origin_allowed(origin, headers, &state.settings.http.allowed_origins) => {
            next.run(request).await
        }
        Some(origin) => ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            format!(
                "a request from the page at {} may not use this site's session",
                String::from_utf8_lossy(origin.as_bytes())
            ),
        )
        .into_response(),
        None => ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_required",
            "a request signed in by cookie must carry an Origin header (send it from the \
             screens, or use Authorization: Bearer)",
        )
        .into_response(),
    }
}

/// True if `origin` is one of `allowed`, or, when none are configured, the origin the
/// request was addressed to (`http://HOST` or `https://HOST` of its `Host` header).
pub fn origin_allowed(origin: &HeaderValue, headers: &HeaderMap, allowed: &[String]) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if !allowed.is_empty() {
        return allowed.iter().any(|a| a.trim_end_matches('/') == origin);
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    super::auth::cookie(headers, SESSION_COOKIE).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        headers
    }

    #[test]
    fn the_request_s_own_origin_is_allowed_when_none_are_configured() {
        let h = headers("127.0.0.1:8080");
        let origin = |o: &str| HeaderValue::from_str(o).unwrap();
        assert!(origin_allowed(&origin("http://127.0.0.1:8080"), &h, &[]));
        assert!(origin_allowed(&origin("https://127.0.0.1:8080"), &h, &[]));
        assert!(!origin_allowed(&origin("http://evil.example"), &h, &[]));
        assert!(!origin_allowed(&origin("http://127.0.0.1:8081"), &h, &[]));
        assert!(!origin_allowed(&origin("null"), &h, &[]));
    }

    #[test]
    fn configured_origins_replace_the_host_rule() {
        let h = headers("10.0.0.5:8080");
        let allowed = vec!["https://jiwei.example.gov.cn/".to_string()];
        let ok = HeaderValue::from_static("https://jiwei.example.gov.cn");
        assert!(origin_allowed(&ok, &h, &allowed));
        let own = HeaderValue::from_static("http://10.0.0.5:8080");
        assert!(!origin_allowed(&own, &h, &allowed));
    }
}
