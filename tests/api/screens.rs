//! The wall screens as the server delivers them: pages and assets with their content
//! types, and the photo uploads a steward's tablet makes before submitting a rectification.

use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::helpers::{CITY, PNG, TestApp, VILLAGE_LIUTANG, spawn_app};

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn pages_and_assets_are_served_with_their_content_types() {
    let app = spawn_app().await;
    let cases = [
        ("/screens/", "text/html"),
        ("/screens/city", "text/html"),
        ("/screens/town/990102100000", "text/html"),
        ("/screens/village/990102100201", "text/html"),
        ("/screens/assets/live.js", "text/javascript"),
        ("/screens/assets/api.js", "text/javascript"),
        ("/screens/assets/wall.css", "text/css"),
        ("/screens/assets/favicon.svg", "image/svg+xml"),
    ];
    for (path, expected) in cases {
        let response = fetch(&app, path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        let content_type = headers["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(expected), "{path}: {content_type}");
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
    }
    let city = fetch(&app, "/screens/city").await.text().await.unwrap();
    for hook in [
        "id=\"count-red\"",
        "id=\"count-overdue\"",
        "id=\"map-back\"",
        "数据已断开 · 正在重连…",
    ] {
        assert!(city.contains(hook), "the city page lacks {hook}");
    }
    assert_eq!(fetch(&app, "/screens/assets/nope.js").await.status(), 404);
    assert_eq!(fetch(&app, "/screens/assets/city.html").await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn the_root_sends_a_browser_to_the_sign_in_page() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let response = client.get(&app.address).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/screens/");
    app.stop().await;
}

#[tokio::test]
async fn a_png_is_stored_and_served_to_readers_of_its_region_only() {
    let app = spawn_app().await;
    let id = app.raise_acknowledged().await;
    let response = app.attach("liutang", &id, "整改.png", PNG.to_vec()).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "整改.png");
    assert_eq!(body["content_type"], "image/png");
    assert_eq!(body["size"], PNG.len());
    let photo = body["id"].as_str().unwrap();

    let town = app.login("qingxi").await;
    let served = app.get(&town, &format!("/api/attachments/{photo}")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

    let other_town = app.login("taoyuan").await;
    let refused = app
        .get(&other_town, &format!("/api/attachments/{photo}"))
        .await;
    assert_eq!(refused.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_text_file_renamed_png_is_refused_naming_the_file() {
    let app = spawn_app().await;
    let id = app.raise_acknowledged().await;
    let text = b"this is a note, not a photo".to_vec();
    let response = app.attach("liutang", &id, "photo.png", text).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["file"], "photo.png");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("photo.png") && detail.contains("not a JPEG, PNG or WebP"),
        "{detail}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_photo_over_five_megabytes_is_refused_naming_the_file() {
    let app = spawn_app().await;
    let id = app.raise_acknowledged().await;
    let mut big = PNG.to_vec();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let response = app.attach("liutang", &id, "big.png", big).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["file"], "big.png");
    assert!(
        problem["detail"].as_str().unwrap().contains("5 MB"),
        "{problem}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_steward_of_another_village_may_not_attach() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let response = app.attach("shimen", &id, "a.png", PNG.to_vec()).await;
    assert_eq!(response.status(), 404, "the warning is not theirs to see");
    // A city display reads the warning but may change nothing.
    let response = app.attach("wall", &id, "a.png", PNG.to_vec()).await;
    assert_eq!(response.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_submitted_rectification_records_its_photos_in_the_history() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let steward = app.login("liutang").await;
    app.command_ok(&steward, &id, json!({"type": "acknowledge"}))
        .await;
    let upload: Value = app
        .attach("liutang", &id, "after.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let photo = upload["id"].as_str().unwrap();

    // A photo of another warning cannot be cited.
    let other = app.raise_acknowledged().await;
    let foreign: Value = app
        .attach("liutang", &other, "x.png", PNG.to_vec())
        .await
        .json()
        .await
        .unwrap();
    let refused = app
        .command(
            &steward,
            &id,
            json!({"type": "submit_rectification", "note": "已整改", "photos": [foreign["id"]]}),
        )
        .await;
    assert_eq!(refused.status(), 422);

    let warning = app
        .command_ok(
            &steward,
            &id,
            json!({"type": "submit_rectification", "note": "已整改", "photos": [photo]}),
        )
        .await;
    assert_eq!(warning["state"], "submitted");
    let history = app.warning(&id).await["history"].clone();
    let submitted = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "rectification_submitted")
        .expect("a submission in the history");
    assert_eq!(submitted["data"]["attachments"], json!([photo]));
    app.stop().await;
}

#[tokio::test]
async fn the_summary_tells_what_was_raised_and_rectified_today() {
    let app = spawn_app().await;
    let city = app.login("city").await;
    let before = app
        .get_json(&city, &format!("/api/regions/{CITY}/summary"))
        .await;
    assert_eq!(before["raised_today"], 0);
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    app.rectify_and_verify(&id).await;
    let after = app
        .get_json(&city, &format!("/api/regions/{CITY}/summary"))
        .await;
    assert_eq!(after["raised_today"], 1);
    assert_eq!(after["rectified_today"], 1);
    // Two days later neither happened "today".
    app.clock.advance(chrono::Duration::days(2));
    let later = app
        .get_json(&city, &format!("/api/regions/{CITY}/summary"))
        .await;
    assert_eq!(
        (
            later["raised_today"].as_i64(),
            later["rectified_today"].as_i64()
        ),
        (Some(0), Some(0))
    );
    app.stop().await;
}
