//! The outbox end to end: contacts imported through the API, warnings raised through it,
//! the outbox stepped by hand against a fake WeCom robot on loopback. Each message
//! arrives once, however often the outbox steps, however long the gateway is down, and
//! across a restart; a message whose sender died mid-send is marked uncertain, never
//! sent again by itself; after the last attempt a dead letter the city office resends.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;
use qingfeng::app::NotifyConfig;
use qingfeng::clock::ManualClock;
use qingfeng::notify::NotifySettings;
use qingfeng::outbox::StepReport;
use serde_json::Value;

use super::fake_gateway::Gateway;
use super::wecom::fake_robot;
use crate::helpers::{TestApp, VILLAGE_LIUTANG, spawn_app_configured, start_time};

/// A steward of 柳塘村 and the office of 青溪镇, reachable on WeCom.
pub const CONTACTS: &str = "contact_id,name,role,region_code,mobile,wecom_user_id\n\
    S1,柳塘监督员,村务监督员,990102100201,13800000001,liutang-s\n\
    T1,清溪镇纪委,乡镇纪委,990102100000,13800000002,qingxi-office\n";

/// Red warnings raised go to the village steward and the town office on WeCom.
pub fn settings(webhook: &str, max_attempts: u32) -> Arc<NotifySettings> {
    let text = format!(
        r#"
[[route]]
event = "raised"
levels = ["red"]
to = ["village_steward", "town_office"]
channels = ["wecom"]
template = "raised"

[templates.raised]
title = "【清风】新预警 {{warning_number}}"
body = "{{village}}（{{town}}）{{rule_name}}，请于{{deadline}}前整改。"

[channels.wecom]
webhook = "{webhook}"
timeout_seconds = 2
rate_per_minute = 20
retry = {{ max_attempts = {max_attempts}, base_seconds = 30, max_seconds = 600 }}
"#
    );
    Arc::new(NotifySettings::from_toml_str("test-notifications.toml", &text).unwrap())
}

pub fn notify_config(settings: Arc<NotifySettings>) -> NotifyConfig {
    NotifyConfig {
        settings: Some(settings),
        secrets: None,
        run: false,
    }
}

pub async fn app_with(store: &str, clock: ManualClock, settings: Arc<NotifySettings>) -> TestApp {
    let bind = "127.0.0.1:0".parse().unwrap();
    spawn_app_configured(store, clock, bind, move |config| {
        config.notify = notify_config(settings);
    })
    .await
}

