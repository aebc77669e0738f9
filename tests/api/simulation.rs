//! The demo simulation through the real engine: driven step by step on a moved clock, it
//! works warnings the way a city would, through ordinary commands, and the wall's counts
//! follow.

use std::collections::BTreeSet;

use chrono::Duration;
use qingfeng::simulation::Simulation;
use qingfeng::workflow::Step;

use crate::helpers::{VILLAGE_LIUTANG, VILLAGE_SHIMEN, spawn_app};

#[tokio::test]
async fn the_simulation_moves_warnings_through_the_whole_lifecycle() {
    let app = spawn_app().await;
    let token = app.login("city").await;
    let mut ids = Vec::new();
    for i in 0..24 {
        let village = if i % 2 == 0 {
            VILLAGE_LIUTANG
        } else {
            VILLAGE_SHIMEN
        };
        let severity = ["high", "medium", "low"][i % 3];
        let response = app.raise(&token, village, severity).await;
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let simulation = Simulation::new(
        app.engine.clone(),
        42,
        std::path::Path::new("seeds/demo-users.csv"),
    );
    simulation.step().await.unwrap();
    let mut commands = 0;
    let mut raised = 0;
    // Sixty days in six-hour steps, with the scheduler firing deadlines in between.
    for _ in 0..240 {
        app.clock.advance(Duration::hours(6));
        app.step_scheduler().await;
        let report = simulation.step().await.unwrap();
        commands += report.commands;
        raised += report.raised;
    }
    assert!(commands > 50, "only {commands} commands in sixty days");
    assert!(raised > 100, "only {raised} new clues in sixty days");

    let kinds: BTreeSet<String> = app.engine.read(|p| {
        p.warnings
            .values()
            .map(|w| w.step.as_str().to_string())
            .collect()
    });
    for step in [Step::Closed, Step::Observation] {
        assert!(
            kinds.contains(step.as_str()),
            "no warning is {step:?}: {kinds:?}"
        );
    }
    // The list indexes and the subtree counts, moved event by event through sixty days of
    // commands and timers, are what entering every warning afresh gives.
    app.engine.read(|p| {
        let mut loader = qingfeng::projections::CheckpointLoader::default();
        loader.add(p.checkpoint_chunk(&p.warning_ids()));
        let rebuilt = loader.finish(p.position);
        assert!(
            rebuilt.index == p.index,
            "the list indexes drifted from the warnings"
        );
        assert!(
            rebuilt.rolled == p.rolled,
            "the subtree counts drifted from the warnings"
        );
    });
    // Every change went through the log: the events of the warnings raised above name
    // the stewards of their villages, their town office and the scheduler.
    let mut actors = BTreeSet::new();
    let mut events = BTreeSet::new();
    for id in ids {
        for event in app.engine.history(&id).await.unwrap() {
            actors.insert(event.actor.clone());
            events.insert(event.kind.clone());
        }
    }
    for expected in ["liutang", "shimen", "qingxi", "system"] {
        assert!(
            actors.contains(expected),
            "{expected} never acted: {actors:?}"
        );
    }
    for expected in [
        "acknowledged",
        "rectification_submitted",
        "rectification_verified",
        "deadline_passed",
        "urged",
        "observation_ended",
    ] {
        assert!(events.contains(expected), "no {expected} event: {events:?}");
    }
    app.stop().await;
}

/// A fresh demo on the demo clock starts 90 days ago and lives through them: its last 30
/// days hold warnings raised on many different days, and warnings closed, dismissed and
/// under secondary supervision, none of it later than the clock's now.
#[tokio::test]
async fn a_fresh_demo_has_a_past_of_ninety_days() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.demo = true;
        config.simulation_speed = Some(1440.0);
    })
    .await;
    assert_a_past_of_ninety_days(&app);
    app.stop().await;
}

