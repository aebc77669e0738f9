//! Timers fire exactly once, also across a restart.

use chrono::Duration;
use qingfeng::clock::ManualClock;

use crate::helpers::{VILLAGE_LIUTANG, spawn_app_on, start_time};

fn deadline_events(warning: &serde_json::Value) -> usize {
    warning["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "deadline_passed")
        .count()
}

#[tokio::test]
async fn a_due_timer_fires_once_and_not_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("db").display());
    let clock = ManualClock::new(start_time());

    let app = spawn_app_on(&url, clock.clone()).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    clock.advance(Duration::days(8));
    assert_eq!(app.step_scheduler().await.fired, 1);
    assert_eq!(app.step_scheduler().await.fired, 0);
    app.stop().await;

    let app = spawn_app_on(&url, clock.clone()).await;
    assert_eq!(app.step_scheduler().await.fired, 0);
    assert_eq!(deadline_events(&app.warning(&id).await), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_timer_that_came_due_while_the_server_was_down_fires_once_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("db").display());
    let clock = ManualClock::new(start_time());

    let app = spawn_app_on(&url, clock.clone()).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    app.stop().await;

    clock.advance(Duration::days(8));
    let app = spawn_app_on(&url, clock.clone()).await;
    let (first, second) = tokio::join!(app.step_scheduler(), app.step_scheduler());
    assert_eq!(
        first.fired + second.fired,
        1,
        "two concurrent steps fire one timer once"
    );
    assert_eq!(deadline_events(&app.warning(&id).await), 1);
    app.stop().await;
}
