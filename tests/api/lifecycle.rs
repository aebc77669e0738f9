//! The lifecycle through the API: red to green, the escalation ladder, refusals, conflicts
//! and idempotent retries.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{VILLAGE_LIUTANG, level_and_state, spawn_app};

#[tokio::test]
async fn a_warning_goes_from_red_through_yellow_to_green() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let steward = app.login("liutang").await;
    let town = app.login("qingxi").await;

    let w = app.warning(&id).await;
    assert_eq!(level_and_state(&w), ("red", "notified"));
    assert_eq!(w["history"].as_array().unwrap().len(), 2);

    app.command_ok(&steward, &id, json!({"type": "acknowledge"}))
        .await;
    app.command_ok(
        &steward,
        &id,
        json!({"type": "start_rectification", "note": "约谈"}),
    )
    .await;
    let w = app
        .command_ok(
            &steward,
            &id,
            json!({"type": "submit_rectification", "note": "已追缴"}),
        )
        .await;
    assert_eq!(level_and_state(&w), ("red", "submitted"));

    let w = app
        .command_ok(
            &town,
            &id,
            json!({"type": "reject_rectification", "reason": "凭证不全"}),
        )
        .await;
    assert_eq!(level_and_state(&w), ("red", "rectifying"));
    assert_eq!(w["last_reason"], "凭证不全");

    app.command_ok(
        &steward,
        &id,
        json!({"type": "submit_rectification", "note": "补充凭证"}),
    )
    .await;
    let w = app
        .command_ok(&town, &id, json!({"type": "verify_rectification"}))
        .await;
    assert_eq!(level_and_state(&w), ("yellow", "observation"));

    // Observation runs its configured 30 days on the injected clock, then closes green.
    app.clock.advance(Duration::days(29));
    assert_eq!(app.step_scheduler().await.fired, 0);
    app.clock.advance(Duration::days(2));
    assert_eq!(app.step_scheduler().await.fired, 1);
    let w = app.warning(&id).await;
    assert_eq!(level_and_state(&w), ("green", "closed"));
    let kinds: Vec<&str> = w["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"observation_ended"));
    assert!(
        w["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"].is_string() && e["at"].is_string() && e["command_id"].is_string())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_command_that_does_not_apply_is_a_409_naming_the_state_and_the_allowed_commands() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let town = app.login("qingxi").await;
    let response = app
        .command(&town, &id, json!({"type": "verify_rectification"}))
        .await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "command_not_applicable");
    assert_eq!(body["state"], "notified");
    let allowed: Vec<&str> = body["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(allowed.contains(&"acknowledge"), "{allowed:?}");
    assert!(!allowed.contains(&"verify_rectification"));
    // Nothing was written.
    assert_eq!(app.warning(&id).await["version"], 2);

    let response = app
        .command(&town, &id, json!({"type": "fly_to_the_moon"}))
        .await;
    assert_eq!(response.status(), 422);
    let response = app.command(&town, &id, json!({"type": "dismiss"})).await;
    assert_eq!(response.status(), 422, "a dismissal needs a reason");
    app.stop().await;
}

#[tokio::test]
async fn a_missed_deadline_opens_secondary_supervision_and_climbs_the_ladder() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let town = app.login("qingxi").await;
    let city = app.login("city").await;

    // Urging before anything is overdue does not apply.
    assert_eq!(
        app.command(&town, &id, json!({"type": "urge"}))
            .await
            .status(),
        409
    );

    app.clock.advance(Duration::days(8)); // high severity: 7 days
    assert_eq!(app.step_scheduler().await.fired, 1);
    let w = app.warning(&id).await;
    assert_eq!(w["overdue"], true);
    assert_eq!(w["supervision"]["rung"], "urge");
    assert_eq!(w["supervision"]["holder"], "town");
    let overdue = app.get_json(&city, "/api/overdue").await;
    assert_eq!(overdue["total"], 1);

    let w = app
        .command_ok(&town, &id, json!({"type": "urge", "note": "限期三日"}))
        .await;
    assert_eq!(w["overdue"], false);

    app.clock.advance(Duration::days(8)); // the urge granted 7 days
    assert_eq!(app.step_scheduler().await.fired, 1);
    let w = app.warning(&id).await;
    assert_eq!(w["supervision"]["rung"], "supervise");
    assert_eq!(w["supervision"]["holder"], "city");

    // The one extension, with a reason; a second is refused.
    let w = app
        .command_ok(
            &city,
            &id,
            json!({"type": "extend_deadline", "reason": "涉诉", "days": 10}),
        )
        .await;
    assert_eq!(w["extensions"], 1);
    let response = app
        .command(
            &city,
            &id,
            json!({"type": "extend_deadline", "reason": "再延", "days": 5}),
        )
        .await;
    assert_eq!(response.status(), 409);

    // Nobody acts: the office's response window passes, then the next deadline.
    app.clock.advance(Duration::days(11));
    assert_eq!(app.step_scheduler().await.fired, 1);
    let w = app.warning(&id).await;
    assert_eq!(w["supervision"]["rung"], "investigate");
    assert_eq!(w["level"], "red");

    let w = app
        .command_ok(
            &city,
            &id,
            json!({"type": "transfer_to_investigation", "reason": "移送查办"}),
        )
        .await;
    assert_eq!(level_and_state(&w), ("red", "investigation"));
    // The investigation's outcome stays open until the office records it.
    assert_eq!(w["allowed"], json!(["record_outcome"]));
    app.stop().await;
}

