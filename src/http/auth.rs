//! Login and the authenticated-actor extractor. Tokens are random, handed out once, and
//! stored only as hashes; every API call resolves its bearer token to an `Actor` whose role
//! and region decide what it may see and do.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::Duration;

use super::AppState;
use super::error::ApiError;
use super::login::{SESSION_COOKIE, clear_session_cookie};
use super::wire::{Me, Problem};
use crate::auth::{Actor, Role, token_hash};
use crate::domain::region::RegionCode;
use crate::store::TokenRecord;

/// How often a token's last use is written down: idle sessions end to within this.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// `GET /api/auth/me`: who the token belongs to.
#[utoipa::path(get, path = "/api/auth/me", tag = "sessions",
    summary = "Who the token belongs to",
    responses(
        (status = 200, description = "The signed-in user", body = Me),
        (status = 401, description = "Not signed in, or the session ended", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn me(AuthUser(actor): AuthUser) -> Json<Me> {
    Json(Me {
        username: actor.username().to_string(),
        role: actor.role().as_str(),
        region: actor.region().as_str().to_string(),
    })
}

/// `POST /api/auth/logout`: the token the request carries stops working, here at once (and on
/// other instances sharing the store within `token_cache::TRUST_FOR`).
#[utoipa::path(post, path = "/api/auth/logout", tag = "sessions",
    summary = "Sign out: the token stops working on every instance, and live streams on it close",
    responses(
        (status = 204, description = "Signed out; the session cookie is cleared"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
) -> Result<Response, ApiError> {
    let token = request_token(&parts)
        .ok_or_else(|| ApiError::unauthorized("sign in first: send Authorization: Bearer TOKEN"))?;
    let hash = token_hash(&token);
    state.engine.store().delete_token(&hash).await?;
    state.tokens.remove(&hash);
    state.hub.revoke_token(&hash);
    tracing::info!(username = actor.username(), "logout");
    let entry = crate::audit::AuditEntry::new(
        state.clock.now(),
        actor.username(),
        crate::audit::AuditAction::TokenRevoked,
        &format!("user {}", actor.username()),
    )
    .with_client(super::client::client_ip(&parts))
    .with_detail("signed out");
    crate::audit::record(state.engine.store(), entry).await;
    let mut response = StatusCode::NO_CONTENT.into_response();
    clear_session_cookie(response.headers_mut(), state.settings.http.secure_cookies);
    Ok(response)
}

/// The authenticated actor of a request, from `Authorization: Bearer TOKEN` or the
/// `qingfeng_token` cookie (for screens).
pub struct AuthUser(pub Actor);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = request_token(parts).ok_or_else(|| {
            ApiError::unauthorized("sign in first: send Authorization: Bearer TOKEN")
        })?;
        let actor = resolve(state, &token).await?;
        Ok(AuthUser(actor))
    }
}

/// Resolves a token to its actor, refusing unknown and expired tokens and office sessions
/// left idle (see [`crate::auth::lockout::LoginPolicy::idle_minutes`]). A token resolved
/// in the last few seconds is answered from memory (`token_cache`).
pub async fn resolve(state: &AppState, token: &str) -> Result<Actor, ApiError> {
    let hash = token_hash(token);
    let now = state.clock.now();
    if let Some(actor) = state.tokens.get(&hash, now) {
        return Ok(actor);
    }
    let store = state.engine.store();
    let record = store
        .get_token(&hash)
        .await?
        .filter(|t| t.expires_at > now)
        .ok_or_else(|| {
            ApiError::unauthorized("the token is unknown or has expired; sign in again")
        })?;
    let user = store
        .get_user(&record.username)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the token's user no longer exists"))?;
    let role = Role::parse(&user.role).map_err(|e| ApiError::internal(&e))?;
    let region = RegionCode::parse(&user.region).map_err(|e| ApiError::internal(&e))?;
    let actor = Actor::new(user.username, role, region).map_err(|e| ApiError::internal(&e))?;
    if role != Role::Display {
        end_if_idle(state, &record, now).await?;
    }
    state
        .tokens
        .put(&hash, actor.clone(), record.expires_at, now);
    Ok(actor)
}

/// Ends an office session unused for longer than the policy allows, and otherwise writes
/// down that it was used (at most once a minute, so reads cost no write each).
async fn end_if_idle(
    state: &AppState,
    record: &TokenRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let store = state.engine.store();
    let idle_minutes = state.login.policy().idle_minutes;
    let last_used = record.last_used.unwrap_or(now);
    if now - last_used > Duration::minutes(idle_minutes) {
        store.delete_token(&record.token_hash).await?;
        return Err(ApiError::unauthorized(format!(
            "the session was idle for more than {idle_minutes} minutes; sign in again"
        )));
    }
    if now - last_used >= Duration::seconds(TOUCH_EVERY_SECONDS) {
        store.touch_token(&record.token_hash, now).await?;
    }
    Ok(())
}

/// The token a request carries: its bearer token, else the screens' cookie.
pub fn request_token(parts: &Parts) -> Option<String> {
    bearer(parts).or_else(|| session_cookie(parts))
}

/// The session cookie's token, if the request carries one.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    cookie(&parts.headers, SESSION_COOKIE)
}

pub fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let text = value.to_str().ok()?;
    text.strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// A cookie's non-empty value from the request headers, whichever `Cookie` header holds it:
/// the one reader of cookies for pages, the API and the live stream's upgrade request.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_string())
        })
}

/// Refuses (403, `what` saying what is the city office's) anyone but the city office.
pub fn city_office_only(actor: &crate::auth::Actor, what: &str) -> Result<(), ApiError> {
    match actor.role() {
        crate::auth::Role::CityOffice => Ok(()),
        _ => Err(ApiError::forbidden(format!("only the city office {what}"))),
    }
}

/// Refuses (403, `what` saying what the offices do) anyone but a town or the city office.
pub fn offices_only(actor: &crate::auth::Actor, what: &str) -> Result<(), ApiError> {
    match actor.role() {
        crate::auth::Role::TownOffice | crate::auth::Role::CityOffice => Ok(()),
        _ => Err(ApiError::forbidden(format!(
            "only the town and city offices {what}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, header};

    use super::cookie;

    #[test]
    fn the_token_cookie_is_found_among_other_cookies_and_headers() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "theme=dark".parse().unwrap());
        headers.append(
            header::COOKIE,
            "lang=zh; qingfeng_token=abc".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, "qingfeng_token").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "other"), None);
        let mut empty = HeaderMap::new();
        empty.insert(header::COOKIE, "qingfeng_token=".parse().unwrap());
        assert_eq!(cookie(&empty, "qingfeng_token"), None);
    }
}
