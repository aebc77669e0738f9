//! Imports followed by scans: findings raise warnings once per subject, carry their
//! evidence, relapse during observation and respect dismissals.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn import_template(app: &TestApp, kind: &str) -> Value {
    let bytes = std::fs::read(format!(
        "{}/seeds/templates/{kind}.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let response = app
        .upload("city", kind, &format!("{kind}.csv"), bytes)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn rule_line<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["scan"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rule"] == rule)
        .unwrap()
}

#[tokio::test]
async fn a_finding_raises_one_warning_per_subject_with_its_evidence() {
    let app = spawn_app().await;
    import_template(&app, "welfare_payments").await;
    let report = import_template(&app, "deaths").await;
    let line = rule_line(&report, "welfare_deceased");
    assert_eq!(
        (
            line["checked"].as_u64(),
            line["flagged"].as_u64(),
            line["raised"].as_u64()
        ),
        (Some(2), Some(2), Some(2))
    );

    let city = app.login("city").await;
    let list = app
        .get_json(&city, "/api/warnings?rule=welfare_deceased")
        .await;
    assert_eq!(list["total"], 2);
    let warning = &list["items"][0];
    assert_eq!(warning["level"], "red");
    assert!(
        warning["evidence"]["compared"].as_array().unwrap().len() >= 2,
        "{warning}"
    );
    assert!(
        !warning["subject"]
            .as_str()
            .unwrap()
            .contains("990102195802030077"),
        "IDs are masked in the summary"
    );

    // Importing the same rows again scans again, and opens nothing new.
    let report = import_template(&app, "deaths").await;
    let line = rule_line(&report, "welfare_deceased");
    assert_eq!(
        (line["raised"].as_u64(), line["already_open"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(
        app.get_json(&city, "/api/warnings?rule=welfare_deceased")
            .await["total"],
        2
    );
    app.stop().await;
}

#[tokio::test]
async fn a_finding_during_observation_reopens_the_warning_and_a_dismissal_holds() {
    let app = spawn_app().await;
    import_template(&app, "welfare_payments").await;
    import_template(&app, "deaths").await;
    let city = app.login("city").await;
    let list = app
        .get_json(&city, "/api/warnings?rule=welfare_deceased")
        .await;
    let ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    let (first, second) = (&ids[0], &ids[1]);
    let region = list["items"][0]["region"].as_str().unwrap().to_string();
    let steward = if region == "990102100201" {
        app.login("liutang").await
    } else {
        app.login("shimen").await
    };

    app.command_ok(&steward, first, json!({"type": "acknowledge"}))
        .await;
    app.command_ok(
        &steward,
        first,
        json!({"type": "submit_rectification", "note": "已追回"}),
    )
    .await;
    app.command_ok(&city, first, json!({"type": "verify_rectification"}))
        .await;
    app.command_ok(
        &city,
        second,
        json!({"type": "dismiss", "reason": "户籍数据有误"}),
    )
    .await;

    let report = import_template(&app, "deaths").await;
    let line = rule_line(&report, "welfare_deceased");
    assert_eq!(
        (
            line["relapsed"].as_u64(),
            line["dismissed"].as_u64(),
            line["raised"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    let w = app.warning(first).await;
    assert_eq!(
        (
            w["level"].as_str(),
            w["state"].as_str(),
            w["relapses"].as_u64()
        ),
        (Some("red"), Some("raised"), Some(1))
    );
    assert_eq!(app.warning(second).await["state"], "dismissed");
    app.stop().await;
}
