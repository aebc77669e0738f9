use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_ready_and_metrics_answer() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "qingfeng_projection_position",
        "qingfeng_http_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "qingfeng_http_request_duration_seconds_count{route=\"/readyz\"} 1",
        "qingfeng_warnings{level=\"red\"} 0",
        "qingfeng_ws_refused_total{reason=\"origin\"} 0",
        "# EOF",
    ] {
        assert!(metrics.contains(expected), "no {expected} in {metrics}");
    }
    let infinite_bucket = metrics.lines().find(|line| {
        line.starts_with("qingfeng_http_request_duration_seconds_bucket{")
            && line.contains("route=\"/healthz\"")
            && line.contains("le=\"+Inf\"")
    });
    assert!(
        infinite_bucket.is_some_and(|line| line.ends_with(" 1")),
        "{metrics}"
    );
    // A path nobody routes is counted under one label, so probing cannot grow the labels.
    for path in ["/no/such/page", "/another/guess"] {
        let response = app.client.get(format!("{}{path}", app.address)).send();
        assert_eq!(response.await.unwrap().status(), 404);
    }
    let metrics = app.client.get(format!("{}/metrics", app.address)).send();
    let metrics = metrics.await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("qingfeng_http_requests_total{route=\"unmatched\",status=\"404\"} 2"),
        "{metrics}"
    );
    assert!(!metrics.contains("guess"), "{metrics}");
    app.stop().await;
}

#[tokio::test]
async fn every_documented_path_is_routed() {
    let app = spawn_app().await;
    let spec: Value = app
        .client
        .get(format!("{}/api/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    for (path, methods) in paths {
        let concrete = path
            .replace("{id}", "W20260101-XXXXXX")
            .replace("{code}", "990102000000")
            .replace("/public/assets/{file}", "/public/assets/public.css")
            .replace("/screens/assets/{file}", "/screens/assets/api.js")
            .replace("/maps/{file}", "/maps/990102000000.svg")
            .replace("/charts/{file}", "/charts/trend.svg")
            .replace("{kind}", "vehicles")
            .replace("{fund}", "dibao")
            .replace("{period}", "2026-01")
            .replace("{key}", "1.village_steward.S1.wecom");
        for method in methods.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => app.client.get(format!("{}{concrete}", app.address)),
                "post" => app.client.post(format!("{}{concrete}", app.address)),
                "put" => app.client.put(format!("{}{concrete}", app.address)),
                "delete" => app.client.delete(format!("{}{concrete}", app.address)),
                other => panic!("unexpected method {other}"),
            };
            let response = request.send().await.unwrap();
            // Unauthenticated or malformed requests are refused, but a route must exist:
            // axum answers an unrouted path with a bare 404 and no content type.
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            // Our own 404s are problem documents or pages (public pages answer in HTML).
            assert!(
                status != 404 || content_type.contains("problem") || content_type.contains("html"),
                "{method} {path} is not routed"
            );
            assert_ne!(status, 405, "{method} {path}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_problem_document() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/api/auth/login", app.address))
        .json(&serde_json::json!({"username": "city", "password": "nope-nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    let response = app
        .client
        .get(format!("{}/api/warnings", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    app.stop().await;
}
