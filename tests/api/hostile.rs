//! Hostile input: one test per attack a stranger or a careless user can make, each of which
//! once took the server down or let someone in. Every one ends by checking that the server
//! still answers.

use serde_json::{Value, json};

use qingfeng::datagen::hostile::{billion_row_workbook, inline, workbook};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

async fn assert_alive(app: &TestApp) {
    let health = app.client.get(format!("{}/healthz", app.address)).send();
    assert_eq!(
        health.await.unwrap().status(),
        200,
        "the server still answers"
    );
}

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_workbook_naming_a_cell_a_billion_rows_down_is_refused_and_the_server_lives() {
    let app = spawn_app().await;
    let bytes = billion_row_workbook();
    assert!(bytes.len() < 4096, "a small file: {} bytes", bytes.len());
    let response = app.upload("city", "vehicles", "huge.xlsx", bytes).await;
    let (status, body) = problem(response).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "import_too_large");
    assert_eq!(body["limit"], "max_rows");
    let error = &body["errors"][0];
    assert_eq!(error["file"], "huge.xlsx");
    assert_eq!(error["row"], 1_000_000_000);
    assert_eq!(error["column"], "XFD");
    assert_alive(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_zip_bomb_is_refused_by_its_compression_ratio() {
    let app = spawn_app().await;
    let header = format!(r#"<row r="1">{}</row>"#, inline("A1", "plate"));
    // Twenty megabytes of spaces deflate to about twenty kilobytes.
    let bytes = workbook(&header, 20 << 20);
    assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    let (status, body) = problem(app.upload("city", "vehicles", "bomb.xlsx", bytes).await).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["limit"], "max_compression_ratio");
    let reason = body["errors"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("xl/worksheets/sheet1.xml"), "{reason}");
    assert_alive(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn an_entry_inflating_past_its_limit_is_refused_without_being_read_whole() {
    let app = spawn_app_with(|config| {
        config.security.import.max_entry_bytes = 1 << 20;
    })
    .await;
    let header = format!(r#"<row r="1">{}</row>"#, inline("A1", "plate"));
    let bytes = workbook(&header, 3 << 20);
    let (status, body) = problem(app.upload("city", "vehicles", "big.xlsx", bytes).await).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["limit"], "max_entry_bytes");
    assert_alive(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_csv_of_a_hundred_thousand_columns_is_refused_at_its_first_row() {
    let app = spawn_app().await;
    let mut text = String::from("owner_id,plate,registered_on");
    text.push_str(&",x".repeat(100_000));
    text.push('\n');
    let (status, body) = problem(
        app.upload("city", "vehicles", "wide.csv", text.into())
            .await,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["limit"], "max_columns");
    assert_eq!(body["errors"][0]["row"], 1);
    assert!(
        body["detail"].as_str().unwrap().contains("wide.csv"),
        "{body}"
    );
    assert_alive(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn an_upload_over_the_size_limit_answers_413_naming_the_limit() {
    let app = spawn_app_with(|config| {
        config.security.import.max_file_bytes = 100_000;
    })
    .await;
    let big = vec![b'a'; 300_000];
    let (status, body) = problem(app.upload("city", "vehicles", "big.csv", big).await).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["limit"], "max_file_bytes");
    assert_alive(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_file_bad_in_every_row_lists_a_bounded_number_of_problems() {
    let app = spawn_app().await;
    let mut text = String::from("owner_id,plate,registered_on\n");
    for _ in 0..5_000 {
        text.push_str("bad,bad,bad\n");
    }
    let (status, body) =
        problem(app.upload("city", "vehicles", "bad.csv", text.into()).await).await;
    assert_eq!(status, 422, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(
        errors.len(),
        1_001,
        "1,000 listed and one counting the rest"
    );
    let last = errors.last().unwrap()["reason"].as_str().unwrap();
    assert!(last.contains("more problem(s) not listed"), "{last}");
    app.stop().await;
}

/// Signs in; returns the status and the answer.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/auth/login", app.address))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_until_it_is_unlocked() {
    let app = spawn_app().await;
    for attempt in 1..=5 {
        let response = sign_in(&app, "liutang", "wrong password").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let (status, body) = problem(sign_in(&app, "liutang", PASSWORD).await).await;
    assert_eq!(
        status, 423,
        "the right password is refused while locked: {body}"
    );
    assert_eq!(body["code"], "account_locked");
    assert!(body["locked_until"].is_string(), "{body}");
    // Another account is not affected.
    assert_eq!(sign_in(&app, "shimen", PASSWORD).await.status(), 200);
    // What `qingfeng users unlock` does.
    app.engine.store().clear_lockout("liutang").await.unwrap();
    assert_eq!(sign_in(&app, "liutang", PASSWORD).await.status(), 200);
    let metrics = app.client.get(format!("{}/metrics", app.address)).send();
    let metrics = metrics.await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("qingfeng_logins_total{outcome=\"failed\"} 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("qingfeng_logins_total{outcome=\"lockout\"} 1"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_username_is_locked_like_a_real_one() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(sign_in(&app, "nobody", "guess").await.status(), 401);
    }
    assert_eq!(sign_in(&app, "nobody", "guess").await.status(), 423);
    app.stop().await;
}

async fn password_checks(app: &TestApp) -> u64 {
    let metrics = app.client.get(format!("{}/metrics", app.address)).send();
    let text = metrics.await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("qingfeng_password_checks_total "))
        .expect("the counter is on /metrics")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn an_unknown_user_s_sign_in_goes_through_a_password_check() {
    let app = spawn_app().await;
    let before = password_checks(&app).await;
    assert_eq!(sign_in(&app, "nobody", "guess").await.status(), 401);
    assert_eq!(password_checks(&app).await, before + 1);
    assert_eq!(sign_in(&app, "liutang", "guess").await.status(), 401);
    assert_eq!(password_checks(&app).await, before + 2);
    app.stop().await;
}

#[tokio::test]
async fn a_burst_of_sign_ins_from_one_address_gets_429_with_retry_after() {
    let app = spawn_app_with(|config| {
        config.security.login.burst_per_address = 3;
        config.security.login.attempts_per_minute_per_address = 3;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(sign_in(&app, "nobody", "guess").await.status(), 401);
    }
    let response = sign_in(&app, "liutang", PASSWORD).await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    let (_, body) = problem(response).await;
    assert_eq!(body["code"], "too_many_attempts");
    assert_alive(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn oversized_credentials_are_refused_unread() {
    let app = spawn_app().await;
    let long = "x".repeat(300);
    let (status, body) = problem(sign_in(&app, "liutang", &long).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["field"], "password");
    let huge = app
        .client
        .post(format!("{}/api/auth/login", app.address))
        .header("content-type", "application/json")
        .body(vec![b' '; 1 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    app.stop().await;
}

fn qingfeng(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qingfeng"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("qingfeng runs")
}

#[test]
fn the_import_command_refuses_the_billion_row_workbook_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.xlsx");
    std::fs::write(&path, billion_row_workbook()).unwrap();
    let path = path.to_str().unwrap();
    let output = qingfeng(&["import", "--kind", "vehicles", "--store", "mem://", path]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        stderr.contains("row 1000000000 column XFD: over the limit max_rows = 2000000"),
        "{stderr}"
    );
}

#[test]
fn users_add_holds_passwords_to_the_policy_and_unlock_ends_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("surrealkv://{}", dir.path().join("users.db").display());
    let add = |password: &str| {
        qingfeng(&[
            "users",
            "add",
            "--username",
            "wang",
            "--password",
            password,
            "--role",
            "town_office",
            "--region",
            "990102100000",
            "--store",
            &store,
        ])
    };
    let weak = add("qingfeng-demo");
    assert!(!weak.status.success());
    let stderr = String::from_utf8_lossy(&weak.stderr);
    assert!(
        stderr.contains("password must mix at least 3 of"),
        "{stderr}"
    );
    assert!(add("Qingfeng-2026").status.success());
    let unlock = qingfeng(&["users", "unlock", "--username", "wang", "--store", &store]);
    assert!(unlock.status.success(), "{unlock:?}");
    assert!(String::from_utf8_lossy(&unlock.stdout).contains("wang unlocked"));
    let nobody = qingfeng(&["users", "unlock", "--username", "li", "--store", &store]);
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no user named li"));
}
