//! The committed demo city (`seeds/demo/`) through the real API: imported kind by kind as
//! the city office on the demo's scan date, it raises exactly the anomalies listed in
//! `ground-truth.csv`, every one of them and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use qingfeng::datagen::demo;
use qingfeng::import::DatasetKind;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

type Keys = BTreeSet<(String, String)>;

fn demo_file(name: &str) -> Vec<u8> {
    let path = demo::dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The (rule, subject) pairs of the ground truth.
fn truth() -> Keys {
    let bytes = demo_file(demo::TRUTH_FILE);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    reader
        .records()
        .map(|record| {
            let record = record.expect("ground-truth.csv is CSV");
            (record[0].to_owned(), record[1].to_owned())
        })
        .collect()
}

async fn import(app: &TestApp, kind: DatasetKind) -> Value {
    let name = format!("{kind}.csv");
    let response = app
        .upload("city", kind.as_str(), &name, demo_file(&name))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{name}: {body}");
    body
}

#[tokio::test]
async fn the_demo_city_raises_exactly_its_planted_anomalies() {
    let app = spawn_app().await;
    // 02:00 UTC is 10:00 in Asia/Shanghai, so the rules judge as of the demo's own day.
    let at = demo::as_of().and_hms_opt(2, 0, 0).unwrap().and_utc();
    app.clock.set(at);
    for kind in DatasetKind::ALL {
        let report = import(&app, kind).await;
        let lines = String::from_utf8(demo_file(&format!("{kind}.csv")))
            .unwrap()
            .lines()
            .count();
        assert_eq!(report["rows"].as_u64(), Some(lines as u64 - 1), "{kind}");
        assert_eq!(report["scan"]["as_of"], demo::as_of().to_string());
    }
    let truth = truth();

    let token = app.login("city").await;
    let list = app.get_json(&token, "/api/warnings?limit=1000").await;
    assert_eq!(list["total"].as_u64(), Some(truth.len() as u64));
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for item in list["items"].as_array().unwrap() {
        // The catalogue's yellow rule opens reminders; every other rule opens red.
        let expected = if item["rule"] == "lease_expiring" {
            ("yellow", "reminder")
        } else {
            ("red", "notified")
        };
        assert_eq!(
            (
                item["level"].as_str().unwrap(),
                item["state"].as_str().unwrap()
            ),
            expected,
            "{item}"
        );
        *by_rule
            .entry(item["rule"].as_str().unwrap_or("manual").to_owned())
            .or_default() += 1;
    }
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for (rule, _) in &truth {
        *expected.entry(rule.clone()).or_default() += 1;
    }
    assert_eq!(by_rule, expected);

    // The API view carries the rule but not its subject key; the projection has both.
    let raised: Keys = app.engine.read(|p| {
        p.by_subject
            .iter()
            .map(|(rule, subject, _)| (rule.to_owned(), subject.to_owned()))
            .collect()
    });
    let extra: Vec<_> = raised.difference(&truth).collect();
    let missed: Vec<_> = truth.difference(&raised).collect();
    assert!(
        extra.is_empty() && missed.is_empty(),
        "raised but not planted: {extra:#?}\nplanted but not raised: {missed:#?}"
    );
    app.stop().await;
}
