//! Yellow reminders (到期提醒): a lease ending soon without a re-tender opens a reminder,
//! not a red warning; the steward acknowledges and closes it, or its deadline passes and it
//! turns red.

use chrono::Duration;
use qingfeng::clock::Clock;
use qingfeng::projections::Projection;
use serde_json::{Value, json};

use crate::helpers::{TestApp, VILLAGE_LIUTANG, level_and_state, spawn_app};

/// One 柳塘 lease ending on 2026-04-30, 59 days after the test clock's day, with nothing
/// else wrong with it (approved before signing, tendered, disclosed in time).
const EXPIRING_LEASE: &str = "\
contract_id,village_code,asset,counterparty,counterparty_id,amount,signed_on,approved_on,term_start,term_end,tendered,disclosed_on
HT-2021-007,990102100201,柳塘村西山林地30亩,张三,990102198001010010,20000.00,2021-04-20,2021-04-18,2021-05-01,2026-04-30,是,2021-04-25
";

async fn import_lease(app: &TestApp) -> Value {
    let response = app
        .upload("city", "contracts", "contracts.csv", EXPIRING_LEASE.into())
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["scan"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["rule"] == "lease_expiring")
        .cloned()
        .unwrap()
}

/// The one lease_expiring warning, as the city office reads it.
async fn the_reminder(app: &TestApp) -> Value {
    let city = app.login("city").await;
    let list = app
        .get_json(&city, "/api/warnings?rule=lease_expiring")
        .await;
    assert_eq!(list["total"], 1, "{list}");
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    app.warning(&id).await
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

async fn assert_replay_equals_live(app: &TestApp) {
    let events = app.engine.store().read_all(0, 10_000).await.unwrap();
    let live = app.engine.read(|p| p.clone());
    assert!(live.faults.is_empty(), "{:?}", live.faults);
    assert_eq!(Projection::from_events(events), live);
}

#[tokio::test]
async fn a_lease_ending_soon_opens_a_yellow_reminder_the_steward_closes() {
    let app = spawn_app().await;
    let line = import_lease(&app).await;
    assert_eq!(
        (line["flagged"].as_u64(), line["raised"].as_u64()),
        (Some(1), Some(1))
    );
    let w = the_reminder(&app).await;
    let id = w["id"].as_str().unwrap().to_string();
    assert_eq!(level_and_state(&w), ("yellow", "reminder"));
    assert_eq!(w["reminder"], true);
    assert_eq!(w["overdue"], false);
    let deadline: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(w["deadline"].clone()).unwrap();
    assert_eq!(
        deadline,
        app.clock.now() + Duration::days(60),
        "the catalogue's deadline_days"
    );
    let kinds: Vec<&str> = w["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["raised", "notified"]);

    assert_eq!(red_and_yellow(&app).await, (0, 1));

    // The steward sees acknowledge and close; a red command is a 409 naming the state.
    let steward = app.login("liutang").await;
    let seen = app.get_json(&steward, &format!("/api/warnings/{id}")).await;
    assert_eq!(strings(&seen["allowed"]), ["acknowledge", "close_reminder"]);
    let response = app
        .command(
            &steward,
            &id,
            json!({"type": "submit_rectification", "note": "x"}),
        )
        .await;
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "command_not_applicable");
    assert_eq!(problem["state"], "reminder");
    assert_eq!(
        strings(&problem["allowed"]),
        ["acknowledge", "dismiss", "close_reminder"]
    );

    let acknowledged = app
        .command_ok(&steward, &id, json!({"type": "acknowledge"}))
        .await;
    assert_eq!(
        (
            acknowledged["level"].as_str(),
            acknowledged["state"].as_str()
        ),
        (Some("yellow"), Some("reminder"))
    );
    assert!(acknowledged["reminder_acknowledged_at"].is_string());
    assert_eq!(strings(&acknowledged["allowed"]), ["close_reminder"]);

    let empty = app
        .command(&steward, &id, json!({"type": "close_reminder", "note": ""}))
        .await;
    assert_eq!(empty.status(), 422);
    let closed = app
        .command_ok(
            &steward,
            &id,
            json!({"type": "close_reminder", "note": "已列入4月村民代表会议，重新公开发包"}),
        )
        .await;
    assert_eq!(level_and_state(&closed), ("green", "closed"));
    assert_eq!(closed["last_reason"], "已列入4月村民代表会议，重新公开发包");

    // The lease is still in the data: the next scan does not open a second reminder.
    let line = import_lease(&app).await;
    assert_eq!(
        (line["raised"].as_u64(), line["reminders_closed"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(the_reminder(&app).await["state"], "closed");
    assert_replay_equals_live(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_reminder_left_open_past_its_deadline_turns_red_and_climbs_the_ladder() {
    let app = spawn_app().await;
    import_lease(&app).await;
    let id = the_reminder(&app).await["id"].as_str().unwrap().to_string();
    let steward = app.login("liutang").await;
    app.command_ok(&steward, &id, json!({"type": "acknowledge"}))
        .await;

    app.clock.advance(Duration::days(59));
    assert_eq!(app.step_scheduler().await.fired, 0, "not due yet");
    app.clock.advance(Duration::days(2));
    assert_eq!(app.step_scheduler().await.fired, 1);
    let w = app.warning(&id).await;
    assert_eq!(level_and_state(&w), ("red", "raised"));
    assert_eq!(w["reminder"], false);
    assert_eq!(w["overdue"], false, "a fresh deadline, not yet missed");
    let expired = w["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(expired["kind"], "reminder_expired");
    assert_eq!(expired["actor"], "system");
    let deadline: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(w["deadline"].clone()).unwrap();
    assert_eq!(
        deadline,
        app.clock.now() + Duration::days(30),
        "low severity: 30 days"
    );
    let response = app
        .command(
            &steward,
            &id,
            json!({"type": "close_reminder", "note": "迟到的说明"}),
        )
        .await;
    assert_eq!(response.status(), 409);

    // From here the ordinary ladder: the missed rectification deadline is urged by the town.
    app.clock.advance(Duration::days(31));
    assert_eq!(app.step_scheduler().await.fired, 1);
    let w = app.warning(&id).await;
    assert_eq!(w["overdue"], true);
    assert_eq!(w["supervision"]["rung"], "urge");
    assert_eq!(red_and_yellow(&app).await, (1, 0));
    assert_replay_equals_live(&app).await;
    app.stop().await;
}

/// The red and yellow counts of 柳塘村 as the city sees them.
async fn red_and_yellow(app: &TestApp) -> (i64, i64) {
    let summary = app
        .get_json(
            &app.login("city").await,
            &format!("/api/regions/{VILLAGE_LIUTANG}/summary"),
        )
        .await;
    let count = |level: &str| {
        summary[level]
            .as_i64()
            .unwrap_or_else(|| panic!("no {level} count in {summary}"))
    };
    (count("red"), count("yellow"))
}
