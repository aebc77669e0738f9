//! Behaviour of the store on `surrealkv://`: reopening, surviving SIGKILL, and a throughput check.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

use super::tests::{at, request};
use super::*;

fn url(dir: &tempfile::TempDir) -> String {
    format!("surrealkv://{}", dir.path().join("db").display())
}

#[tokio::test]
async fn surrealkv_keeps_everything_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&url(&dir)).await.unwrap();
    let mut first = request("A", 0, 2);
    first.idempotency = Some(Idempotency {
        key: "k1".into(),
        request_hash: "h1".into(),
        result: json!({"ok": 1}),
    });
    first.timer = TimerChange::Set {
        kind: "remind".into(),
        due: at(10),
    };
    store.append(first).await.unwrap();
    store.append(request("B", 0, 1)).await.unwrap();
    store.put_meta("checkpoint", &json!(3)).await.unwrap();
    let before = store.read_all(0, 10).await.unwrap();
    store.shutdown().await;
    drop(store);

    let store = Store::connect(&url(&dir)).await.unwrap();
    assert_eq!(store.head_position().await.unwrap(), 3);
    assert_eq!(store.read_all(0, 10).await.unwrap(), before);
    assert_eq!(store.read_stream("A").await.unwrap().len(), 2);
    assert_eq!(
        store.find_command("k1").await.unwrap(),
        Some(("h1".into(), json!({"ok": 1})))
    );
    assert_eq!(store.due_timers(at(10), 10).await.unwrap()[0].version, 2);
    assert_eq!(store.get_meta("checkpoint").await.unwrap(), Some(json!(3)));
    // The reopened store carries on from the stored positions and versions.
    assert!(matches!(
        store.append(request("A", 0, 1)).await,
        Err(StoreError::Conflict { actual: 2, .. })
    ));
    let outcome = store.append(request("A", 2, 1)).await.unwrap();
    assert!(matches!(
        outcome,
        AppendOutcome::Appended {
            first_position: 4,
            version: 3,
            ..
        }
    ));
}

/// The child half of `an_acknowledged_append_survives_sigkill`: appends forever from several
/// tasks and prints the last position of every acknowledged append. Run only by the parent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by an_acknowledged_append_survives_sigkill"]
async fn sigkill_child() {
    let Ok(path) = std::env::var("QF_STORE_KILL_URL") else {
        return;
    };
    let store = Store::connect(&path).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0u64.. {
                    let req = request(&format!("T{task}-{n}"), 0, 1 + n % 2);
                    if let Ok(AppendOutcome::Appended { last_position, .. }) =
                        store.append(req).await
                    {
                        println!("APPENDED {last_position}");
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn an_acknowledged_append_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "store::tests_durability::sigkill_child",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("QF_STORE_KILL_URL", url(&dir))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acknowledged = 0;
    let mut seen = 0;
    for line in stdout.lines() {
        let Some(position) = line
            .unwrap()
            .strip_prefix("APPENDED ")
            .map(|p| p.parse::<u64>().unwrap())
        else {
            continue;
        };
        acknowledged = acknowledged.max(position);
        seen += 1;
        if seen == 300 {
            // `kill` sends SIGKILL on Unix: no destructor, no flush, no shutdown runs.
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    assert_eq!(
        seen, 300,
        "the child stopped before acknowledging enough appends"
    );

    let store = Store::connect(&url(&dir)).await.unwrap();
    let head = store.head_position().await.unwrap();
    assert!(
        head >= acknowledged,
        "head {head} lost acknowledged position {acknowledged}"
    );
    let all = store.read_all(0, head as usize + 1).await.unwrap();
    assert_eq!(all.len() as u64, head, "positions 1..=head are all present");
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, e)| e.position == i as u64 + 1)
    );
}

/// 10,000 single-event appends from 100 tasks on surrealkv, beside the plain-SurrealDB
/// baseline. Prints numbers; run with `--ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn throughput_on_surrealkv() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&url(&dir)).await.unwrap();
    let baseline = store.bench_baseline_inserts(1_000).await.unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..100)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for n in 0..100 {
                    let one = Instant::now();
                    let req = request(&format!("T{task}-{n}"), 0, 1);
                    appended_or_panic(store.append(req).await);
                    latencies.push(one.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let wall = started.elapsed();
    latencies.sort_unstable();
    let p99 = latencies[latencies.len() * 99 / 100];
    println!(
        "baseline {baseline:.0} inserts/s; 10000 appends in {wall:?} = {:.0}/s, p99 {p99:?}",
        10_000.0 / wall.as_secs_f64()
    );
    assert_eq!(store.head_position().await.unwrap(), 10_000);
}

fn appended_or_panic(outcome: Result<AppendOutcome, StoreError>) {
    assert!(
        matches!(outcome, Ok(AppendOutcome::Appended { .. })),
        "{outcome:?}"
    );
}
