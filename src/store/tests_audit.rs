//! The audit log in the store (`mem://`): appends from tasks running at once form one
//! unbroken chain, pages come newest first, and tampering is found by `verify_store`.

use chrono::{Duration, TimeZone, Utc};

use super::tests::mem;
use super::*;
use crate::audit::log::{VerifyError, verify_store};
use crate::audit::{AuditAction, AuditEntry, AuditFilter, AuditProblem};

fn entry(n: u64, action: AuditAction, actor: &str) -> AuditEntry {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap() + Duration::minutes(n as i64);
    AuditEntry::new(at, actor, action, &format!("target {n}"))
}

/// Appends `count` entries from each of `handles` at once.
async fn append_concurrently(handles: &[Store], count: u64) {
    let mut tasks = Vec::new();
    for (h, store) in handles.iter().enumerate() {
        for n in 0..count {
            let store = store.clone();
            let actor = format!("user{h}");
            tasks.push(tokio::spawn(async move {
                store
                    .append_audit(entry(n, AuditAction::Login, &actor))
                    .await
                    .unwrap()
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_from_tasks_at_once_form_one_unbroken_chain() {
    let store = mem().await;
    append_concurrently(&[store.clone(), store.clone()], 20).await;
    let summary = verify_store(&store).await.unwrap();
    assert_eq!(summary.records, 40);
    assert_eq!(store.audit_head().await.unwrap().unwrap().seq, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_that_collide_are_retried_into_one_chain() {
    // Two handles that do not take turns, as two processes sharing a server would not:
    // their appends collide on the same record ids and head, and are retried.
    let store = mem().await;
    let other = Store {
        audit_lock: Arc::default(),
        ..store.clone()
    };
    append_concurrently(&[store.clone(), other], 15).await;
    let summary = verify_store(&store).await.unwrap();
    assert_eq!(summary.records, 30);
    let all = store.audit_in_order(0, 100).await.unwrap();
    let seqs: Vec<u64> = all.iter().map(|(_, r)| r.seq).collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<u64>>());
}

#[tokio::test]
async fn pages_come_newest_first_with_a_cursor_and_filters() {
    let store = mem().await;
    for n in 1..=7 {
        let action = if n % 2 == 0 {
            AuditAction::LoginFailed
        } else {
            AuditAction::Login
        };
        store.append_audit(entry(n, action, "jiwei")).await.unwrap();
    }
    let all = AuditFilter::default();
    let first = store.audit_page(&all, None, 3).await.unwrap();
    let seqs = |page: &AuditPage| page.records.iter().map(|r| r.seq).collect::<Vec<u64>>();
    assert_eq!((seqs(&first), first.next), (vec![7, 6, 5], Some(5)));
    let second = store.audit_page(&all, first.next, 3).await.unwrap();
    assert_eq!((seqs(&second), second.next), (vec![4, 3, 2], Some(2)));
    let third = store.audit_page(&all, second.next, 3).await.unwrap();
    assert_eq!((seqs(&third), third.next), (vec![1], None));

    let failed = AuditFilter {
        action: Some(AuditAction::LoginFailed),
        ..AuditFilter::default()
    };
    let page = store.audit_page(&failed, None, 10).await.unwrap();
    assert_eq!((seqs(&page), page.next), (vec![6, 4, 2], None));
    let window = AuditFilter {
        from: Some(entry(3, AuditAction::Login, "x").at()),
        until: Some(entry(5, AuditAction::Login, "x").at()),
        ..AuditFilter::default()
    };
    assert_eq!(
        seqs(&store.audit_page(&window, None, 10).await.unwrap()),
        [4, 3]
    );
    let nobody = AuditFilter {
        actor: Some("nobody".into()),
        ..AuditFilter::default()
    };
    assert!(
        store
            .audit_page(&nobody, None, 10)
            .await
            .unwrap()
            .records
            .is_empty()
    );
}

async fn broken(store: &Store) -> (u64, AuditProblem) {
    match verify_store(store).await {
        Err(VerifyError::Broken(broken)) => (broken.seq, broken.problem),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[tokio::test]
async fn tampering_in_the_store_is_found_at_the_first_bad_record() {
    let cases = [
        (
            AuditTamper::Edit {
                seq: 3,
                detail: "x".into(),
            },
            3,
        ),
        (
            AuditTamper::Reseal {
                seq: 3,
                detail: "x".into(),
            },
            4,
        ),
        (AuditTamper::Delete { seq: 2 }, 3),
        // The newest: the head still names it.
        (AuditTamper::Delete { seq: 5 }, 5),
        (AuditTamper::Swap { a: 2, b: 4 }, 2),
    ];
    for (tamper, first_bad) in cases {
        let store = mem().await;
        for n in 1..=5 {
            store
                .append_audit(entry(n, AuditAction::Scan, "system"))
                .await
                .unwrap();
        }
        store.tamper_audit_for_tests(tamper.clone()).await.unwrap();
        let (seq, problem) = broken(&store).await;
        assert_eq!(seq, first_bad, "{tamper:?}: {problem}");
    }
}
