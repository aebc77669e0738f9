//! Timers: set, replaced, kept and cleared with appends, and only the pending ones returned.

use chrono::Duration;

use super::tests::{at, mem, request};
use super::*;

fn with_timer(mut req: AppendRequest, timer: TimerChange) -> AppendRequest {
    req.timer = timer;
    req
}

#[tokio::test]
async fn timers_are_set_replaced_kept_and_cleared_with_appends() {
    let store = mem().await;
    let set = |kind: &str, second| TimerChange::Set {
        kind: kind.to_string(),
        due: at(second),
    };
    store
        .append(with_timer(request("A", 0, 1), set("remind", 100)))
        .await
        .unwrap();
    store
        .append(with_timer(request("B", 0, 2), set("escalate", 50)))
        .await
        .unwrap();
    store
        .append(with_timer(request("C", 0, 1), set("late", 500)))
        .await
        .unwrap();

    let due = store.due_timers(at(100), 10).await.unwrap();
    let summary: Vec<(&str, &str, u64)> = due
        .iter()
        .map(|t| (t.stream.as_str(), t.kind.as_str(), t.version))
        .collect();
    assert_eq!(summary, [("B", "escalate", 2), ("A", "remind", 1)]);
    assert_eq!(due[0].due, at(50));
    assert_eq!(store.due_timers(at(100), 1).await.unwrap().len(), 1);
    assert!(store.due_timers(at(49), 10).await.unwrap().is_empty());

    store
        .append(with_timer(request("A", 1, 1), TimerChange::Keep))
        .await
        .unwrap();
    store
        .append(with_timer(request("B", 2, 1), TimerChange::Clear))
        .await
        .unwrap();
    store
        .append(with_timer(request("C", 1, 1), set("sooner", 10)))
        .await
        .unwrap();
    let due = store.due_timers(at(1000), 10).await.unwrap();
    let summary: Vec<(&str, &str, u64)> = due
        .iter()
        .map(|t| (t.stream.as_str(), t.kind.as_str(), t.version))
        .collect();
    assert_eq!(summary, [("C", "sooner", 2), ("A", "remind", 1)]);
    let cleared_again = with_timer(request("B", 3, 1), TimerChange::Clear);
    store.append(cleared_again).await.unwrap();
    assert_eq!(
        store
            .due_timers(at(1000) + Duration::days(1), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    // Looking for due timers removed the records that were superseded or cleared; the ones
    // still pending but not yet due (none here) and the two due ones remain.
    let mut response = store
        .db
        .query("SELECT VALUE stream + '@' + <string> version FROM timer")
        .await
        .unwrap();
    let mut left: Vec<String> = response.take(0).unwrap();
    left.sort();
    assert_eq!(left, ["A@1", "C@2"]);
}