/// 杞县 is a demo too: its own users (the file beside its tree), datasets generated for its
/// 600 villages and scanned, and the same ninety days of past.
#[tokio::test]
async fn the_real_county_of_qixian_runs_as_a_demo_with_its_own_users_data_and_past() {
    let tree =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/real/qixian-410221.csv");
    let app = crate::helpers::spawn_app_with(|config| {
        config.demo = true;
        config.simulation_speed = Some(1440.0);
        config.regions_path = Some(tree);
        config.geojson_path = None;
    })
    .await;
    assert_a_past_of_ninety_days(&app);
    let (towns, by_rule) = app.engine.read(|p| {
        let towns: BTreeSet<String> = p
            .warnings
            .values()
            .map(|w| w.region.as_str()[..9].to_string())
            .collect();
        (towns.len(), p.by_subject.len())
    });
    assert!(towns >= 15, "warnings in {towns} of 22 towns");
    assert!(by_rule >= 20, "the scan raised {by_rule} rule subjects");
    // 史庄村's steward signs in with the demo password and sees only the village's tasks.
    let steward = app.sign_in_with("shizhuang", "qingfeng-demo").await;
    let page = app.get_json(&steward, "/api/warnings?limit=200").await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{page}");
    assert!(
        items.iter().all(|w| w["region"] == "410221101201"),
        "{page}"
    );
    // The demo's own contacts (a steward and a secretary per village, an office per town
    // and for the county) are told of the last day's events on the log channel: nobody a
    // route names is missing, and nothing older than a day is sent.
    let report = app.state.outbox.step().await.unwrap();
    assert!(report.planned > 0 && report.sent > 0, "{report:?}");
    let store = app.engine.store();
    let unaddressed = store.deliveries_in(&["unaddressed"], 10).await.unwrap();
    assert!(unaddressed.is_empty(), "{unaddressed:?}");
    let sent = store.deliveries_in(&["sent"], 200).await.unwrap();
    assert!(sent.iter().all(|d| d.channel == "log"), "{sent:?}");
    app.stop().await;
}

fn assert_a_past_of_ninety_days(app: &crate::helpers::TestApp) {
    let now = app.engine.now();
    let (days_raised, closed, dismissed, supervised, oldest, newest) = app.engine.read(|p| {
        let month_ago = now - Duration::days(30);
        let days: BTreeSet<_> = p
            .warnings
            .values()
            .filter(|w| w.raised_at >= month_ago)
            .map(|w| qingfeng::charts::data::shanghai_day(w.raised_at))
            .collect();
        let count = |step: Step| p.warnings.values().filter(|w| w.step == step).count();
        let supervised = p
            .warnings
            .values()
            .filter(|w| w.under_supervision())
            .count();
        let oldest = p.warnings.values().map(|w| w.raised_at).min().unwrap();
        let newest = p.warnings.values().map(|w| w.updated_at).max().unwrap();
        (
            days.len(),
            count(Step::Closed),
            count(Step::Dismissed),
            supervised,
            oldest,
            newest,
        )
    });
    assert!(
        days_raised >= 10,
        "warnings raised on {days_raised} of the last 30 days"
    );
    assert!(
        closed > 0 && dismissed > 0 && supervised > 0,
        "{closed} closed, {dismissed} dismissed, {supervised} supervised"
    );
    assert!(
        now - oldest >= Duration::days(89),
        "the first warnings are 90 days old: {oldest}"
    );
    assert!(newest <= app.engine.now(), "nothing happened after now");
    // The town offices recorded what their clues came to, so the cockpit's funnel moved:
    // findings of both kinds, and money returned.
    let (untrue, found_true, recovered_fen) = app.engine.read(|p| {
        let cases: Vec<_> = p
            .warnings
            .values()
            .filter_map(|w| w.case.as_ref())
            .collect();
        let untrue = cases
            .iter()
            .filter(|c| c.outcome.finding == qingfeng::workflow::Finding::Unsubstantiated)
            .count();
        let recovered: i64 = cases.iter().map(|c| c.recovered().fen()).sum();
        (untrue, cases.len() - untrue, recovered)
    });
    assert!(
        untrue > 0 && found_true > 0 && recovered_fen > 0,
        "{found_true} found true, {untrue} untrue, {recovered_fen} fen returned"
    );
}
