//! Several app instances on one real SurrealDB server (`ws://`), as a scaled-out deployment
//! runs them: commands through any instance land in one ordered log, a command decided on a
//! stale view is refused rather than interleaved, every instance comes to see every command,
//! and a timer fires once however many schedulers look at it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use qingfeng::clock::ManualClock;
use qingfeng::follower::Follower;
use serde_json::{Value, json};

use crate::helpers::{CITY, TestApp, VILLAGE_LIUTANG, free_port, spawn_app_on, start_time};

/// A `surreal start … memory` process, killed when dropped.
pub(crate) struct SurrealServer {
    child: Child,
    port: u16,
}

impl SurrealServer {
    pub(crate) fn start() -> SurrealServer {
        let binary = surreal_binary();
        let port = free_port();
        let child = Command::new(&binary)
            .args(["start", "--bind", &format!("127.0.0.1:{port}")])
            .args([
                "--user", "root", "--pass", "root", "--log", "warn", "memory",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let server = SurrealServer { child, port };
        // Listening is not ready: during its start the server accepts connections and
        // answers 503, which once failed an app's connect on a loaded machine. Its
        // `/health` answers 200 once it serves.
        for _ in 0..600 {
            if healthy(port) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the SurrealDB server on port {port} was not healthy within 60 s");
    }

    pub(crate) fn url(&self, database: &str) -> String {
        format!("ws://127.0.0.1:{}?db={database}", self.port)
    }
}

/// True when `GET /health` on `port` answers 200.
fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status = [0u8; 12];
    stream.read_exact(&mut status).is_ok() && status.ends_with(b" 200")
}

impl Drop for SurrealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server `deploy/install-test-deps.sh` builds from `deploy/surreal-server`.
fn surreal_binary() -> PathBuf {
    let binary = match std::env::var_os("QINGFENG_SURREAL") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
            .join(".cache/qingfeng-tools/bin/surreal"),
    };
    assert!(
        binary.exists(),
        "no SurrealDB server at {}: run `bash deploy/install-test-deps.sh`, which builds \
         deploy/surreal-server (or point QINGFENG_SURREAL at a `surreal` binary)",
        binary.display()
    );
    binary
}

/// A server and two app instances on it sharing one clock.
struct Cluster {
    server: SurrealServer,
    url: String,
    clock: ManualClock,
    a: TestApp,
    b: TestApp,
}

impl Cluster {
    async fn start() -> Cluster {
        let server = SurrealServer::start();
        let url = server.url("qingfeng");
        let clock = ManualClock::new(start_time());
        let a = spawn_app_on(&url, clock.clone()).await;
        let b = spawn_app_on(&url, clock.clone()).await;
        Cluster {
            server,
            url,
            clock,
            a,
            b,
        }
    }
}

async fn follow(app: &TestApp) -> u64 {
    Follower::new(app.engine.clone()).step().await.unwrap()
}

async fn summary(app: &TestApp) -> Value {
    let token = app.login("leader").await;
    app.get_json(&token, &format!("/api/regions/{CITY}/summary"))
        .await
}

/// Every warning's id, state and version as the instance sees it.
fn versions(app: &TestApp) -> Vec<(String, String, u64)> {
    let mut all: Vec<_> = app.engine.read(|p| {
        p.warnings
            .values()
            .map(|w| (w.id.clone(), format!("{:?}", w.step), w.version))
            .collect()
    });
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_server_share_one_ordered_log() {
    // The server lives until the end of the test.
    let Cluster {
        server: _server,
        url,
        clock,
        a,
        b,
    } = Cluster::start().await;

    // Twenty warnings raised through both instances at once.
    let raised = futures::future::join_all((0..20).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.raise_ok(VILLAGE_LIUTANG)
    }))
    .await;
    follow(&a).await;
    follow(&b).await;
    assert_eq!(versions(&a), versions(&b));
    assert_eq!(versions(&a).len(), 20);

    // An instance that only reads learns of the others' commands from its follower.
    let late = b.raise_ok(VILLAGE_LIUTANG).await;
    assert!(a.engine.warning(&late).is_none());
    assert_eq!(follow(&a).await, 2, "raised and notified");
    assert!(a.engine.warning(&late).is_some());

    // A command decided on a stale view is refused with the state as it really is.
    let id = &raised[0];
    let steward_a = a.login("liutang").await;
    let steward_b = b.login("liutang").await;
    a.command_ok(&steward_a, id, json!({"type": "acknowledge"}))
        .await;
    let stale = b
        .command(&steward_b, id, json!({"type": "acknowledge"}))
        .await;
    assert_eq!(stale.status(), 409);
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["state"], "acknowledged", "{problem}");
    // The refusal brought b up to date: it can act on the warning now, and a cannot.
    b.command_ok(&steward_b, id, json!({"type": "start_rectification"}))
        .await;
    let stale = a
        .command(&steward_a, id, json!({"type": "start_rectification"}))
        .await;
    assert_eq!(stale.status(), 409);

    // Both instances walk the other warnings concurrently.
    futures::future::join_all(raised[1..].iter().enumerate().map(|(i, id)| {
        let (app, token) = if i % 2 == 0 {
            (&a, &steward_a)
        } else {
            (&b, &steward_b)
        };
        async move {
            app.command_ok(token, id, json!({"type": "acknowledge"}))
                .await
        }
    }))
    .await;

    // The log is one contiguous sequence, and both instances and a fresh one agree on it.
    follow(&a).await;
    follow(&b).await;
    let log = a.engine.store().read_all(0, 10_000).await.unwrap();
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=log.len() as u64).collect::<Vec<_>>());
    assert_eq!(versions(&a), versions(&b));
    assert_eq!(summary(&a).await, summary(&b).await);
    let fresh = spawn_app_on(&url, clock.clone()).await;
    assert_eq!(versions(&fresh), versions(&a));
    assert_eq!(summary(&fresh).await, summary(&a).await);
    for app in [a, b, fresh] {
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_fires_once_when_two_instances_run_their_schedulers() {
    let Cluster {
        server: _server,
        clock,
        a,
        b,
        ..
    } = Cluster::start().await;
    let id = a.raise_ok(VILLAGE_LIUTANG).await;
    follow(&b).await;

    clock.advance(chrono::Duration::days(8));
    let (first, second) = tokio::join!(a.step_scheduler(), b.step_scheduler());
    assert_eq!(first.fired + second.fired, 1, "{first:?} {second:?}");
    follow(&a).await;
    follow(&b).await;
    for app in [&a, &b] {
        let warning = app.warning(&id).await;
        let passed = warning["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "deadline_passed")
            .count();
        assert_eq!(passed, 1, "{warning}");
    }
    assert_eq!(
        a.step_scheduler().await.fired + b.step_scheduler().await.fired,
        0
    );
    a.stop().await;
    b.stop().await;
}
