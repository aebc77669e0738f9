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

#[tokio::test]
async fn every_api_route_answers_as_the_document_says() {
    let app = spawn_app().await;
    let city = app.login("city").await;
    let steward = app.login("liutang").await;
    let town = app.login("qingxi").await;
    let wall = app.login("wall").await;

    // Sessions: a good sign-in and a bad one are checked by the helpers and here.
    let (status, _) = call(
        &app,
        "",
        "POST",
        "/api/auth/login",
        Some(json!({"username": "city", "password": "wrong-wrong"})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &app,
        "",
        "POST",
        "/api/auth/login",
        Some(json!({"user": "city"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, me) = call(&app, &city, "GET", "/api/auth/me", None).await;
    assert_eq!((status, me["role"].as_str()), (200, Some("city_office")));
    assert_eq!(call(&app, "", "GET", "/api/auth/me", None).await.0, 401);

    // Warnings: raise, list, read, command (good, refused, malformed), photos.
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let (status, _) = call(
        &app,
        &city,
        "POST",
        "/api/warnings",
        Some(json!({"region": "9", "title": "t", "severity": "high", "subject": "s"})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        call(
            &app,
            &steward,
            "POST",
            "/api/warnings",
            Some(json!({"region": CITY, "title": "t", "severity": "high", "subject": "s"}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(&app, &city, "GET", "/api/warnings?limit=1", None)
            .await
            .0,
        200
    );
    assert_eq!(
        call(&app, &city, "GET", "/api/warnings?offset=5", None)
            .await
            .0,
        422
    );
    assert_eq!(
        call(&app, &city, "GET", &format!("/api/warnings/{id}"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        call(&app, &city, "GET", "/api/warnings/W20260101-NOPE00", None)
            .await
            .0,
        404
    );
    let commands = format!("/api/warnings/{id}/commands");
    assert_eq!(
        call(
            &app,
            &town,
            "POST",
            &commands,
            Some(json!({"type": "verify_rectification"}))
        )
        .await
        .0,
        409
    );
    assert_eq!(
        call(
            &app,
            &steward,
            "POST",
            &commands,
            Some(json!({"type": "fly"}))
        )
        .await
        .0,
        422
    );
    let (status, acknowledged) = call(
        &app,
        &steward,
        "POST",
        &commands,
        Some(json!({"type": "acknowledge"})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(acknowledged["history"].as_array().unwrap().len() >= 2);
    let photo: Value = app
        .attach("liutang", &id, "a.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let photo_path = format!("/api/attachments/{}", photo["id"].as_str().unwrap());
    assert_eq!(call(&app, &city, "GET", &photo_path, None).await.0, 200);
    assert_eq!(
        app.attach("liutang", &id, "a.txt", b"not an image".to_vec())
            .await
            .status(),
        422
    );
    assert_eq!(
        call(
            &app,
            &city,
            "GET",
            &format!("/api/warnings/{id}/reports"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &app,
            &wall,
            "GET",
            &format!("/api/warnings/{id}/reports"),
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(
            &app,
            &town,
            "POST",
            &format!("/api/warnings/{id}/reports/unmask"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &app,
            &steward,
            "POST",
            &format!("/api/warnings/{id}/reports/unmask"),
            None
        )
        .await
        .0,
        403
    );

    // Regions, maps, charts, rules.
    assert_eq!(call(&app, &town, "GET", "/api/regions", None).await.0, 200);
    assert_eq!(
        call(
            &app,
            &city,
            "GET",
            &format!("/api/regions/{CITY}/summary"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &app,
            &town,
            "GET",
            &format!("/api/regions/{CITY}/summary"),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(&app, &city, "GET", "/api/regions/abc/summary", None)
            .await
            .0,
        422
    );
    assert_eq!(
        call(
            &app,
            &city,
            "GET",
            &format!("/api/overdue?region={TOWN_QINGXI}"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &app,
            &city,
            "GET",
            &format!("/api/maps/{TOWN_QINGXI}"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &app,
            &city,
            "GET",
            &format!("/maps/{TOWN_QINGXI}.svg"),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(&app, &city, "GET", "/charts/trend.svg?days=7", None)
            .await
            .0,
        200
    );
    assert_eq!(
        call(&app, &city, "GET", "/charts/trend.svg?days=0", None)
            .await
            .0,
        422
    );
    assert_eq!(
        call(&app, &city, "GET", "/charts/pie.svg", None).await.0,
        404
    );
    assert_eq!(call(&app, &city, "GET", "/api/rules", None).await.0, 200);

    // The city office's tools.
    assert_eq!(
        call(&app, &city, "GET", "/api/audit?limit=5", None).await.0,
        200
    );
    assert_eq!(
        call(&app, &city, "GET", "/api/audit?colour=red", None)
            .await
            .0,
        422
    );
    assert_eq!(call(&app, &town, "GET", "/api/audit", None).await.0, 403);
    assert_eq!(
        call(&app, &city, "GET", "/api/publications", None).await.0,
        200
    );
    let decision = json!({"fund": "dibao", "period": "2026-01", "action": "publish"});
    assert_eq!(
        call(&app, &city, "POST", "/api/publications", Some(decision))
            .await
            .0,
        422
    );
    let template = format!(
        "{}/seeds/templates/vehicles.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let vehicles = std::fs::read(template).unwrap();
    let imported = app.upload("city", "vehicles", "v.csv", vehicles).await;
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    assert_eq!(
        app.upload("city", "vehicles", "v.csv", b"plate\n".to_vec())
            .await
            .status(),
        422
    );
    assert_eq!(
        app.upload("city", "horses", "v.csv", b"a\n".to_vec())
            .await
            .status(),
        404
    );
    assert_eq!(
        app.upload("qingxi", "vehicles", "v.csv", b"a\n".to_vec())
            .await
            .status(),
        403
    );

    // Operations, sign-out.
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(call(&app, "", "GET", path, None).await.0, 200, "{path}");
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
