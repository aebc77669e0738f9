//! Sessions in the browser: the cookie the server sets, display tokens in a wall's address,
//! the same-origin rule for cookie-authenticated changes, security headers, idle sessions.

use std::sync::Arc;

use chrono::Duration;
use qingfeng::clock::ManualClock;
use serde_json::json;

use crate::helpers::{PASSWORD, VILLAGE_LIUTANG, spawn_app, spawn_app_with, start_time};

/// A client that follows no redirects, so each answer can be looked at.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sign_in_sets_an_http_only_strict_cookie_and_sign_out_removes_it() {
    let app = spawn_app_with(|config| config.security.http.secure_cookies = true).await;
    let response = app
        .client
        .post(format!("{}/api/auth/login", app.address))
        .json(&json!({ "username": "liutang", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let token = response.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with(&format!("qingfeng_token={token};")),
        "{cookie}"
    );
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    let logout = app
        .client
        .post(format!("{}/api/auth/logout", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let cleared = logout.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.contains("qingfeng_token=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    app.stop().await;
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_refuse_framing() {
    let app = spawn_app().await;
    for path in [
        "/screens/",
        "/screens/city",
        "/api/openapi.json",
        "/healthz",
    ] {
        let response = app.client.get(format!("{}{path}", app.address)).send();
        let response = response.await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_display_token_in_the_address_becomes_the_cookie_but_an_office_token_does_not() {
    let app = spawn_app().await;
    let client = no_redirects();
    let wall = app.login("wall").await;
    let url = format!("{}/screens/city?token={wall}", app.address);
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/screens/city");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("qingfeng_token={wall};")),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    let steward = app.login("liutang").await;
    let url = format!(
        "{}/screens/village/{VILLAGE_LIUTANG}?token={steward}",
        app.address
    );
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(
        response.status(),
        403,
        "an office token is not taken from an address"
    );
    assert!(response.headers().get("set-cookie").is_none());

    // A wall link opened where an office user is signed in keeps the office session.
    let response = client
        .get(format!("{}/screens/city?token={wall}", app.address))
        .header("cookie", format!("qingfeng_token={steward}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "the session is kept"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_display_token_cannot_send_commands() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let wall = app.login("wall").await;
    let response = app
        .client
        .post(format!("{}/api/warnings/{id}/commands", app.address))
        .bearer_auth(&wall)
        .json(&json!({ "type": "urge" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_change_signed_in_by_cookie_must_come_from_this_site() {
    let app = spawn_app().await;
    let token = app.login("liutang").await;
    let host = app.address.trim_start_matches("http://").to_string();
    let logout = |origin: Option<&str>| {
        let mut request = app
            .client
            .post(format!("{}/api/auth/logout", app.address))
            .header("cookie", format!("qingfeng_token={token}"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let foreign = logout(Some("http://evil.example")).await.unwrap();
    assert_eq!(foreign.status(), 403);
    assert_eq!(
        foreign.json::<serde_json::Value>().await.unwrap()["code"],
        "origin_not_allowed"
    );
    let missing = logout(None).await.unwrap();
    assert_eq!(missing.status(), 403);
    assert_eq!(
        app.get(&token, "/api/auth/me").await.status(),
        200,
        "still signed in"
    );
    let own = logout(Some(&format!("http://{host}"))).await.unwrap();
    assert_eq!(own.status(), 204);
    app.stop().await;
}

#[tokio::test]
async fn an_office_session_left_idle_ends_but_a_display_s_does_not() {
    let clock = ManualClock::new(start_time());
    let sessions = clock.clone();
    let app = spawn_app_with(move |config| config.session_clock = Arc::new(sessions)).await;
    let steward = app.login("liutang").await;
    let wall = app.login("wall").await;
    clock.advance(Duration::minutes(20));
    assert_eq!(app.get(&steward, "/api/auth/me").await.status(), 200);
    // Used at minute 20, so idle from there.
    clock.advance(Duration::minutes(29));
    assert_eq!(app.get(&steward, "/api/auth/me").await.status(), 200);
    clock.advance(Duration::minutes(31));
    let idle = app.get(&steward, "/api/auth/me").await;
    assert_eq!(idle.status(), 401);
    let body: serde_json::Value = idle.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("idle"), "{body}");
    assert_eq!(app.get(&wall, "/api/auth/me").await.status(), 200);
    app.stop().await;
}
