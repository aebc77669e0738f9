//! Event pages: a commit's events stored as few records, read back by any range and by stream
//! across page boundaries.

use super::batch::PAGE_EVENTS;
use super::tests::request;
use super::*;

/// One stream of 4,500 events (two pages in one commit), then single-event commits to
/// another stream and the first one, so pages of every size sit side by side.
async fn store_with_pages() -> Store {
    let store = Store::connect("mem://").await.unwrap();
    let big = PAGE_EVENTS + 500;
    store.append(request("A", 0, big)).await.unwrap();
    store.append(request("B", 0, 1)).await.unwrap();
    store.append(request("A", big, 2)).await.unwrap();
    store.append(request("B", 1, 3)).await.unwrap();
    store
}

#[tokio::test]
async fn any_range_of_the_log_reads_back_contiguous_across_page_boundaries() {
    let store = store_with_pages().await;
    let head = store.head_position().await.unwrap();
    assert_eq!(head, PAGE_EVENTS + 506);
    for (after, limit) in [
        (0, 10),
        (0, 5_000),
        (PAGE_EVENTS - 3, 7),
        (PAGE_EVENTS, 1),
        (PAGE_EVENTS + 499, 3),
        (head - 2, 10),
        (head, 10),
    ] {
        let positions: Vec<u64> = store
            .read_all(after, limit)
            .await
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect();
        let expected: Vec<u64> = (after + 1..=(after + limit as u64).min(head)).collect();
        assert_eq!(positions, expected, "after {after}, limit {limit}");
    }
}

#[tokio::test]
async fn a_stream_reads_back_in_version_order_from_the_pages_that_hold_it() {
    let store = store_with_pages().await;
    let a = store.read_stream("A").await.unwrap();
    assert_eq!(a.len() as u64, PAGE_EVENTS + 502);
    assert!(
        a.iter()
            .enumerate()
            .all(|(i, e)| e.version == i as u64 + 1 && e.stream == "A")
    );
    let b: Vec<(u64, u64)> = store
        .read_stream("B")
        .await
        .unwrap()
        .iter()
        .map(|e| (e.version, e.position))
        .collect();
    let first_b = PAGE_EVENTS + 501;
    assert_eq!(
        b,
        vec![
            (1, first_b),
            (2, first_b + 3),
            (3, first_b + 4),
            (4, first_b + 5)
        ]
    );
    assert!(store.read_stream("nobody").await.unwrap().is_empty());
}
