//! Maps and charts: the city map has one shape per town carrying its code, regions
//! outside a user's scope are not found, and charts revalidate by ETag.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{CITY, TOWN_QINGXI, TOWN_TAOYUAN, VILLAGE_LIUTANG, spawn_app};

const TOWNS: [&str; 7] = [
    "990102001000",
    "990102002000",
    "990102100000",
    "990102101000",
    "990102102000",
    "990102103000",
    "990102200000",
];

#[tokio::test]
async fn the_city_map_has_one_path_per_town_with_its_code() {
    let app = spawn_app().await;
    let token = app.login("leader").await;
    let response = app.get(&token, &format!("/maps/{CITY}.svg")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    let svg = response.text().await.unwrap();
    assert_eq!(svg.matches("<path class=\"region\"").count(), TOWNS.len());
    for town in TOWNS {
        assert_eq!(
            svg.matches(&format!("<path class=\"region\" data-code=\"{town}\""))
                .count(),
            1
        );
        assert!(svg.contains(&format!("<text class=\"label\" data-code=\"{town}\"")));
    }
    assert!(svg.contains("data-name=\"青溪镇\""));
    let json = app
        .get_json(&token, &format!("/api/maps/{TOWN_QINGXI}"))
        .await;
    assert_eq!(json["code"], TOWN_QINGXI);
    assert_eq!(json["name"], "青溪镇");
    assert!(json["viewBox"].as_str().unwrap().starts_with("0 0 1000 "));
    let regions = json["regions"].as_array().unwrap();
    let summary = app
        .get_json(&token, &format!("/api/regions/{TOWN_QINGXI}/summary"))
        .await;
    assert_eq!(regions.len(), summary["regions"].as_array().unwrap().len());
    let first = &regions[0];
    assert!(first["d"].as_str().unwrap().starts_with('M'));
    assert_eq!(first["label"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[tokio::test]
async fn maps_and_charts_outside_the_users_region_are_not_found() {
    let app = spawn_app().await;
    let token = app.login("qingxi").await;
    assert_eq!(
        app.get(&token, &format!("/maps/{TOWN_QINGXI}.svg"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(&token, &format!("/maps/{VILLAGE_LIUTANG}.svg"))
            .await
            .status(),
        200
    );
    for path in [
        format!("/maps/{TOWN_TAOYUAN}.svg"),
        format!("/maps/{CITY}.svg"),
        format!("/api/maps/{TOWN_TAOYUAN}"),
        format!("/charts/trend.svg?region={TOWN_TAOYUAN}"),
        format!("/charts/domains.svg?region={CITY}"),
        "/maps/990102999000.svg".to_owned(),
    ] {
        let response = app.get(&token, &path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "not_found", "{path}");
    }
    let response = app
        .client
        .get(format!("{}/maps/{CITY}.svg", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let cookie = app
        .client
        .get(format!("{}/maps/{TOWN_QINGXI}.svg", app.address))
        .header("cookie", format!("qingfeng_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cookie.status(), 200, "the screens' cookie is accepted");
    let bad = app
        .get(
            &token,
            &format!("/charts/trend.svg?region={TOWN_QINGXI}&days=0"),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

/// GET with `If-None-Match`; returns the status and the ETag.
async fn revalidate(
    app: &crate::helpers::TestApp,
    token: &str,
    path: &str,
    etag: &str,
) -> (StatusCode, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (response.status(), etag)
}

#[tokio::test]
async fn a_chart_gets_a_new_etag_when_a_warning_is_raised_and_is_304_while_unchanged() {
    let app = spawn_app().await;
    let token = app.login("city").await;
    for chart in ["trend", "rectification", "domains"] {
        let path = format!("/charts/{chart}.svg?region={TOWN_QINGXI}");
        let first = app.get(&token, &path).await;
        assert_eq!(first.status(), 200, "{path}");
        assert_eq!(first.headers()["cache-control"], "private, no-cache");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let svg = first.text().await.unwrap();
        assert!(svg.contains("青溪镇"), "{chart}: the title names the town");
        let (status, same) = revalidate(&app, &token, &path, &etag).await;
        assert_eq!(
            (status, same.as_str()),
            (StatusCode::NOT_MODIFIED, etag.as_str())
        );
    }
    let path = format!("/charts/trend.svg?region={TOWN_QINGXI}&days=7");
    let before = app.get(&token, &path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let domains = format!("/charts/domains.svg?region={TOWN_QINGXI}");
    let domains_before = app.get(&token, &domains).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    // A warning in another town moves the log but not Qingxi's chart.
    app.raise_ok("990102101001").await;
    assert_eq!(
        revalidate(&app, &token, &path, &before).await.0,
        StatusCode::NOT_MODIFIED
    );
    app.raise_ok(VILLAGE_LIUTANG).await;
    let (status, after) = revalidate(&app, &token, &path, &before).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(after, before);
    // Unchanged since: the new ETag is stable.
    assert_eq!(
        revalidate(&app, &token, &path, &after).await.0,
        StatusCode::NOT_MODIFIED
    );
    let (status, domains_after) = revalidate(&app, &token, &domains, &domains_before).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(domains_after, domains_before);
    app.stop().await;
}

#[tokio::test]
async fn a_bad_boundary_file_stops_the_start_naming_feature_and_field() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.geojson");
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"无码"},"geometry":null}]}"#;
    std::fs::write(&path, text).unwrap();
    let config = qingfeng::app::Config {
        store_url: "mem://".into(),
        bind: "127.0.0.1:0".parse().unwrap(),
        regions_path: Some(root.join("seeds/regions.csv")),
        geojson_path: Some(path.clone()),
        lifecycle_path: root.join("workflows/lifecycle.toml"),
        rules_dir: root.join("workflows/rules"),
        ..qingfeng::app::Config::default()
    };
    let error = qingfeng::app::App::build(config)
        .await
        .err()
        .expect("the start fails");
    let message = format!("{error:#}");
    assert!(
        message.contains(&format!(
            "{}: feature 0: properties.code: is missing",
            path.display()
        )),
        "{message}"
    );
}
