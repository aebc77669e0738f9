//! What a signed-in user can make the store keep: photos (taken only while a rectification
//! may be submitted, within a quota per warning and per user) and idempotency records
//! (kept 30 days, then purged by housekeeping).

use chrono::Duration;
use qingfeng::security::PhotoQuota;
use serde_json::{Value, json};

use crate::helpers::{PNG, VILLAGE_LIUTANG, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_warning_takes_photos_only_while_a_rectification_may_be_submitted() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let early = app.attach("liutang", &id, "a.png", PNG.to_vec()).await;
    assert_eq!(early.status(), 409, "not yet acknowledged");
    let steward = app.login("liutang").await;
    for (step, status) in [("acknowledge", 201), ("start_rectification", 201)] {
        app.command_ok(&steward, &id, json!({ "type": step })).await;
        let photo = app.attach("liutang", &id, "a.png", PNG.to_vec()).await;
        assert_eq!(photo.status(), status, "after {step}");
    }
    app.command_ok(
        &steward,
        &id,
        json!({"type": "submit_rectification", "note": "已整改"}),
    )
    .await;
    let town = app.login("qingxi").await;
    app.command_ok(&town, &id, json!({"type": "verify_rectification"}))
        .await;

    let after = app.attach("liutang", &id, "b.png", PNG.to_vec()).await;
    assert_eq!(after.status(), 409);
    let problem: Value = after.json().await.unwrap();
    assert_eq!(problem["code"], "evidence_not_taken");
    assert_eq!(problem["state"], "observation");
    app.stop().await;
}

#[tokio::test]
async fn photos_are_held_to_a_quota_per_warning_and_per_user() {
    let app = spawn_app_with(|config| {
        config.security.photos = PhotoQuota {
            per_warning: 2,
            per_user_per_day: 3,
        };
    })
    .await;
    let first = app.raise_acknowledged().await;
    let second = app.raise_acknowledged().await;
    for name in ["1.png", "2.png"] {
        let stored = app.attach("liutang", &first, name, PNG.to_vec()).await;
        assert_eq!(stored.status(), 201, "{name}");
    }
    let full = app.attach("liutang", &first, "3.png", PNG.to_vec()).await;
    assert_eq!(full.status(), 429);
    let problem: Value = full.json().await.unwrap();
    assert_eq!(problem["code"], "photo_quota");
    assert_eq!(problem["quota"], "per_warning");
    assert_eq!(problem["limit"], 2);

    let third = app.attach("liutang", &second, "3.png", PNG.to_vec()).await;
    assert_eq!(third.status(), 201);
    let daily = app.attach("liutang", &second, "4.png", PNG.to_vec()).await;
    assert_eq!(daily.status(), 429);
    assert!(daily.headers().contains_key("retry-after"));
    let problem: Value = daily.json().await.unwrap();
    assert_eq!(problem["quota"], "per_user_per_day");
    // The town office has a quota of its own.
    let town = app
        .attach("qingxi", &second, "town.png", PNG.to_vec())
        .await;
    assert_eq!(town.status(), 201);

    app.clock.advance(Duration::hours(25));
    let third = app.raise_acknowledged().await;
    let next_day = app.attach("liutang", &third, "5.png", PNG.to_vec()).await;
    assert_eq!(next_day.status(), 201);
    app.stop().await;
}

#[tokio::test]
async fn idempotency_records_are_kept_thirty_days_then_purged() {
    let app = spawn_app().await;
    let steward = app.login("liutang").await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let acknowledge = || json!({"type": "acknowledge"});
    let send = |key: &'static str, body: Value| {
        let (app, steward, id) = (&app, steward.clone(), id.clone());
        async move { app.command_with(&steward, &id, body, Some(key), None).await }
    };
    assert_eq!(send("tablet-1", acknowledge()).await.status(), 200);

    // A tablet resending after 29 days still gets the first answer back.
    app.clock.advance(Duration::days(29));
    assert_eq!(app.step_housekeeping().await.idempotency_records, 0);
    let resent = send("tablet-1", acknowledge()).await;
    assert_eq!(resent.status(), 200);
    let start = json!({"type": "start_rectification"});
    assert_eq!(send("tablet-2", start.clone()).await.status(), 200);

    // Two days later the first record is gone, the second (a day old) is kept.
    app.clock.advance(Duration::days(2));
    assert_eq!(app.step_housekeeping().await.idempotency_records, 1);
    let late = send("tablet-1", acknowledge()).await;
    assert_eq!(
        late.status(),
        409,
        "decided afresh against the warning's state"
    );
    assert_eq!(send("tablet-2", start).await.status(), 200);
    assert_eq!(app.step_housekeeping().await.idempotency_records, 0);
    app.stop().await;
}

/// A tablet resends a queued photo after a lost answer with the key it was made with: the
/// server answers with the first upload and stores nothing, even once the warning has
/// moved on or the quota is full; the same key with another file is refused.
#[tokio::test]
async fn a_photo_resent_with_its_key_is_stored_once() {
    let app = spawn_app_with(|config| {
        config.security.photos = PhotoQuota {
            per_warning: 1,
            per_user_per_day: 10,
        };
    })
    .await;
    let id = app.raise_acknowledged().await;
    let key = Some("tablet-7f3a.photo0");
    let send = |bytes: Vec<u8>| app.attach_keyed("liutang", &id, "a.png", bytes, key);
    let first = send(PNG.to_vec()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();

    let again = send(PNG.to_vec()).await;
    assert_eq!(
        again.status(),
        200,
        "a resend is answered, not refused by the full quota"
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);

    let mut other = PNG.to_vec();
    other.extend_from_slice(b"trailing bytes");
    let changed = send(other).await;
    assert_eq!(changed.status(), 422);
    let problem: Value = changed.json().await.unwrap();
    assert_eq!(problem["code"], "idempotency_key_reused");

    let steward = app.login("liutang").await;
    let photos = json!([first["id"]]);
    let body = json!({"type": "submit_rectification", "note": "已整改", "photos": photos});
    app.command_ok(&steward, &id, body).await;
    let late = send(PNG.to_vec()).await;
    assert_eq!(
        late.status(),
        200,
        "a resend after the submission is still the first answer"
    );

    // The key belongs to the user who sent it: the town office's upload under the same key
    // is its own (and refused here, the warning taking no more photos).
    let town = app
        .attach_keyed("qingxi", &id, "a.png", PNG.to_vec(), key)
        .await;
    assert_eq!(town.status(), 409);
    let (stored, _) = app
        .engine
        .store()
        .attachment_counts(&id, "liutang", app.engine.now())
        .await
        .unwrap();
    assert_eq!(stored, 1);
    app.stop().await;
}
