//! The live projection equals a full replay of the log.

use chrono::Duration;
use qingfeng::projections::Projection;
use serde_json::json;

use crate::helpers::{VILLAGE_LIUTANG, VILLAGE_SHIMEN, spawn_app};

#[tokio::test]
async fn replaying_the_log_rebuilds_exactly_the_live_projection() {
    let app = spawn_app().await;
    let liutang = app.login("liutang").await;
    let shimen = app.login("shimen").await;
    let town = app.login("qingxi").await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let village = if i % 2 == 0 {
            VILLAGE_LIUTANG
        } else {
            VILLAGE_SHIMEN
        };
        let steward = if i % 2 == 0 { &liutang } else { &shimen };
        let id = app.raise_ok(village).await;
        if i % 3 != 0 {
            app.command_ok(steward, &id, json!({"type": "acknowledge"}))
                .await;
        }
        if i % 3 == 2 {
            app.command_ok(
                steward,
                &id,
                json!({"type": "submit_rectification", "note": "ok"}),
            )
            .await;
            app.command_ok(&town, &id, json!({"type": "verify_rectification"}))
                .await;
        }
        ids.push(id);
    }
    // Three yellow reminders: one closed, one left to expire (5 days), one left open.
    let mut reminders = Vec::new();
    for (n, days) in [(1, 60), (2, 5), (3, 60)] {
        reminders.push(app.raise_lease_finding(n, days, true).await);
    }
    app.command_ok(
        &liutang,
        &reminders[0],
        json!({"type": "close_reminder", "note": "已续签"}),
    )
    .await;
    app.clock.advance(Duration::days(8));
    app.step_scheduler().await;
    app.command_ok(&town, &ids[0], json!({"type": "urge"}))
        .await;
    app.command_ok(&town, &ids[1], json!({"type": "dismiss", "reason": "误报"}))
        .await;
    // Outcomes, a correction and a return move the funnel; urges number notices.
    app.command_ok(
        &town,
        &ids[1],
        json!({"type": "record_outcome", "finding": "unsubstantiated"}),
    )
    .await;
    let found = json!({"type": "record_outcome", "finding": "substantiated", "handling": ["admonition"], "people": 1, "amount_due_fen": 5_000});
    app.command_ok(&town, &ids[2], found.clone()).await;
    app.command_ok(&town, &ids[2], json!({"type": "record_recovery", "amount_fen": 2_000, "date": "2026-03-03", "receipt": "R1"}))
        .await;
    let corrected = json!({"type": "record_outcome", "finding": "partly_substantiated", "handling": ["criticism"], "people": 2, "amount_due_fen": 4_000});
    app.command_ok(&town, &ids[2], corrected).await;

    let mut events = Vec::new();
    loop {
        let batch = app
            .engine
            .store()
            .read_all(events.len() as u64, 7)
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        events.extend(batch);
    }
    let replayed = Projection::from_events(events);
    let live = app.engine.read(|p| p.clone());
    assert!(live.position > 30);
    assert!(live.faults.is_empty());
    assert_eq!(replayed, live);
    // The funnel and notice numbers a start derives from the warnings equal the folded ones.
    let derived =
        qingfeng::projections::Supervision::build(live.warnings.values().map(|w| w.as_ref()));
    assert_eq!(derived, live.supervision);
    let year = chrono::Datelike::year(&qingfeng::clock::Clock::now(&app.clock));
    let root = qingfeng::domain::region::RegionCode::parse(crate::helpers::CITY).unwrap();
    let (funnel, _) = live.supervision.funnel(year, &root);
    assert_eq!(
        (funnel.judged, funnel.people, funnel.recovered_fen),
        (2, 2, 2_000)
    );
    let root = app.engine.regions().root().code;
    let summary = live.rolled_up(&root).summary();
    assert_eq!(summary.total, 15);
    assert_eq!(summary.yellow, 5, "four in observation, one open reminder");
    assert_eq!(summary.open_by_state.get("reminder"), Some(&1));
    assert_eq!(live.warnings[reminders[1].as_str()].step.as_str(), "raised");
    assert!(summary.overdue > 0);
    app.stop().await;
}

#[tokio::test]
async fn a_restart_resumes_from_the_checkpoint_and_equals_a_full_replay() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("db").display());
    let clock = qingfeng::clock::ManualClock::new(crate::helpers::start_time());
    let app = crate::helpers::spawn_app_on(&url, clock.clone()).await;
    for _ in 0..3 {
        app.raise_ok(VILLAGE_LIUTANG).await;
    }
    app.stop().await; // saves a checkpoint at the head

    let app = crate::helpers::spawn_app_on(&url, clock.clone()).await;
    let steward = app.login("liutang").await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    app.command_ok(&steward, &id, json!({"type": "acknowledge"}))
        .await;
    let markers = app.engine.store().checkpoint_markers().await.unwrap();
    assert_eq!(
        markers
            .iter()
            .map(|m| (m.position, m.full, m.rows))
            .collect::<Vec<_>>(),
        [(6, true, 3)],
        "the checkpoint holds the three warnings of the first run"
    );
    let events = app.engine.store().read_all(0, 1000).await.unwrap();
    let live = app.engine.read(|p| p.clone());
    assert_eq!(live.warnings.len(), 4);
    assert_eq!(Projection::from_events(events), live);
    app.stop().await;
}
