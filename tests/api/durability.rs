//! An acknowledged command survives the process being killed right after: the real
//! binary on the embedded surrealkv store, SIGKILLed, restarted.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{VILLAGE_LIUTANG, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_qingfeng");

/// The binary serving `store` on `port`, started in `dir` (the repository, or elsewhere to
/// show it needs no particular directory).
pub fn start_in(dir: &Path, store: &str, port: u16) -> Child {
    Command::new(BIN)
        .args(["serve", "--store", store])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts")
}

fn start(store: &str, port: u16) -> Child {
    start_in(Path::new(env!("CARGO_MANIFEST_DIR")), store, port)
}

/// Adds the city office `ops` (password `ops-password-1`) to `store` with the binary run in
/// `dir`; the region is checked against the demo city's tree.
pub fn add_ops_user(dir: &Path, store: &str) {
    let status = Command::new(BIN)
        .args([
            "users",
            "add",
            "--username",
            "ops",
            "--password",
            "ops-password-1",
        ])
        .args([
            "--role",
            "city_office",
            "--region",
            "990102000000",
            "--store",
            store,
        ])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server at {base} never became ready");
}

pub async fn login(client: &reqwest::Client, base: &str) -> String {
    let body: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "ops", "password": "ops-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn acknowledged_commands_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("surrealkv://{}", dir.path().join("db").display());
    add_ops_user(Path::new(env!("CARGO_MANIFEST_DIR")), &store);

    let client = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&store, port);
    wait_ready(&client, &base).await;
    let token = login(&client, &base).await;

    // Concurrent raises, so several commit together in one group commit.
    let raises = (0..40).map(|i| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let response = client
                .post(format!("{base}/api/warnings"))
                .bearer_auth(&token)
                .json(&json!({"region": VILLAGE_LIUTANG, "title": format!("线索{i}"), "severity": "low", "subject": "s"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            body["id"].as_str().unwrap().to_string()
        }
    });
    let acknowledged: Vec<String> = futures::future::join_all(raises).await;
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let mut server = start(&store, port);
    wait_ready(&client, &base).await;
    let token = login(&client, &base).await;
    for id in &acknowledged {
        let response = client
            .get(format!("{base}/api/warnings/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "warning {id} was acknowledged but is lost"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