pub async fn import_contacts(app: &TestApp) {
    let response = app
        .upload(
            "city",
            "contacts",
            "contacts.csv",
            CONTACTS.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

pub async fn step(app: &TestApp) -> StepReport {
    app.state.outbox.step().await.unwrap()
}

/// The messages the robot accepted (requests it did not answer with an error).
fn accepted(gateway: &Gateway) -> Vec<String> {
    gateway
        .requests()
        .into_iter()
        .map(|r| {
            r.json()["markdown"]["content"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

async fn deliveries(app: &TestApp, id: &str) -> Vec<Value> {
    let token = app.login("city").await;
    let warning = app.get_json(&token, &format!("/api/warnings/{id}")).await;
    warning["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_raised_warning_reaches_each_contact_once_and_shows_in_its_history() {
    let (gateway, webhook) = fake_robot().await;
    let app = app_with(
        "mem://",
        ManualClock::new(start_time()),
        settings(&webhook, 5),
    )
    .await;
    import_contacts(&app).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let report = step(&app).await;
    assert_eq!((report.planned, report.sent), (2, 2), "{report:?}");
    for _ in 0..3 {
        assert_eq!(step(&app).await.sent, 0);
    }
    let bodies = accepted(&gateway);
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(
        bodies
            .iter()
            .all(|b| b.contains("柳塘") && b.contains("青溪")),
        "{bodies:?}"
    );
    // The village steward is @-mentioned by the WeCom user id the contacts gave.
    let mentioned: Vec<Value> = gateway
        .requests()
        .iter()
        .map(|r| r.json()["markdown"]["content"].clone())
        .collect();
    assert!(
        mentioned
            .iter()
            .any(|c| c.as_str().unwrap().contains("liutang-s")),
        "{mentioned:?}"
    );
    let history = deliveries(&app, &id).await;
    assert_eq!(history.len(), 2, "{history:#?}");
    for delivery in &history {
        assert_eq!(delivery["status"], "sent", "{delivery:#}");
        assert_eq!(delivery["channel"], "wecom");
        assert_eq!(delivery["attempts"], 1);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_gateway_down_for_a_while_gets_each_message_once_it_is_back() {
    let (gateway, webhook) = fake_robot().await;
    let clock = ManualClock::new(start_time());
    let app = app_with("mem://", clock.clone(), settings(&webhook, 6)).await;
    import_contacts(&app).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    gateway.down.store(true, Ordering::SeqCst);
    let report = step(&app).await;
    assert_eq!(report.retrying, 2, "{report:?}");
    // Down for three attempts: each waits out its backoff (at most 30, 60, 120 s).
    for wait in [30, 60, 120] {
        clock.advance(Duration::seconds(wait));
        let report = step(&app).await;
        assert_eq!(report.sent, 0, "{report:?}");
    }
    let history = deliveries(&app, &id).await;
    assert!(
        history.iter().all(|d| d["status"] == "retrying"),
        "{history:#?}"
    );
    assert!(
        history.iter().all(|d| d["last_error"].is_string()),
        "{history:#?}"
    );
    let refused = gateway.requests().len();
    gateway.down.store(false, Ordering::SeqCst);
    clock.advance(Duration::seconds(240));
    let report = step(&app).await;
    assert_eq!(report.sent, 2, "{report:?}");
    clock.advance(Duration::seconds(3600));
    assert_eq!(step(&app).await.sent, 0);
    assert_eq!(
        gateway.requests().len(),
        refused + 2,
        "each message once, once back"
    );
    let history = deliveries(&app, &id).await;
    assert!(
        history.iter().all(|d| d["status"] == "sent"),
        "{history:#?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn after_the_last_attempt_a_dead_letter_that_the_city_office_resends() {
    let (gateway, webhook) = fake_robot().await;
    let clock = ManualClock::new(start_time());
    let app = app_with("mem://", clock.clone(), settings(&webhook, 2)).await;
    import_contacts(&app).await;
    app.raise_ok(VILLAGE_LIUTANG).await;
    gateway.down.store(true, Ordering::SeqCst);
    step(&app).await;
    clock.advance(Duration::seconds(31));
    let report = step(&app).await;
    assert_eq!(report.dead, 2, "{report:?}");
    let city = app.login("city").await;
    let dead = app.get_json(&city, "/api/notifications").await;
    let items = dead["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{dead:#}");
    assert!(items.iter().all(|d| d["status"] == "dead"));
    // The address is masked on the list.
    assert!(
        items
            .iter()
            .all(|d| !d["address"].as_str().unwrap_or("").contains("13800"))
    );
    gateway.down.store(false, Ordering::SeqCst);
    let key = items[0]["key"].as_str().unwrap();
    let path = format!("/api/notifications/{key}/resend");
    let response = app.post_empty(&city, &path).await;
    assert_eq!(response.status(), 200);
    let again = app.post_empty(&city, &path).await;
    assert_eq!(
        again.status(),
        409,
        "a waiting delivery is not resent twice"
    );
    let report = step(&app).await;
    assert_eq!(report.sent, 1, "{report:?}");
    let left = app.get_json(&city, "/api/notifications?status=dead").await;
    assert_eq!(left["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_restart_sends_nothing_twice_and_a_send_cut_short_is_marked_uncertain() {
    let (gateway, webhook) = fake_robot().await;
    let dir = tempfile::tempdir().unwrap();
    let store = format!("surrealkv://{}", dir.path().join("db").display());
    let clock = ManualClock::new(start_time());
    let app = app_with(&store, clock.clone(), settings(&webhook, 5)).await;
    import_contacts(&app).await;
    let first = app.raise_ok(VILLAGE_LIUTANG).await;
    assert_eq!(step(&app).await.sent, 2);
    let second = app.raise_ok(VILLAGE_LIUTANG).await;
    // Plan the second warning's messages, then claim one as an instance that dies before
    // the gateway answers would leave it.
    let store_handle = app.engine.store().clone();
    gateway.down.store(true, Ordering::SeqCst);
    step(&app).await;
    gateway.down.store(false, Ordering::SeqCst);
    // Its retry comes due (the backoff is at most 30 s) and another instance claims it.
    clock.advance(Duration::seconds(31));
    let now = qingfeng::clock::Clock::now(&clock).timestamp_millis();
    let waiting = deliveries(&app, &second).await;
    let cut = waiting[0]["key"].as_str().unwrap().to_owned();
    let claimed = store_handle
        .claim_deliveries(
            std::slice::from_ref(&cut),
            "dead-instance",
            now,
            now + 1_000,
        )
        .await
        .unwrap();
    assert_eq!(claimed, std::slice::from_ref(&cut));
    let sent_before = gateway.requests().len();
    // The store closes only when its last handle goes.
    drop(store_handle);
    app.stop().await;

    let app = app_with(&store, clock.clone(), settings(&webhook, 5)).await;
    clock.advance(Duration::minutes(10));
    let report = step(&app).await;
    assert_eq!((report.uncertain, report.sent), (1, 1), "{report:?}");
    for _ in 0..3 {
        clock.advance(Duration::minutes(10));
        assert_eq!(step(&app).await.sent, 0);
    }
    assert_eq!(gateway.requests().len(), sent_before + 1);
    assert!(
        deliveries(&app, &first)
            .await
            .iter()
            .all(|d| d["status"] == "sent")
    );
    let statuses: Vec<Value> = deliveries(&app, &second)
        .await
        .iter()
        .map(|d| d["status"].clone())
        .collect();
    assert!(statuses.contains(&Value::from("uncertain")), "{statuses:?}");
    assert!(statuses.contains(&Value::from("sent")), "{statuses:?}");
    app.stop().await;
}

#[tokio::test]
async fn nobody_to_tell_is_recorded_for_the_city_office_not_dropped() {
    let (gateway, webhook) = fake_robot().await;
    let app = app_with(
        "mem://",
        ManualClock::new(start_time()),
        settings(&webhook, 5),
    )
    .await;
    // No contacts imported.
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let report = step(&app).await;
    assert_eq!((report.planned, report.sent), (2, 0), "{report:?}");
    assert!(gateway.requests().is_empty());
    let history = deliveries(&app, &id).await;
    assert!(
        history.iter().all(|d| d["status"] == "unaddressed"),
        "{history:#?}"
    );
    let city = app.login("city").await;
    let listed = app
        .get_json(&city, "/api/notifications?status=unaddressed")
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_notification_list_refuses_garbage_and_other_roles() {
    let app = crate::helpers::spawn_app().await;
    let city = app.login("city").await;
    for (query, field) in [
        ("?status=dead,%3Cscript%3E", "status"),
        ("?limit=100000", "limit"),
        ("?limit=0", "limit"),
    ] {
        let response = app.get(&city, &format!("/api/notifications{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem:#}");
    }
    let long = "x".repeat(10_000);
    let response = app
        .post_empty(&city, &format!("/api/notifications/{long}/resend"))
        .await;
    assert_eq!(response.status(), 404);
    let response = app
        .post_empty(&city, "/api/notifications/nope/resend")
        .await;
    assert_eq!(response.status(), 404);
    let town = app.login("qingxi").await;
    assert_eq!(app.get(&town, "/api/notifications").await.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_contacts_file_with_bad_rows_is_refused_naming_row_and_column() {
    let app = crate::helpers::spawn_app().await;
    let bad = "contact_id,name,role,region_code,mobile,email\n\
        A1,甲,村务监督员,990102100201,12345,\n\
        A2,乙,乡镇纪委,990102100201,13800000002,\n\
        A3,丙,村务监督员,990102100201,,\n\
        A4,丁,村长,990102100201,13800000004,\n\
        A5,戊,县纪委,990102000000,,not-an-email\n";
    let response = app
        .upload("city", "contacts", "contacts.csv", bad.as_bytes().to_vec())
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let text = problem.to_string();
    for expected in ["mobile", "region_code", "role", "email"] {
        assert!(text.contains(expected), "{expected}: {problem:#}");
    }
    let rows: Vec<u64> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["row"].as_u64())
        .collect();
    for row in [2, 3, 4, 5, 6] {
        assert!(rows.contains(&row), "row {row}: {problem:#}");
    }
    app.stop().await;
}
