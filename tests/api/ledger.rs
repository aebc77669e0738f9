//! Outcomes and returns through the API, the ledger and its export read back, the funnel,
//! the numbered notices, and refusals of garbage.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{VILLAGE_LIUTANG, VILLAGE_SHIMEN, spawn_app};

fn outcome(finding: &str, people: u32, fen: i64) -> Value {
    let handling = if finding == "unsubstantiated" {
        json!([])
    } else {
        json!(["criticism"])
    };
    json!({"type": "record_outcome", "finding": finding, "handling": handling,
           "people": people, "amount_due_fen": fen, "note": "已处理"})
}

fn recovery(fen: i64, receipt: &str) -> Value {
    json!({"type": "record_recovery", "amount_fen": fen, "date": "2026-03-01", "receipt": receipt})
}

async fn status_and_problem(
    app: &crate::helpers::TestApp,
    token: &str,
    id: &str,
    body: Value,
) -> (u16, Value) {
    let response = app.command(token, id, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn outcomes_and_returns_are_recorded_checked_and_corrected() {
    let app = spawn_app().await;
    let town = app.login("qingxi").await;
    let other_town = app.login("taoyuan").await;
    let steward = app.login("liutang").await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;

    // Not yet disposed of: 409; a steward: 403; another town: 404 (not readable).
    let (status, _) =
        status_and_problem(&app, &town, &id, outcome("substantiated", 1, 100_000)).await;
    assert_eq!(status, 409);
    let (status, _) =
        status_and_problem(&app, &steward, &id, outcome("substantiated", 1, 100_000)).await;
    assert_eq!(status, 403);
    let (status, _) =
        status_and_problem(&app, &other_town, &id, outcome("substantiated", 1, 100_000)).await;
    assert!(status == 403 || status == 404, "{status}");

    app.rectify_and_verify(&id).await;
    // Fields: 422 naming the field.
    for (body, field) in [
        (outcome("substantiated", 1, -5), "amount_due_fen"),
        (
            outcome("substantiated", 1, 10_000_000_001),
            "amount_due_fen",
        ),
        (outcome("substantiated", 501, 0), "people"),
        (outcome("unsubstantiated", 2, 0), "people"),
        (
            json!({"type": "record_outcome", "finding": "substantiated", "handling": [], "people": 1}),
            "handling",
        ),
        (
            json!({"type": "record_outcome", "finding": "substantiated", "handling": ["criticism"], "people": 1, "note": "长".repeat(2001)}),
            "note",
        ),
    ] {
        let (status, problem) = status_and_problem(&app, &town, &id, body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    // Return before any outcome: 409.
    let (status, _) = status_and_problem(&app, &town, &id, recovery(100, "R1")).await;
    assert_eq!(status, 409);

    let w = app
        .command_ok(&town, &id, outcome("substantiated", 2, 150_000))
        .await;
    assert_eq!(w["case"]["amount_due_fen"], 150_000);
    assert!(
        w["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("record_recovery"))
    );
    let w = app
        .command_ok(&town, &id, recovery(100_000, "TJ-001"))
        .await;
    assert_eq!(w["case"]["recovered_fen"], 100_000);
    assert!(w["case"]["concluded_at"].is_null());
    // Duplicate receipt, more than is owed: 409; non-positive, bad date, huge receipt: 422.
    assert_eq!(
        status_and_problem(&app, &town, &id, recovery(1, "TJ-001"))
            .await
            .0,
        409
    );
    assert_eq!(
        status_and_problem(&app, &town, &id, recovery(50_001, "TJ-002"))
            .await
            .0,
        409
    );
    for (body, field) in [
        (recovery(0, "TJ-003"), "amount_fen"),
        (recovery(-1, "TJ-003"), "amount_fen"),
        (
            json!({"type": "record_recovery", "amount_fen": 1, "date": "2026-13-01", "receipt": "x"}),
            "date",
        ),
        (
            json!({"type": "record_recovery", "amount_fen": 1, "date": "2099-01-01", "receipt": "x"}),
            "date",
        ),
        (recovery(1, &"票".repeat(65)), "receipt"),
        (recovery(1, "a\u{0}b"), "receipt"),
    ] {
        let (status, problem) = status_and_problem(&app, &town, &id, body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    // A correction below what was returned is refused; one above it supersedes.
    assert_eq!(
        status_and_problem(&app, &town, &id, outcome("substantiated", 2, 90_000))
            .await
            .0,
        409
    );
    let w = app
        .command_ok(&town, &id, outcome("partly_substantiated", 1, 120_000))
        .await;
    assert_eq!(w["case"]["revisions"], 2);
    assert_eq!(w["case"]["finding"], "partly_substantiated");
    let w = app.command_ok(&town, &id, recovery(20_000, "TJ-002")).await;
    assert!(w["case"]["concluded_at"].is_string());
    assert!(
        !w["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("record_recovery"))
    );
    let kinds: Vec<&str> = w["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "outcome_recorded").count(),
        2
    );
}

#[tokio::test]
async fn the_ledger_exports_the_rows_and_sums_and_the_funnel_counts_them() {
    let app = spawn_app().await;
    let town = app.login("qingxi").await;
    let city = app.login("city").await;
    let a = app.raise_ok(VILLAGE_LIUTANG).await;
    app.rectify_and_verify(&a).await;
    app.command_ok(&town, &a, outcome("substantiated", 2, 123_456))
        .await;
    app.command_ok(&town, &a, recovery(23_456, "R-1")).await;
    let b = app.raise_ok(VILLAGE_SHIMEN).await;
    app.command_ok(&town, &b, json!({"type": "dismiss", "reason": "误报"}))
        .await;
    app.command_ok(&town, &b, outcome("unsubstantiated", 0, 0))
        .await;
    let _open = app.raise_ok(VILLAGE_SHIMEN).await;

    let page = app.get_json(&town, "/api/ledger").await;
    assert_eq!(page["total"], 3);
    let pending = app.get_json(&town, "/api/ledger?finding=pending").await;
    assert_eq!(pending["total"], 1);
    let untrue = app
        .get_json(
            &city,
            &format!("/api/ledger?village={VILLAGE_SHIMEN}&finding=unsubstantiated"),
        )
        .await;
    assert_eq!(untrue["items"][0]["id"], b);
    for (query, field) in [
        ("finding=maybe", "finding"),
        ("from=2026-02-30", "from"),
        ("limit=0", "limit"),
        ("town=123", "town"),
        ("colour=red", "colour"),
    ] {
        let response = app.get(&town, &format!("/api/ledger?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field);
    }
    assert_eq!(
        app.get(&app.login("liutang").await, "/api/ledger")
            .await
            .status(),
        403
    );

    let response = app.get(&town, "/api/ledger.xlsx").await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("疑似问题线索台账").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows[0][0], Data::String("序号".into()));
    assert_eq!(rows.len(), 5, "header, three rows, the sum");
    let sum = &rows[4];
    assert_eq!(sum[0], Data::String("合计".into()));
    assert_eq!(sum[7], Data::Float(2.0));
    assert_eq!(sum[8], Data::Float(1234.56));
    assert_eq!(sum[9], Data::Float(234.56));
    let findings: Vec<String> = rows[1..4].iter().map(|r| r[5].to_string()).collect();
    assert!(
        findings.contains(&"属实".to_string())
            && findings.contains(&"不属实".to_string())
            && findings.contains(&"待核实".to_string()),
        "{findings:?}"
    );

    let funnel = app.get_json(&city, "/api/funnel").await;
    assert_eq!(funnel["total"]["raised"], 3);
    assert_eq!(funnel["total"]["substantiated"], 1);
    assert_eq!(funnel["total"]["people"], 2);
    assert_eq!(funnel["total"]["recovered_fen"], 23_456);
    let manual = funnel["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "")
        .unwrap()
        .clone();
    assert_eq!(manual["untrue_share"], 0.5);
}

#[tokio::test]
async fn notices_are_numbered_in_log_order_and_printable() {
    let app = spawn_app().await;
    let town = app.login("qingxi").await;
    let a = app.raise_ok(VILLAGE_LIUTANG).await;
    let b = app.raise_ok(VILLAGE_SHIMEN).await;
    app.clock.advance(Duration::days(40));
    app.step_scheduler().await;
    app.command_ok(&town, &b, json!({"type": "urge", "note": "请整改"}))
        .await;
    let w = app.command_ok(&town, &a, json!({"type": "urge"})).await;
    let year = chrono::Datelike::year(&qingfeng::clock::Clock::now(&app.clock));
    assert_eq!(w["notices"][0]["number"], format!("清风督〔{year}〕2号"));
    let url = w["notices"][0]["url"].as_str().unwrap().to_string();
    let response = app.get(&town, &url).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("催办通知书") && html.contains(&format!("清风督〔{year}〕2号")));
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = stranger
        .get(format!("{}{url}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "a stranger is sent to sign in");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/screens/?next="), "{location}");
    let (_, body) = app.get_page(&url).await;
    assert!(
        !body.contains("催办通知书"),
        "a stranger never sees the notice"
    );
    assert_eq!(
        app.get(&town, &format!("/screens/notices/{a}/9"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn garbage_outcomes_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let town = app.login("qingxi").await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    app.command_ok(&town, &id, json!({"type": "dismiss", "reason": "误报"}))
        .await;
    for body in [
        json!({"type": "record_outcome", "finding": "substantiated", "handling": ["criticism"], "people": 1e30}),
        json!({"type": "record_outcome", "finding": "substantiated", "handling": ["criticism"], "people": 1, "amount_due_fen": 1e300}),
        json!({"type": "record_outcome", "finding": "maybe"}),
        json!({"type": "record_outcome", "finding": "substantiated", "handling": ["flogging"], "people": 1}),
        json!({"type": "record_recovery", "amount_fen": "12.5", "date": "2026-03-01", "receipt": "x"}),
        json!({"type": "record_recovery", "amount_fen": 1, "date": "x".repeat(100_000), "receipt": "x"}),
    ] {
        let response = app.command(&town, &id, body.clone()).await;
        let shown: String = body.to_string().chars().take(200).collect();
        assert_eq!(response.status(), 422, "{shown}");
    }
    let w = app.warning(&id).await;
    assert!(w["case"].is_null());
}
