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

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/imports/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const EARLY_CODE_MESSAGE: &str = "unified social credit code 91990102MA0000001E: \
    check character E, expected D; early codes may fail the check";

#[tokio::test]
async fn an_early_credit_code_is_imported_with_a_warning_naming_the_cell() {
    let app = spawn_app().await;
    let name = "companies_early_code.csv";
    let response = upload(&app, "city", "companies", name, fixture(name)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["rows"], 2);
    assert_eq!(
        body["warnings"],
        serde_json::json!([{
            "file": name,
            "row": 2,
            "column": "uscc",
            "value": "91990102MA0000001E",
            "message": EARLY_CODE_MESSAGE,
        }])
    );
    let stored = app.engine.store().load_rows("companies").await.unwrap();
    assert_eq!(stored.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_credit_code_is_refused_with_the_exact_error() {
    let app = spawn_app().await;
    let name = "companies_malformed_code.csv";
    let response = upload(&app, "city", "companies", name, fixture(name)).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"],
        serde_json::json!([{
            "file": name,
            "row": 2,
            "column": "uscc",
            "value": "91990102MA000001D",
            "reason": "unified social credit code 91990102MA000001D: must be 18 characters, found 17",
        }])
    );
    assert!(
        app.engine
            .store()
            .load_rows("companies")
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

/// `qingfeng import` on a fresh in-memory store, run as the real binary.
fn cli_import(fixture_name: &str) -> std::process::Output {
    let path = format!(
        "{}/tests/fixtures/imports/{fixture_name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::process::Command::new(env!("CARGO_BIN_EXE_qingfeng"))
        .args(["import", "--kind", "companies", "--store", "mem://", &path])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("qingfeng import runs")
}

#[test]
fn the_import_command_prints_the_warning_and_refuses_a_malformed_code() {
    let output = cli_import("companies_early_code.csv");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("imported 2 companies rows"), "{stdout}");
    let expected = format!(
        "warning: {}/tests/fixtures/imports/companies_early_code.csv row 2 column uscc: {EARLY_CODE_MESSAGE}",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(
        stdout.lines().any(|line| line == expected),
        "{expected}\nnot in\n{stdout}"
    );

    let output = cli_import("companies_malformed_code.csv");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{output:?}");
    assert!(
        stderr.contains(
            "companies_malformed_code.csv row 2 column uscc: unified social credit code \
             91990102MA000001D: must be 18 characters, found 17"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 problem(s) found; nothing was imported"),
        "{stderr}"
    );
}
