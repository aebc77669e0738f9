//! Behaviour of the store on `mem://`: concurrency, idempotency, positions, timers, users.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use tokio::sync::mpsc;

use super::*;

pub(super) fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + second, 123_456_789)
        .unwrap()
}

pub(super) fn event(kind: &str, n: u64) -> NewEvent {
    NewEvent {
        kind: kind.to_string(),
        data: json!({ "n": n, "text": "清风 \"quoted\" ⟩`", "nested": { "list": [1, 2.5, null] } }),
        actor: "tester".to_string(),
        at: at(n as i64),
        command_id: format!("cmd-{kind}-{n}"),
    }
}

pub(super) fn request(stream: &str, expected: u64, events: u64) -> AppendRequest {
    AppendRequest {
        stream: stream.to_string(),
        expected_version: expected,
        events: (1..=events).map(|n| event("raised", n)).collect(),
        idempotency: None,
        timer: TimerChange::Keep,
    }
}

pub(super) async fn mem() -> Store {
    Store::connect("mem://").await.unwrap()
}

fn appended(outcome: Result<AppendOutcome, StoreError>) -> (u64, u64, u64) {
    match outcome {
        Ok(AppendOutcome::Appended {
            first_position,
            last_position,
            version,
        }) => (first_position, last_position, version),
        other => panic!("expected Appended, got {other:?}"),
    }
}

#[tokio::test]
async fn append_then_read_round_trips_with_contiguous_positions() {
    let store = mem().await;
    assert_eq!(appended(store.append(request("A", 0, 2)).await), (1, 2, 2));
    assert_eq!(appended(store.append(request("B", 0, 1)).await), (3, 3, 1));
    assert_eq!(appended(store.append(request("A", 2, 1)).await), (4, 4, 3));

    let a = store.read_stream("A").await.unwrap();
    let versions: Vec<(u64, u64)> = a.iter().map(|e| (e.version, e.position)).collect();
    assert_eq!(versions, [(1, 1), (2, 2), (3, 4)]);
    let first = event("raised", 1);
    assert_eq!(
        (a[0].kind.as_str(), &a[0].data, a[0].at),
        ("raised", &first.data, first.at)
    );
    assert_eq!(
        (a[0].actor.as_str(), a[0].command_id.as_str()),
        ("tester", "cmd-raised-1")
    );

    let all = store.read_all(0, 100).await.unwrap();
    let positions: Vec<u64> = all.iter().map(|e| e.position).collect();
    assert_eq!(positions, [1, 2, 3, 4]);
    assert_eq!(all[2].stream, "B");
    assert_eq!(store.read_all(2, 1).await.unwrap(), vec![all[2].clone()]);
    assert!(store.read_all(4, 10).await.unwrap().is_empty());
    assert!(store.read_all(0, 0).await.unwrap().is_empty());
    assert!(store.read_stream("nope").await.unwrap().is_empty());
    assert_eq!(store.head_position().await.unwrap(), 4);
}

#[tokio::test]
async fn a_stale_expected_version_conflicts_and_writes_nothing() {
    let store = mem().await;
    store.append(request("A", 0, 2)).await.unwrap();
    for expected in [0, 1, 5] {
        match store.append(request("A", expected, 1)).await {
            Err(StoreError::Conflict {
                stream,
                expected: e,
                actual,
            }) => assert_eq!((stream.as_str(), e, actual), ("A", expected, 2)),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    assert!(matches!(
        store.append(request("fresh", 3, 1)).await,
        Err(StoreError::Conflict { actual: 0, .. })
    ));
    assert_eq!(store.head_position().await.unwrap(), 2);
    assert_eq!(store.read_stream("A").await.unwrap().len(), 2);
    assert!(store.read_stream("fresh").await.unwrap().is_empty());
}

#[tokio::test]
async fn an_append_without_events_is_refused() {
    let store = mem().await;
    assert!(matches!(
        store.append(request("A", 0, 0)).await,
        Err(StoreError::Database(_))
    ));
    assert_eq!(store.head_position().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_twenty_concurrent_creations_of_one_stream_exactly_one_wins() {
    let store = mem().await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.append(request("W1", 0, 1)).await })
        })
        .collect();
    let (mut won, mut lost) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(AppendOutcome::Appended { version: 1, .. }) => won += 1,
            Err(StoreError::Conflict { actual: 1, .. }) => lost += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((won, lost), (1, 19));
    assert_eq!(store.read_stream("W1").await.unwrap().len(), 1);
    assert_eq!(store.head_position().await.unwrap(), 1);
}

