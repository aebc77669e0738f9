//! `qingfeng` started from a directory that is not the repository: the shipped lifecycle
//! settings, rule catalogue, demo tree and its boundaries are found in the data directory
//! (here the source checkout the binary was built from), and a data directory named
//! wrongly stops it with a message naming the folder.

use std::process::Command;

use serde_json::Value;

use crate::durability::{add_ops_user, login, start_in, wait_ready};
use crate::helpers::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_qingfeng");

#[tokio::test]
async fn the_server_runs_from_any_directory() {
    let elsewhere = tempfile::tempdir().unwrap();
    let store = format!("surrealkv://{}", elsewhere.path().join("db").display());
    // `users add` checks the region against the demo city's tree, found in the data dir.
    add_ops_user(elsewhere.path(), &store);
    let port = free_port();
    let mut server = start_in(elsewhere.path(), &store, port);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await;
    let token = login(&client, &base).await;
    // The demo city's boundaries were found beside its tree: its map has shapes.
    let map: Value = client
        .get(format!("{base}/api/maps/990102000000"))
        .bearer_auth(&token)
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
