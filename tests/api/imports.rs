//! Dataset uploads over HTTP: checked whole, refused whole, with every bad cell named.

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

async fn upload(
    app: &TestApp,
    user: &str,
    kind: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    app.upload(user, kind, name, bytes).await
}

fn template(kind: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/seeds/templates/{kind}.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn the_city_office_imports_a_file_and_a_retry_adds_nothing() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let response = upload(
            &app,
            "city",
            "welfare_payments",
            "welfare.csv",
            template("welfare_payments"),
        )
        .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["rows"], 2);
    }
    let stored = app
        .engine
        .store()
        .load_rows("welfare_payments")
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_file_with_bad_rows_is_refused_whole_with_every_problem_listed() {
    let app = spawn_app().await;
    let text = "owner_id,plate,registered_on\n990102198001010010,清A12345,2021-06-18\n990102198001010011,清A12346,2021-06-18\n990102198001010010,清A12347,2021-02-30\n";
    let response = upload(
        &app,
        "city",
        "vehicles",
        "cars.csv",
        text.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "import_refused");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(
        (errors[0]["row"].as_u64(), errors[0]["column"].as_str()),
        (Some(3), Some("owner_id"))
    );
    assert_eq!(
        (errors[1]["row"].as_u64(), errors[1]["column"].as_str()),
        (Some(4), Some("registered_on"))
    );
    assert!(
        app.engine
            .store()
            .load_rows("vehicles")
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn only_the_city_office_imports() {
    let app = spawn_app().await;
    for user in ["qingxi", "leader", "wall", "liutang"] {
        let response = upload(&app, user, "vehicles", "v.csv", template("vehicles")).await;
        assert_eq!(response.status(), 403, "{user}");
    }
    let response = upload(&app, "city", "spaceships", "v.csv", template("vehicles")).await;
    assert_eq!(response.status(), 404);
    app.stop().await;
}