#[tokio::test]
async fn a_dismissal_by_the_town_can_be_reversed_only_by_the_city() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let town = app.login("qingxi").await;
    let city = app.login("city").await;
    let w = app
        .command_ok(
            &town,
            &id,
            json!({"type": "dismiss", "reason": "数据错误，误报"}),
        )
        .await;
    assert_eq!(level_and_state(&w), ("green", "dismissed"));
    assert_eq!(
        app.command(&town, &id, json!({"type": "reinstate", "reason": "x"}))
            .await
            .status(),
        403
    );
    let w = app
        .command_ok(
            &city,
            &id,
            json!({"type": "reinstate", "reason": "复核属实"}),
        )
        .await;
    assert_eq!(level_and_state(&w), ("red", "notified"));
    app.stop().await;
}

#[tokio::test]
async fn a_relapse_during_observation_reopens_red() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    app.rectify_and_verify(&id).await;
    let town = app.login("qingxi").await;
    let w = app
        .command_ok(
            &town,
            &id,
            json!({"type": "report_relapse", "note": "回头看发现问题复发"}),
        )
        .await;
    assert_eq!(level_and_state(&w), ("red", "raised"));
    assert_eq!(w["relapses"], 1);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_conflicting_commands_let_exactly_one_win() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let steward = app.login("liutang").await;
    let version = app.warning(&id).await["version"].as_u64().unwrap();
    let attempts = (0..12).map(|i| {
        let (app, id, steward) = (&app, id.clone(), steward.clone());
        async move {
            app.command_with(
                &steward,
                &id,
                json!({"type": "acknowledge", "note": format!("第{i}次")}),
                None,
                Some(version),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    assert_eq!(app.warning(&id).await["version"], version + 1);
    app.stop().await;
}

#[tokio::test]
async fn a_retried_command_returns_the_first_result_and_writes_nothing() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let steward = app.login("liutang").await;
    let body = json!({"type": "acknowledge", "note": "收到"});
    let first = app
        .command_with(&steward, &id, body.clone(), Some("retry-1"), None)
        .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let head = app.engine.store().head_position().await.unwrap();
    let second = app
        .command_with(&steward, &id, body.clone(), Some("retry-1"), None)
        .await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(app.engine.store().head_position().await.unwrap(), head);
    // The same key for a different request is an error, not a silent replay.
    let other = app
        .command_with(
            &steward,
            &id,
            json!({"type": "start_rectification"}),
            Some("retry-1"),
            None,
        )
        .await;
    assert_eq!(other.status(), 422);
    app.stop().await;
}

/// A list is paged by cursor: the pages of `limit=2` give every warning once, newest
/// first, each page naming the next; a cursor that is not one and an offset are refused.
#[tokio::test]
async fn the_warning_list_is_paged_by_cursor() {
    let app = crate::helpers::spawn_app().await;
    let mut raised = Vec::new();
    for _ in 0..5 {
        raised.push(app.raise_ok(crate::helpers::VILLAGE_LIUTANG).await);
        app.clock.advance(chrono::Duration::minutes(1));
    }
    raised.reverse();
    let token = app.login("city").await;
    let mut seen = Vec::new();
    let mut path = "/api/warnings?limit=2".to_string();
    loop {
        let page = app.get_json(&token, &path).await;
        assert_eq!(page["total"], 5);
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => path = format!("/api/warnings?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, raised, "every warning once, newest first");
    for bad in [
        "/api/warnings?after=nonsense",
        "/api/warnings?offset=2",
        "/api/overdue?after=x.y",
    ] {
        let response = app.get(&token, bad).await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    app.stop().await;
}
