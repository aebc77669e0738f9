//! The outbox under the limits a real deployment meets: two instances on one SurrealDB
//! server, a robot's per-minute limit (the rest goes as one digest), and SMS quiet hours,
//! with no personal data in an SMS.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use qingfeng::clock::ManualClock;
use qingfeng::notify::NotifySettings;
use serde_json::Value;

use super::outbox::{app_with, import_contacts, settings, step};
use super::sms::{KEY_ID, SECRET, fake_sms};
use super::wecom::fake_robot;
use crate::helpers::{VILLAGE_LIUTANG, spawn_app_configured, start_time};
use crate::scale_out::SurrealServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_server_send_each_message_once() {
    let server = SurrealServer::start();
    let url = server.url("qingfeng");
    let (gateway, webhook) = fake_robot().await;
    let clock = ManualClock::new(start_time());
    let a = app_with(&url, clock.clone(), settings(&webhook, 5)).await;
    let b = app_with(&url, clock.clone(), settings(&webhook, 5)).await;
    import_contacts(&a).await;
    let mut raised = Vec::new();
    for _ in 0..6 {
        raised.push(a.raise_ok(VILLAGE_LIUTANG).await);
    }
    // The second instance learns of the events by following the log, as it would.
    qingfeng::follower::Follower::new(b.engine.clone())
        .step()
        .await
        .unwrap();
    b.state.outbox.reload_contacts().await.unwrap();
    // Both step at once, several times over.
    for _ in 0..4 {
        let (x, y) = tokio::join!(step(&a), step(&b));
        let _ = (x, y);
    }
    let requests = gateway.requests();
    assert_eq!(requests.len(), 12, "6 warnings × 2 recipients, once each");
    let mut contents: Vec<String> = requests
        .iter()
        .map(|r| r.json()["markdown"]["content"].as_str().unwrap().to_owned())
        .collect();
    contents.sort();
    contents.dedup();
    assert_eq!(contents.len(), 12, "no message twice");
    for id in &raised {
        assert_eq!(
            contents.iter().filter(|c| c.contains(id.as_str())).count(),
            2
        );
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn over_a_robots_rate_the_rest_goes_as_one_digest() {
    let (gateway, webhook) = fake_robot().await;
    let text = settings(&webhook, 5);
    let mut limited = NotifySettings::clone(&text);
    limited.channels.wecom.as_mut().unwrap().rate_per_minute = 3;
    let app = app_with("mem://", ManualClock::new(start_time()), Arc::new(limited)).await;
    import_contacts(&app).await;
    let mut raised = Vec::new();
    for _ in 0..5 {
        raised.push(app.raise_ok(VILLAGE_LIUTANG).await);
    }
    let report = step(&app).await;
    assert_eq!(report.sent, 10, "{report:?}");
    let requests = gateway.requests();
    assert_eq!(
        requests.len(),
        3,
        "two alone and one digest within a rate of three"
    );
    let digest = requests
        .iter()
        .map(|r| r.json()["markdown"]["content"].as_str().unwrap().to_owned())
        .max_by_key(String::len)
        .unwrap();
    let in_digest = raised
        .iter()
        .filter(|id| digest.contains(id.as_str()))
        .count();
    assert!(
        in_digest >= 4,
        "the digest names the warnings it carries: {digest}"
    );
    app.stop().await;
}

fn sms_settings(endpoint: &str) -> Arc<NotifySettings> {
    let text = format!(
        r#"
[[route]]
event = "raised"
to = ["village_steward"]
channels = ["sms"]
template = "raised"

[templates.raised]
sms_template_code = "SMS_470000001"
sms_params = {{ code = "warning_number", village = "village", rule = "rule_name", deadline = "deadline" }}

[channels.sms]
endpoint = "{endpoint}"
access_key_id = "{KEY_ID}"
access_key_secret_env = "SMS_SECRET"
sign_name = "清风监督"
quiet_hours = "22:00-07:00"
"#
    );
    Arc::new(NotifySettings::from_toml_str("sms.toml", &text).unwrap())
}

#[tokio::test]
async fn sms_wait_out_quiet_hours_and_carry_no_personal_data() {
    let (fake, endpoint) = fake_sms().await;
    // 23:00 in Beijing.
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap());
    let bind = "127.0.0.1:0".parse().unwrap();
    let settings = sms_settings(&endpoint);
    let app = spawn_app_configured("mem://", clock.clone(), bind, move |config| {
        config.notify = super::outbox::notify_config(settings);
        config.notify.secrets = Some(Arc::new(|var: &str| {
            (var == "SMS_SECRET").then(|| SECRET.to_owned())
        }));
    })
    .await;
    import_contacts(&app).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let report = step(&app).await;
    assert_eq!((report.sent, report.deferred), (0, 1), "{report:?}");
    clock.advance(Duration::hours(7));
    assert_eq!(step(&app).await.sent, 0, "06:00 is still quiet");
    clock.advance(Duration::hours(1) + Duration::minutes(1));
    assert_eq!(step(&app).await.sent, 1);
    let requests = fake.gateway.requests();
    assert_eq!(requests.len(), 1);
    let form = requests[0].form();
    assert_eq!(form["PhoneNumbers"], "13800000001");
    let params: Value = serde_json::from_str(&form["TemplateParam"]).unwrap();
    assert_eq!(params["code"], id.as_str());
    assert_eq!(params["village"], "柳塘村");
    // Nothing of a person: not the contact's name, not the warning's subject or title.
    let warning = app.engine.warning(&id).unwrap();
    let sent: Vec<&String> = form.values().collect();
    for personal in [
        "柳塘监督员",
        warning.subject.as_str(),
        warning.title.as_str(),
    ] {
        if personal.is_empty() {
            continue;
        }
        assert!(
            sent.iter().all(|value| !value.contains(personal)),
            "{personal} in {form:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_reminder_goes_once_two_days_before_a_deadline() {
    let (gateway, webhook) = fake_robot().await;
    let text = format!(
        r#"
[[route]]
event = "due_soon"
days_before = 2
to = ["village_steward"]
channels = ["wecom"]
template = "due"

[templates.due]
title = "【清风】即将到期 {{warning_number}}"
body = "{{warning_number}} 将于{{deadline}}到期。"

[channels.wecom]
webhook = "{webhook}"
"#
    );
    let settings = Arc::new(NotifySettings::from_toml_str("due.toml", &text).unwrap());
    let clock = ManualClock::new(start_time());
    let app = app_with("mem://", clock.clone(), settings).await;
    import_contacts(&app).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let deadline = app.engine.warning(&id).unwrap().deadline;
    assert_eq!(step(&app).await.planned, 0, "the deadline is a week away");
    clock.set(deadline - Duration::days(2) - Duration::hours(1));
    assert_eq!(step(&app).await.planned, 0, "not yet two days before");
    clock.advance(Duration::hours(2));
    let report = step(&app).await;
    assert_eq!((report.planned, report.sent), (1, 1), "{report:?}");
    for _ in 0..3 {
        clock.advance(Duration::minutes(6));
        assert_eq!(step(&app).await.sent, 0, "one reminder per deadline");
    }
    let requests = gateway.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].body.contains(id.as_str()));
    app.stop().await;
}
