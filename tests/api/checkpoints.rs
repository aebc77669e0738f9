//! Incremental checkpoints: a start after a kill reads the newest full checkpoint, the
//! incremental ones that follow it and the events after them, and equals a full replay;
//! interrupted checkpoints are ignored; warnings stored ahead of their checkpoint's
//! position are not folded twice; a full checkpoint removes the older ones.

use std::sync::Arc;

use qingfeng::engine::Engine;
use qingfeng::projections::{CHECKPOINT_FORMAT, Projection};
use qingfeng::store::CheckpointMarker;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// Raises a warning through a rule, so the subject index has something to restore.
async fn raise_finding(app: &TestApp, n: usize) -> String {
    app.raise_lease_finding(n, 30, false).await
}

/// The projection a second engine builds from the same store: a restart after a kill
/// (no checkpoint at stop).
async fn restart(app: &TestApp) -> Projection {
    let engine = Engine::start(
        app.engine.store().clone(),
        Arc::new(app.clock.clone()),
        Arc::new(app.engine.settings().clone()),
        app.engine.shared_regions(),
    )
    .await
    .unwrap();
    engine.read(|p| p.clone())
}

async fn replayed(app: &TestApp) -> Projection {
    let head = app.engine.store().head_position().await.unwrap();
    let events = app.engine.store().read_all(0, head as usize).await.unwrap();
    Projection::from_events(events)
}

fn shape(markers: &[CheckpointMarker]) -> Vec<(bool, u64)> {
    markers.iter().map(|m| (m.full, m.rows)).collect()
}

#[tokio::test]
async fn a_start_after_a_kill_reads_the_chain_of_checkpoints_and_the_events_after_it() {
    let app = spawn_app().await;
    // A fresh store has no checkpoint (and reading them is no error).
    let markers = app.engine.store().checkpoint_markers().await.unwrap();
    assert!(markers.is_empty(), "{markers:?}");
    let steward = app.login("liutang").await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(raise_finding(&app, n).await);
    }
    app.engine.save_checkpoint().await.unwrap();
    app.command_ok(&steward, &ids[0], json!({"type": "acknowledge"}))
        .await;
    app.engine.save_checkpoint().await.unwrap();
    ids.push(raise_finding(&app, 6).await);
    app.command_ok(&steward, &ids[1], json!({"type": "acknowledge"}))
        .await;
    app.engine.save_checkpoint().await.unwrap();
    let store = app.engine.store();
    assert_eq!(
        shape(&store.checkpoint_markers().await.unwrap()),
        [(true, 6), (false, 1), (false, 2)],
        "one full checkpoint, then only what changed"
    );
    // A checkpoint interrupted before its marker, and events after the last checkpoint.
    let position = app.engine.read(|p| p.position);
    store
        .write_checkpoint_chunk(position, 7, 0, "not a chunk".into())
        .await
        .unwrap();
    app.command_ok(&steward, &ids[2], json!({"type": "acknowledge"}))
        .await;
    raise_finding(&app, 7).await;

    let restarted = restart(&app).await;
    assert_eq!(restarted, replayed(&app).await);
    assert_eq!(restarted, app.engine.read(|p| p.clone()));
    assert_eq!(restarted.warnings.len(), 8);
    assert!(restarted.faults.is_empty());

    // Enough changed for the next checkpoint to hold everything: the older ones go.
    for id in &ids[3..6] {
        app.command_ok(&steward, id, json!({"type": "acknowledge"}))
            .await;
    }
    app.engine.save_checkpoint().await.unwrap();
    assert_eq!(
        shape(&store.checkpoint_markers().await.unwrap()),
        [(true, 8)]
    );
    assert!(
        store.read_checkpoint_chunk(position, 7, 0).await.is_err(),
        "the interrupted checkpoint's chunk is removed with the older ones"
    );
    assert_eq!(restart(&app).await, replayed(&app).await);
    app.stop().await;
}

#[tokio::test]
async fn warnings_stored_ahead_of_their_checkpoint_are_not_folded_twice() {
    let app = spawn_app().await;
    let steward = app.login("liutang").await;
    let early = app.engine.read(|p| p.position);
    let first = raise_finding(&app, 1).await;
    app.command_ok(&steward, &first, json!({"type": "acknowledge"}))
        .await;
    // The subject raised again after its first warning was closed: the index must name
    // the newer warning after a restart.
    let town = app.login("qingxi").await;
    app.command_ok(
        &steward,
        &first,
        json!({"type": "submit_rectification", "note": "ok"}),
    )
    .await;
    app.command_ok(&town, &first, json!({"type": "verify_rectification"}))
        .await;
    app.clock.advance(chrono::Duration::days(90));
    app.step_scheduler().await;
    assert_eq!(app.engine.warning(&first).unwrap().step.as_str(), "closed");
    let second = raise_finding(&app, 1).await;
    assert_ne!(first, second);
    // A checkpoint whose chunk was read after more events than its position says, as one
    // written while commands kept coming: it holds the second warning, raised after its
    // position, and not the first, whose events the restart folds.
    let store = app.engine.store();
    let chunk = app
        .engine
        .read(|p| p.checkpoint_chunk(std::slice::from_ref(&second)));
    assert_eq!(chunk.subjects.len(), 1);
    store
        .write_checkpoint_chunk(early, 1, 0, serde_json::to_string(&chunk).unwrap())
        .await
        .unwrap();
    let marker = CheckpointMarker {
        position: early,
        nonce: 1,
        base: early,
        full: true,
        chunks: 1,
        rows: chunk.warnings.len() as u64,
        format: CHECKPOINT_FORMAT,
    };
    store.write_checkpoint_marker(&marker).await.unwrap();

    let restarted = restart(&app).await;
    assert!(restarted.faults.is_empty(), "{:?}", restarted.faults);
    assert_eq!(restarted, replayed(&app).await);
    assert_eq!(
        restarted.by_subject.get("lease_expiring", "contract:HT-1"),
        Some(second.as_str())
    );
    app.stop().await;
}
