//! `POST /api/auth/login`: the one door a stranger can knock on with a password.
//!
//! In order: the client address's rate (429), the request's shape (422), the account's
//! lock (423), a password check slot (503), the check itself (401). A known user and an
//! unknown one take the same path through argon2 and get the same 401, so a username
//! cannot be probed by timing or by answer; unknown usernames are even locked the same
//! way, in memory. A good sign-in clears the account's failures, stores a token and sets
//! the session cookie (HttpOnly, SameSite=Strict, Secure when configured).

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::AppState;
use super::client::client_ip;
use super::error::{ApiError, ApiJson};
use super::login_guard::Refusal;
use super::wire::{Problem, Session};
use crate::audit::{AuditAction, AuditEntry};
use crate::auth::lockout::Lockout;
use crate::auth::{new_token, token_hash};
use crate::store::{LockoutRecord, TokenRecord, UserRecord};

/// The name of the session cookie the screens authenticate with.
pub const SESSION_COOKIE: &str = "qingfeng_token";
/// The longest username and password looked at; longer ones are refused unread.
const MAX_USERNAME_CHARS: usize = 64;
const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/auth/login`.
#[utoipa::path(post, path = "/api/auth/login", tag = "sessions",
    summary = "Sign in: a bearer token, also set as the session cookie for browsers",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 401, description = "Wrong username or password (the same answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over the route's limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a username and password", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "The account is locked for a while (`locked_until`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many password checks at once (Retry-After)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let guard = &state.login;
    guard.admit(client_ip(&parts)).map_err(refusal)?;
    check_shape(&body)?;
    let store = state.engine.store();
    let now = state.clock.now();
    let user = store.get_user(&body.username).await?;
    let mut lockout = match &user {
        Some(_) => lockout_of(store.get_lockout(&body.username).await?),
        None => guard.unknown_lockout(&body.username),
    };
    if let Some(until) = lockout.locked_at(now) {
        state.metrics.login("locked");
        return Err(locked(until));
    }
    let known = user.is_some();
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = guard
        .check_password(body.password.clone(), stored)
        .await
        .map_err(refusal)?;
    let Some(user) = user.filter(|_| verified) else {
        let newly_locked = lockout.fail(now, guard.policy());
        remember_failure(&state, &body.username, known, &lockout).await?;
        let client = client_ip(&parts);
        state.metrics.login("failed");
        tracing::warn!(username = ?body.username, %client, "sign-in failed");
        audit(
            &state,
            now,
            &body.username,
            client,
            AuditAction::LoginFailed,
            "wrong password",
        )
        .await;
        if let Some(until) = newly_locked {
            state.metrics.login("lockout");
            tracing::warn!(username = ?body.username, %client, %until, "account locked");
            let detail = format!("locked until {until}");
            audit(
                &state,
                now,
                &body.username,
                client,
                AuditAction::Lockout,
                &detail,
            )
            .await;
        }
        return Err(ApiError::unauthorized("wrong username or password"));
    };
    if !lockout.failures.is_empty() {
        store.clear_lockout(&user.username).await?;
    }
    let response = issue_session(&state, &user, now).await?;
    let detail = format!("{} of {}; token issued", user.role, user.region);
    audit(
        &state,
        now,
        &user.username,
        client_ip(&parts),
        AuditAction::Login,
        &detail,
    )
    .await;
    state.metrics.login("succeeded");
    tracing::info!(username = %user.username, client = %client_ip(&parts), "sign-in");
    Ok(response)
}

/// Appends a sign-in record to the audit log: `username` as given is both who acted and
/// what was acted on (for a failed sign-in nobody is known to have acted).
async fn audit(
    state: &AppState,
    at: DateTime<Utc>,
    username: &str,
    client: std::net::IpAddr,
    action: AuditAction,
    detail: &str,
) {
    let entry = AuditEntry::new(at, username, action, &format!("user {username}"))
        .with_client(client)
        .with_detail(detail);
    crate::audit::record(state.engine.store(), entry).await;
}

/// Stores a new token for `user` and answers with it, in the body for API clients and
/// as the session cookie for browsers.
async fn issue_session(
    state: &AppState,
    user: &UserRecord,
    now: DateTime<Utc>,
) -> Result<Response, ApiError> {
    let token = new_token();
    let lifetime = Duration::hours(state.login.policy().session_hours);
    let expires_at = now + lifetime;
    let record = TokenRecord {
        token_hash: token_hash(&token),
        username: user.username.clone(),
        expires_at,
        last_used: Some(now),
    };
    state.engine.store().put_token(&record).await?;
    let body = Json(Session {
        token: token.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role.clone(),
        region: user.region.clone(),
        expires_at,
    });
    let mut response = body.into_response();
    let cookie = session_cookie(
        &token,
        lifetime.num_seconds(),
        state.settings.http.secure_cookies,
    );
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The `Set-Cookie` value carrying `token` for `max_age` seconds (0 removes the cookie).
pub fn session_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    HeaderValue::from_str(&text).expect("tokens are URL-safe base64")
}

/// Adds the header that removes the session cookie.
pub fn clear_session_cookie(headers: &mut HeaderMap, secure: bool) {
    headers.insert(header::SET_COOKIE, session_cookie("", 0, secure));
}

fn check_shape(body: &LoginRequest) -> Result<(), ApiError> {
    if body.username.trim().is_empty() || body.username.chars().count() > MAX_USERNAME_CHARS {
        let detail = format!("username must be 1 to {MAX_USERNAME_CHARS} characters");
        return Err(ApiError::invalid("username", detail));
    }
    if body.password.chars().count() > MAX_PASSWORD_CHARS {
        let detail = format!("password must be at most {MAX_PASSWORD_CHARS} characters");
        return Err(ApiError::invalid("password", detail));
    }
    Ok(())
}

/// Writes down a wrong password: in the store for a real account (so every instance and
/// a restart see the lock), in memory for a username that does not exist.
async fn remember_failure(
    state: &AppState,
    username: &str,
    known: bool,
    lockout: &Lockout,
) -> Result<(), ApiError> {
    let store = state.engine.store();
    if known {
        let record = LockoutRecord {
            failures: lockout.failures.clone(),
            locked_until: lockout.locked_until,
        };
        store.put_lockout(username, &record).await?;
    } else {
        state.login.put_unknown_lockout(username, lockout.clone());
    }
    Ok(())
}

fn lockout_of(record: LockoutRecord) -> Lockout {
    Lockout {
        failures: record.failures,
        locked_until: record.locked_until,
    }
}

fn locked(until: DateTime<Utc>) -> ApiError {
    ApiError::new(
        StatusCode::LOCKED,
        "account_locked",
        format!(
            "too many wrong passwords: the account is locked until {}; the city office can unlock it",
            until.format("%Y-%m-%d %H:%M:%S UTC")
        ),
    )
    .with(json!({ "locked_until": until }))
}

fn refusal(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::RateLimited(wait) => {
            let seconds = wait.as_secs_f64().ceil() as u64;
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("too many sign-in attempts from this address; try again in {seconds} s"),
            )
            .retry_after(seconds)
        }
        Refusal::Busy => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is checking too many sign-ins at once; try again in a moment",
        )
        .retry_after(1),
    }
}
