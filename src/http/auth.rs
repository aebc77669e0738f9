//! Login and the authenticated-actor extractor. Tokens are random, handed out once, and
//! stored only as hashes; every API call resolves its bearer token to an `Actor` whose role
//! and region decide what it may see and do.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::auth::{Actor, Role, new_token, token_hash, verify_password};
use crate::domain::region::RegionCode;
use crate::store::TokenRecord;

/// How long a login lasts.
const TOKEN_LIFETIME_HOURS: i64 = 12;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/auth/login`.
pub async fn login(
    State(state): State<AppState>,
    Json(body): Json<LoginRequest>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let user = store.get_user(&body.username).await?;
    // The same answer for an unknown user and a wrong password, so usernames cannot be probed.
    let refused = || ApiError::unauthorized("wrong username or password");
    let Some(user) = user else {
        return Err(refused());
    };
    let hash = user.password_hash.clone();
    let password = body.password.clone();
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    if !verified {
        return Err(refused());
    }
    let token = new_token();
    let expires_at = Utc::now() + Duration::hours(TOKEN_LIFETIME_HOURS);
    store
        .put_token(&TokenRecord {
            token_hash: token_hash(&token),
            username: user.username.clone(),
            expires_at,
        })
        .await?;
    tracing::info!(username = %user.username, "login");
    Ok(Json(json!({
        "token": token,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "region": user.region,
        "expires_at": expires_at,
    })))
}

/// `GET /api/auth/me`: who the token belongs to.
pub async fn me(AuthUser(actor): AuthUser) -> Json<Value> {
    Json(json!({
        "username": actor.username(),
        "role": actor.role().as_str(),
        "region": actor.region().as_str(),
    }))
}

/// `POST /api/auth/logout`: the token the request carries stops working, here at once (and on
/// other instances sharing the store within `token_cache::TRUST_FOR`).
pub async fn logout(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    parts: Parts,
) -> Result<axum::http::StatusCode, ApiError> {
    let token = request_token(&parts)
        .ok_or_else(|| ApiError::unauthorized("sign in first: send Authorization: Bearer TOKEN"))?;
    let hash = token_hash(&token);
    state.engine.store().delete_token(&hash).await?;
    state.tokens.remove(&hash);
    state.hub.revoke_token(&hash);
    tracing::info!(username = actor.username(), "logout");
    Ok(axum::http::StatusCode::NO_CONTENT)
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

/// Resolves a token to its actor, refusing unknown and expired tokens. A token resolved
/// in the last few seconds is answered from memory (`token_cache`).
pub async fn resolve(state: &AppState, token: &str) -> Result<Actor, ApiError> {
    let hash = token_hash(token);
    let now = std::time::Instant::now();
    if let Some(actor) = state.tokens.get(&hash, now, Utc::now()) {
        return Ok(actor);
    }
    let store = state.engine.store();
    let record = store
        .get_token(&hash)
        .await?
        .filter(|t| t.expires_at > Utc::now())
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
    state
        .tokens
        .put(&hash, actor.clone(), record.expires_at, now);
    Ok(actor)
}

/// The token a request carries: its bearer token, else the screens' cookie.
fn request_token(parts: &Parts) -> Option<String> {
    bearer(parts).or_else(|| cookie(parts, "qingfeng_token"))
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let text = value.to_str().ok()?;
    text.strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    let header = parts
        .headers
        .get(axum::http::header::COOKIE)?
        .to_str()
        .ok()?;
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}
