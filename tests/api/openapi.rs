//! The OpenAPI document: generated from the code, complete, and true of real answers. The
//! helpers check every answer they see against it (`contract.rs`); this walks every route
//! once, with good and bad requests, so each is checked at least once.

use serde_json::{Value, json};

use crate::contract::{checked, route_of};
use crate::helpers::{CITY, PNG, TOWN_QINGXI, TestApp, VILLAGE_LIUTANG, spawn_app};

/// Sends `method path` (a JSON body if given) with the token, checks the answer against
/// the document, and returns its status and JSON body (null when not JSON).
async fn call(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", app.address);
    let mut request = match method {
        "GET" => app.client.get(url),
        "POST" => app.client.post(url),
        other => panic!("{other}"),
    };
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = checked(method, path, request.send().await.unwrap()).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_document_is_generated_with_a_schema_for_every_json_answer() {
    let app = spawn_app().await;
    let (status, document) = call(&app, "", "GET", "/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    // Every route the router serves is registered with its entry, so the document holds
    // them all: the JSON API, the pages, the live stream and the operations endpoints.
    for route in [
        "/api/auth/login",
        "/api/warnings/{id}/commands",
        "/api/imports/{kind}",
        "/api/regions/{code}/summary",
        "/api/publications",
        "/api/warnings/{id}/reports/unmask",
        "/ws",
        "/public/report",
        "/screens/village/{code}",
        "/metrics",
    ] {
        assert!(paths.contains_key(route), "{route} is documented");
    }
    assert!(paths.len() >= 40, "{} routes", paths.len());
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for schema in [
        "WarningView",
        "WarningPage",
        "Command",
        "Problem",
        "RegionSummary",
        "ImportResponse",
        "Step",
    ] {
        assert!(schemas.contains_key(schema), "{schema} is a component");
    }
    // The lifecycle's states are the enum's, not a list written by hand.
    let states = schemas["Step"]["enum"].as_array().unwrap();
    assert_eq!(states.len(), qingfeng::workflow::Step::ALL.len());
    for (route, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                operation["summary"].is_string(),
                "{method} {route} has a summary"
            );
            for (status, response) in operation["responses"].as_object().unwrap() {
                let Some(content) = response["content"].as_object() else {
                    continue;
                };
                for (media, described) in content {
                    if media.ends_with("json") && route != "/api/openapi.json" {
                        assert!(
                            described["schema"].is_object(),
                            "{method} {route} {status} {media} has a schema"
                        );
                    }
                    if status.starts_with('4') && route.starts_with("/api/") {
                        assert_eq!(
                            media, "application/problem+json",
                            "{method} {route} {status}"
                        );
                    }
                }
            }
        }
    }
    app.stop().await;
}

/// Sends each `(token, method, path, body, status)` and checks the status; `call` checks
/// the answer against the document.
async fn expect(app: &TestApp, cases: &[(&str, &str, String, Option<Value>, u16)]) {
    for (token, method, path, body, status) in cases {
        let (got, answer) = call(app, token, method, path, body.clone()).await;
        assert_eq!(got, *status, "{method} {path}: {answer}");
    }
}

