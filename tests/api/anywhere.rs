//! `qingfeng` started from a directory that is not the repository: the shipped lifecycle
//! settings, rule catalogue, demo tree and its boundaries are found in the data directory
//! (here the source checkout the binary was built from), and a data directory named
//! wrongly stops it with a message naming the folder.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_qingfeng");

#[tokio::test]
async fn the_server_runs_from_any_directory() {
    let elsewhere = tempfile::tempdir().unwrap();
    let store = format!("surrealkv://{}", elsewhere.path().join("db").display());
    // `users add` checks the region against the demo city's tree, found in the data dir.
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
            &store,
        ])
        .current_dir(elsewhere.path())
        .status()
        .unwrap();
    assert!(status.success());

    let port = free_port();
    let mut server = Command::new(BIN)
        .args([
            "serve",
            "--store",
            &store,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(elsewhere.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            ready = response.status() == 200;
            if ready {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ready,
        "the server started from {}",
        elsewhere.path().display()
    );

    let login: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "ops", "password": "ops-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("signed in");
    // The demo city's boundaries were found beside its tree: its map has shapes.
    let map: Value = client
        .get(format!("{base}/api/maps/990102000000"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let regions = map["regions"].as_array().expect("a map");
    assert!(!regions.is_empty(), "{map}");
    assert!(
        regions.iter().all(|r| r["tile"] == false),
        "shapes, not tiles: {map}"
    );
    // The public report rule came from the catalogue in the data directory.
    let form = client
        .get(format!("{base}/public/report"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!elsewhere.path().join("workflows").exists());
}

#[test]
fn a_data_directory_without_the_shipped_files_is_refused_by_name() {
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["regions", "show", "--store", "mem://"])
        .env("QINGFENG_DATA_DIR", empty.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains(&empty.path().display().to_string()),
        "{error}"
    );
    assert!(error.contains("workflows/lifecycle.toml"), "{error}");
}
