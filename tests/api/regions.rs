//! `qingfeng regions import`: a real county's official codes, in the statistics bureau's
//! form, kept in the store; the server and `users add` then go by that tree with no
//! `--regions` to remember; a tree that would strand a user is refused and changes
//! nothing.

use clap::Parser;
use qingfeng::cli::{Cli, run};
use serde_json::Value;

use crate::helpers::spawn_app_on_with;

const QIXIAN: &str = include_str!("../../seeds/real/qixian-410221.csv");

/// The bureau's table of 杞县: 统计用区划代码, 城乡分类代码, 名称, without parents.
fn bureau_table() -> String {
    let mut text = String::from("统计用区划代码,城乡分类代码,名称\n");
    for line in QIXIAN.lines().skip(1) {
        let fields: Vec<&str> = line.trim().split(',').collect();
        let class = if fields[0].ends_with("000") {
            ""
        } else {
            "220"
        };
        text.push_str(&format!("{},{class},{}\n", fields[0], fields[1]));
    }
    text
}

async fn command(args: &[&str]) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(std::iter::once("qingfeng").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    run(cli).await
}

/// The server started with neither --regions nor --geojson.
fn stored_tree(config: &mut qingfeng::app::Config) {
    config.regions_path = None;
    config.geojson_path = None;
}

#[tokio::test]
async fn a_county_imported_from_the_bureaus_table_is_the_tree_the_server_and_users_go_by() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("杞县.csv");
    std::fs::write(&table, bureau_table()).unwrap();
    let store = format!("surrealkv://{}", dir.path().join("db").display());
    let file = table.to_str().unwrap();

    command(&["regions", "import", file, "--store", &store])
        .await
        .unwrap();
    let office = [
        "users",
        "add",
        "--username",
        "qixian",
        "--password",
        "Qixian-county-2026",
        "--role",
        "city_office",
        "--region",
        "410221000000",
        "--store",
        &store,
    ];
    command(&office).await.unwrap();
    let stranger = [
        "users",
        "add",
        "--username",
        "demo",
        "--password",
        "Qixian-county-2026",
        "--role",
        "town_office",
        "--region",
        "990102100000",
        "--store",
        &store,
    ];
    let refused = command(&stranger).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("990102100000"),
        "{refused:#}"
    );

    // The server started without --regions runs with the imported tree.
    let app = spawn_app_on_with(&store, stored_tree).await;
    let response = app
        .client
        .post(format!("{}/api/auth/login", app.address))
        .json(&serde_json::json!({"username": "qixian", "password": "Qixian-county-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let tree = app.get_json(&token, "/api/regions").await;
    let regions = tree["regions"].as_array().unwrap();
    assert_eq!(
        regions.len(),
        623,
        "杞县: the county, 22 towns, 600 villages"
    );
    assert!(
        regions
            .iter()
            .any(|r| r["code"] == "410221101201" && r["name"] == "史庄村委会")
    );
    app.stop().await;

    // The demo city's tree would strand the county's office: refused, the tree kept.
    let demo = ["regions", "import", "seeds/regions.csv", "--store", &store];
    let refused = command(&demo).await.unwrap_err();
    let message = format!("{refused:#}");
    assert!(message.contains("qixian (410221000000)"), "{message}");
    let app = spawn_app_on_with(&store, stored_tree).await;
    assert_eq!(app.engine.regions().root().name, "杞县");
    app.stop().await;
}