#[tokio::test]
async fn every_api_route_answers_as_the_document_says() {
    let app = spawn_app().await;
    let city = app.login("city").await;
    let steward = app.login("liutang").await;
    let town = app.login("qingxi").await;
    let wall = app.login("wall").await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let (get, post) = ("GET", "POST");
    let at = |path: &str| path.to_string();
    let warning = |tail: &str| format!("/api/warnings/{id}{tail}");
    let manual = |region: &str| {
        Some(json!({"region": region, "title": "t", "severity": "high", "subject": "s"}))
    };
    let wrong_password = Some(json!({"username": "city", "password": "wrong-wrong"}));
    let publish = Some(json!({"fund": "dibao", "period": "2026-01", "action": "publish"}));
    expect(
        &app,
        &[
            // Sessions.
            ("", post, at("/api/auth/login"), wrong_password, 401),
            (
                "",
                post,
                at("/api/auth/login"),
                Some(json!({"user": "city"})),
                422,
            ),
            (&city, get, at("/api/auth/me"), None, 200),
            ("", get, at("/api/auth/me"), None, 401),
            // Warnings: raise, list, read, command (refused, malformed, good), reports.
            (&city, post, at("/api/warnings"), manual("9"), 422),
            (&steward, post, at("/api/warnings"), manual(CITY), 403),
            (&city, get, at("/api/warnings?limit=1"), None, 200),
            (&city, get, at("/api/warnings?offset=5"), None, 422),
            (&city, get, warning(""), None, 200),
            (&city, get, at("/api/warnings/W20260101-NOPE00"), None, 404),
            (
                &town,
                post,
                warning("/commands"),
                Some(json!({"type": "verify_rectification"})),
                409,
            ),
            (
                &steward,
                post,
                warning("/commands"),
                Some(json!({"type": "fly"})),
                422,
            ),
            (
                &steward,
                post,
                warning("/commands"),
                Some(json!({"type": "acknowledge"})),
                200,
            ),
            (&city, get, warning("/reports"), None, 200),
            (&wall, get, warning("/reports"), None, 403),
            (&town, post, warning("/reports/unmask"), None, 200),
            (&steward, post, warning("/reports/unmask"), None, 403),
            // Regions, maps, charts, rules.
            (&town, get, at("/api/regions"), None, 200),
            (
                &city,
                get,
                format!("/api/regions/{CITY}/summary"),
                None,
                200,
            ),
            (
                &town,
                get,
                format!("/api/regions/{CITY}/summary"),
                None,
                404,
            ),
            (&city, get, at("/api/regions/abc/summary"), None, 422),
            (
                &city,
                get,
                format!("/api/overdue?region={TOWN_QINGXI}"),
                None,
                200,
            ),
            (&city, get, format!("/api/maps/{TOWN_QINGXI}"), None, 200),
            (&city, get, format!("/maps/{TOWN_QINGXI}.svg"), None, 200),
            (&city, get, at("/charts/trend.svg?days=7"), None, 200),
            (&city, get, at("/charts/trend.svg?days=0"), None, 422),
            (&city, get, at("/charts/pie.svg"), None, 404),
            (&city, get, at("/api/rules"), None, 200),
            // The city office's tools.
            (&city, get, at("/api/audit?limit=5"), None, 200),
            (&city, get, at("/api/audit?colour=red"), None, 422),
            (&town, get, at("/api/audit"), None, 403),
            (&city, get, at("/api/publications"), None, 200),
            (&city, post, at("/api/publications"), publish, 422),
            // Operations.
            ("", get, at("/healthz"), None, 200),
            ("", get, at("/readyz"), None, 200),
            ("", get, at("/metrics"), None, 200),
        ],
    )
    .await;

    // Photos and imports are multipart: the helpers send them and check the answers.
    let photo: Value = app
        .attach("liutang", &id, "a.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let photo_path = format!("/api/attachments/{}", photo["id"].as_str().unwrap());
    assert_eq!(call(&app, &city, get, &photo_path, None).await.0, 200);
    let text = b"not an image".to_vec();
    assert_eq!(
        app.attach("liutang", &id, "a.txt", text).await.status(),
        422
    );
    let template = format!(
        "{}/seeds/templates/vehicles.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let vehicles = std::fs::read(template).unwrap();
    let imported = app.upload("city", "vehicles", "v.csv", vehicles).await;
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    for (user, kind, file, status) in [
        ("city", "vehicles", b"plate\n".to_vec(), 422),
        ("city", "horses", b"a\n".to_vec(), 404),
        ("qingxi", "vehicles", b"a\n".to_vec(), 403),
    ] {
        assert_eq!(
            app.upload(user, kind, "v.csv", file).await.status(),
            status,
            "{user} {kind}"
        );
    }
    assert_eq!(app.logout(&town).await, 204);
    app.stop().await;
}

#[tokio::test]
async fn every_page_answers_as_the_document_says() {
    let app = spawn_app().await;
    for path in [
        "/screens/",
        "/screens/city",
        &format!("/screens/town/{TOWN_QINGXI}"),
        &format!("/screens/village/{VILLAGE_LIUTANG}"),
        "/screens/village/sw.js",
        "/screens/audit",
        "/screens/publish",
        "/public",
        "/public/",
        &format!("/public/region/{TOWN_QINGXI}"),
        "/public/region/123",
        "/public/lookup",
        "/public/report",
        "/public/report/AAAAAAAAAAAAAAAA",
    ] {
        let (status, _) = app.get_page(path).await;
        assert!(status == 200 || status == 404, "{path}: {status}");
    }
    for (path, status) in [("/", 303), ("/screens", 308)] {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(checked("GET", path, response).await.status(), status);
    }
    // A concrete path finds its own route before a parameter's.
    assert_eq!(
        route_of("/screens/village/sw.js").unwrap(),
        "/screens/village/sw.js"
    );
    assert_eq!(
        route_of("/api/warnings/W1/commands?x=1").unwrap(),
        "/api/warnings/{id}/commands"
    );
    assert!(route_of("/nowhere").is_none());
    app.stop().await;
}
