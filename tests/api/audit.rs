//! The audit log: `GET /api/audit` (city office only, newest first, paged, filtered), its
//! page, and `qingfeng audit verify` finding a record changed behind the application's back.

use std::process::{Command, Output};

use chrono::{Duration, TimeZone, Utc};
use qingfeng::audit::log::{VerifyError, verify_store};
use qingfeng::audit::{AuditAction, AuditEntry};
use qingfeng::store::{AuditTamper, Store};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

const BIN: &str = env!("CARGO_BIN_EXE_qingfeng");

/// Seven records: logins of `city` at odd minutes, failed sign-ins of a stranger at even
/// ones, from 2026-03-02 09:01 Beijing time on.
async fn seed(store: &Store) {
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    for n in 1..=7 {
        let at = start + Duration::minutes(n);
        let entry = match n % 2 {
            1 => AuditEntry::new(at, "city", AuditAction::Login, "city"),
            _ => AuditEntry::new(at, "anonymous", AuditAction::LoginFailed, "stranger")
                .with_detail("wrong username or password"),
        };
        store
            .append_audit(entry.with_client("10.1.2.3".parse().unwrap()))
            .await
            .unwrap();
    }
}

async fn seqs(app: &TestApp, token: &str, query: &str) -> (Vec<u64>, Value) {
    let body = app.get_json(token, &format!("/api/audit{query}")).await;
    let seqs = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    (seqs, body["next"].clone())
}

#[tokio::test]
async fn only_the_city_office_reads_the_audit_log() {
    let app = spawn_app().await;
    for user in ["qingxi", "leader", "wall", "liutang"] {
        let token = app.login(user).await;
        let response = app.get(&token, "/api/audit").await;
        assert_eq!(response.status(), 403, "{user}");
    }
    assert_eq!(
        app.client
            .get(format!("{}/api/audit", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let city = app.login("city").await;
    // The newest record is the city office's own sign-in, the fifth of this test's.
    let body = app.get_json(&city, "/api/audit?limit=1").await;
    let record = &body["records"][0];
    assert_eq!(record["seq"], 5);
    assert_eq!(record["actor"], "city");
    assert_eq!(record["action"], "login");
    assert_eq!(record["target"], "user city");
    assert_eq!(record["client"], "127.0.0.1");
    assert_eq!(record["hash"].as_str().unwrap().len(), 64);
    assert_eq!(record["prev_hash"].as_str().unwrap().len(), 64);
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_and_filters() {
    let app = spawn_app().await;
    seed(app.engine.store()).await;
    let city = app.login("city").await;

    // Seven seeded records, then the city office's sign-in (record 8).
    let (first, next) = seqs(&app, &city, "?limit=3").await;
    assert_eq!((first, next.clone()), (vec![8, 7, 6], Value::from(6)));
    let (second, next) = seqs(&app, &city, &format!("?limit=3&after={next}")).await;
    assert_eq!(second, [5, 4, 3]);
    let (third, next) = seqs(&app, &city, &format!("?limit=3&after={next}")).await;
    assert_eq!((third, next), (vec![2, 1], Value::Null));

    let (failed, _) = seqs(&app, &city, "?action=login_failed").await;
    assert_eq!(failed, [6, 4, 2]);
    let (mine, _) = seqs(&app, &city, "?actor=city&action=").await;
    assert_eq!(mine, [8, 7, 5, 3, 1]);
    // 09:03 to 09:05 Beijing time, both ends included.
    let window = "?from=2026-03-02T09:03:00%2B08:00&to=2026-03-02T01:05:00Z";
    assert_eq!(seqs(&app, &city, window).await.0, [5, 4, 3]);
    assert_eq!(
        seqs(&app, &city, "?from=2026-03-02&to=2026-03-02")
            .await
            .0
            .len(),
        7
    );
    assert!(
        seqs(&app, &city, "?from=2026-03-03&to=2026-03-31")
            .await
            .0
            .is_empty()
    );

    for (query, field) in [
        ("?limit=501", "limit"),
        ("?limit=0", "limit"),
        ("?action=dance", "action"),
        ("?from=March", "from"),
        ("?after=x", "after"),
        ("?order=asc", "order"),
    ] {
        let response = app.get(&city, &format!("/api/audit{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{query}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_audit_page_is_served_without_inline_script_or_style() {
    let app = spawn_app().await;
    for (path, expected) in [
        ("/screens/audit", "text/html"),
        ("/screens/assets/audit.js", "text/javascript"),
        ("/screens/assets/audit.css", "text/css"),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(expected), "{path}: {content_type}");
    }
    let page = app
        .client
        .get(format!("{}/screens/audit", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for hook in [
        "审计日志",
        "id=\"f-action\"",
        "id=\"f-actor\"",
        "id=\"next-page\"",
    ] {
        assert!(page.contains(hook), "the audit page lacks {hook}");
    }
    assert!(!page.contains("style="), "inline style attribute");
    assert!(!page.contains("<style"), "inline style sheet");
    assert!(
        page.matches("<script").count() == page.matches("<script type=\"module\" src=").count(),
        "inline script"
    );
    app.stop().await;
}

#[tokio::test]
async fn verify_names_a_record_changed_in_the_store() {
    let app = spawn_app().await;
    let store = app.engine.store();
    seed(store).await;
    assert_eq!(verify_store(store).await.unwrap().records, 7);
    let tamper = AuditTamper::Edit {
        seq: 4,
        detail: "nothing happened".into(),
    };
    store.tamper_audit_for_tests(tamper).await.unwrap();
    match verify_store(store).await {
        Err(VerifyError::Broken(broken)) => {
            assert_eq!(broken.seq, 4);
            assert!(broken.to_string().contains("was changed"), "{broken}");
        }
        other => panic!("expected a broken chain, got {other:?}"),
    }
    app.stop().await;
}

fn qingfeng(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Opens the embedded store, does `work`, and closes it again for the next process.
async fn with_store(url: &str, work: impl AsyncFnOnce(&Store)) {
    let store = Store::connect(url).await.unwrap();
    work(&store).await;
    store.shutdown().await;
    drop(store);
    // The SDK releases the datastore's lock in a background task.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

#[tokio::test]
async fn the_command_line_records_a_scan_and_verify_names_a_deleted_record() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("db").display());

    let scan = qingfeng(&["scan", "--store", &url]);
    assert!(scan.status.success(), "scan: {}", text(&scan.stderr));
    with_store(&url, async |store| seed(store).await).await;

    let intact = qingfeng(&["audit", "verify", "--store", &url]);
    let out = text(&intact.stdout);
    assert!(intact.status.success(), "{out}{}", text(&intact.stderr));
    assert!(
        out.contains("audit log intact: 8 records, last hash "),
        "{out}"
    );

    let listed = qingfeng(&["audit", "list", "--action", "scan", "--store", &url]);
    let out = text(&listed.stdout);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("scan") && out.contains("system"), "{out}");

    with_store(&url, async |store| {
        let tamper = AuditTamper::Delete { seq: 3 };
        store.tamper_audit_for_tests(tamper).await.unwrap();
    })
    .await;
    let broken = qingfeng(&["audit", "verify", "--store", &url]);
    assert_eq!(broken.status.code(), Some(1));
    let (out, err) = (text(&broken.stdout), text(&broken.stderr));
    assert!(out.contains("audit log BROKEN at record 4"), "{out}");
    assert!(
        err.contains("audit record 4 follows record 2: record 3 was deleted or moved"),
        "{err}"
    );
}