/// Appends `count` requests of 1 to 3 events to distinct streams from concurrent tasks, spread
/// over `stores`, and checks that together they cover positions 1..=N exactly once.
async fn appends_cover_every_position_once(stores: &[Store], count: usize) {
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let events = 1 + (i % 3) as u64;
            tokio::spawn(async move { store.append(request(&format!("S{i}"), 0, events)).await })
        })
        .collect();
    let mut positions = Vec::new();
    for task in tasks {
        let (first, last, _) = appended(task.await.unwrap());
        positions.extend(first..=last);
    }
    positions.sort_unstable();
    let total = positions.len() as u64;
    assert_eq!(positions, (1..=total).collect::<Vec<_>>());
    let store = &stores[0];
    assert_eq!(store.head_position().await.unwrap(), total);
    let all = store.read_all(0, total as usize + 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    for e in all.iter().filter(|e| e.version > 1) {
        assert_eq!(
            all[e.position as usize - 2].stream,
            e.stream,
            "a stream's events are adjacent"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_to_distinct_streams_all_succeed_without_gaps() {
    appends_cover_every_position_once(&[mem().await], 500).await;
}

/// A second store handle on the same database with its own writer: what a second process
/// sharing one SurrealDB server looks like to this one.
fn second_writer(store: &Store) -> Store {
    let (sender, receiver) = mpsc::channel(WRITER_QUEUE);
    tokio::spawn(writer::run(store.db.clone(), receiver));
    Store {
        db: store.db.clone(),
        writer: sender,
        shared: true,
        audit_lock: Arc::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_on_one_database_keep_positions_contiguous() {
    let store = mem().await;
    let other = second_writer(&store);
    appends_cover_every_position_once(&[store, other], 400).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_racing_for_one_stream_let_exactly_one_win() {
    let store = mem().await;
    let other = second_writer(&store);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 {
                store.clone()
            } else {
                other.clone()
            };
            tokio::spawn(async move { store.append(request("W1", 0, 2)).await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(AppendOutcome::Appended { version: 2, .. }) => won += 1,
            Err(StoreError::Conflict { actual: 2, .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.head_position().await.unwrap(), 2);
}

/// A writer that knows a stream's version learns from the log what another writer appended to
/// it, rather than trusting what it knew or reading every stream again.
#[tokio::test]
async fn a_writer_catches_up_with_what_another_writer_appended() {
    let store = mem().await;
    let other = second_writer(&store);
    store.append(request("W1", 0, 1)).await.unwrap();
    store.append(request("W2", 0, 1)).await.unwrap();
    other.append(request("W1", 1, 2)).await.unwrap();
    assert!(matches!(
        store.append(request("W1", 1, 1)).await,
        Err(StoreError::Conflict { actual: 3, .. })
    ));
    let outcome = store.append(request("W1", 3, 1)).await.unwrap();
    assert!(matches!(
        outcome,
        AppendOutcome::Appended {
            first_position: 5,
            version: 4,
            ..
        }
    ));
    // The other writer's knowledge of W1 is now behind too.
    assert!(matches!(
        other.append(request("W1", 3, 1)).await,
        Err(StoreError::Conflict { actual: 4, .. })
    ));
    let versions: Vec<u64> = store
        .read_stream("W1")
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, [1, 2, 3, 4]);
}

fn with_key(mut req: AppendRequest, key: &str, hash: &str) -> AppendRequest {
    req.idempotency = Some(Idempotency {
        key: key.to_string(),
        request_hash: hash.to_string(),
        result: json!({ "stream": req.stream, "ok": true }),
    });
    req
}

#[tokio::test]
async fn a_reused_idempotency_key_is_a_duplicate_and_writes_nothing() {
    let store = mem().await;
    let first = with_key(request("A", 0, 1), "key ⟨1⟩:`x`", "h1");
    appended(store.append(first).await);
    let again = with_key(request("B", 0, 3), "key ⟨1⟩:`x`", "h2");
    match store.append(again).await {
        Ok(AppendOutcome::Duplicate {
            request_hash,
            result,
        }) => assert_eq!(
            (request_hash.as_str(), result),
            ("h1", json!({"stream": "A", "ok": true}))
        ),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert_eq!(store.head_position().await.unwrap(), 1);
    assert!(store.read_stream("B").await.unwrap().is_empty());
    let stored = store.find_command("key ⟨1⟩:`x`").await.unwrap();
    assert_eq!(
        stored,
        Some(("h1".to_string(), json!({"stream": "A", "ok": true})))
    );
    assert_eq!(store.find_command("other").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_with_one_key_append_once() {
    let store = mem().await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let req = with_key(request(&format!("S{i}"), 0, 1), "same", &format!("h{i}"));
            tokio::spawn(async move { store.append(req).await })
        })
        .collect();
    let mut appended_hash = None;
    let mut duplicates = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(AppendOutcome::Appended { .. }) => appended_hash = Some(format!("h{i}")),
            Ok(AppendOutcome::Duplicate { request_hash, .. }) => duplicates.push(request_hash),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(duplicates.len(), 9);
    assert!(duplicates.iter().all(|h| Some(h) == appended_hash.as_ref()));
    assert_eq!(store.head_position().await.unwrap(), 1);
}

#[tokio::test]
async fn users_tokens_and_meta_are_put_and_got() {
    let store = mem().await;
    let mut user = UserRecord {
        username: "zhang.san".into(),
        password_hash: "$argon2id$v=19$...".into(),
        role: "town_officer".into(),
        region: "330102001".into(),
        display_name: "张三".into(),
    };
    store.put_user(&user).await.unwrap();
    user.role = "admin".into();
    store.put_user(&user).await.unwrap();
    let other = UserRecord {
        username: "li.si".into(),
        ..user.clone()
    };
    store.put_user(&other).await.unwrap();
    assert_eq!(
        store.get_user("zhang.san").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(store.get_user("nobody").await.unwrap(), None);
    assert_eq!(store.list_users().await.unwrap(), vec![other, user]);

    let token = TokenRecord {
        token_hash: "abc123".into(),
        username: "zhang.san".into(),
        expires_at: at(3600),
        last_used: Some(at(0)),
    };
    store.put_token(&token).await.unwrap();
    assert_eq!(
        store.get_token("abc123").await.unwrap(),
        Some(token.clone())
    );
    store.touch_token("abc123", at(60)).await.unwrap();
    let touched = store.get_token("abc123").await.unwrap().unwrap();
    assert_eq!(touched.last_used, Some(at(60)));
    let expired = TokenRecord {
        token_hash: "old".into(),
        expires_at: at(10),
        ..token.clone()
    };
    store.put_token(&expired).await.unwrap();
    assert_eq!(store.purge_expired_tokens(at(20)).await.unwrap(), 1);
    assert_eq!(store.get_token("old").await.unwrap(), None);
    assert!(store.get_token("abc123").await.unwrap().is_some());

    let lockout = crate::store::LockoutRecord {
        failures: vec![at(1), at(2)],
        locked_until: Some(at(900)),
    };
    assert_eq!(
        store.get_lockout("zhang.san").await.unwrap(),
        Default::default()
    );
    store.put_lockout("zhang.san", &lockout).await.unwrap();
    assert_eq!(store.get_lockout("zhang.san").await.unwrap(), lockout);
    store.clear_lockout("zhang.san").await.unwrap();
    assert_eq!(
        store.get_lockout("zhang.san").await.unwrap(),
        Default::default()
    );
    assert_eq!(store.get_token("zzz").await.unwrap(), None);

    let value = json!({ "position": 42, "name": "清风" });
    store.put_meta("checkpoint:warnings", &value).await.unwrap();
    assert_eq!(
        store.get_meta("checkpoint:warnings").await.unwrap(),
        Some(value)
    );
    store
        .put_meta("checkpoint:warnings", &json!(43))
        .await
        .unwrap();
    assert_eq!(
        store.get_meta("checkpoint:warnings").await.unwrap(),
        Some(json!(43))
    );
    assert_eq!(store.get_meta("missing").await.unwrap(), None);
}

#[tokio::test]
async fn after_shutdown_appends_are_refused() {
    let store = mem().await;
    store.append(request("A", 0, 1)).await.unwrap();
    store.shutdown().await;
    store.shutdown().await;
    assert!(matches!(
        store.append(request("A", 1, 1)).await,
        Err(StoreError::Closed)
    ));
    assert_eq!(store.read_stream("A").await.unwrap().len(), 1);
}
