//! The role and region matrix: who may read and act on which warnings.

use serde_json::json;

use crate::helpers::{TOWN_TAOYUAN, VILLAGE_LIUTANG, VILLAGE_SHIMEN, spawn_app};

#[tokio::test]
async fn a_steward_can_neither_read_nor_act_on_another_villages_warnings() {
    let app = spawn_app().await;
    let liutang_warning = app.raise_ok(VILLAGE_LIUTANG).await;
    let shimen_warning = app.raise_ok(VILLAGE_SHIMEN).await;
    let liutang = app.login("liutang").await;

    assert_eq!(
        app.get(&liutang, &format!("/api/warnings/{shimen_warning}"))
            .await
            .status(),
        404
    );
    let response = app
        .command(&liutang, &shimen_warning, json!({"type": "acknowledge"}))
        .await;
    assert_eq!(response.status(), 404);
    let list = app.get_json(&liutang, "/api/warnings").await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![liutang_warning.as_str()]);
    assert_eq!(
        app.get(&liutang, &format!("/api/regions/{VILLAGE_SHIMEN}/summary"))
            .await
            .status(),
        404
    );

    // Its own village: read and act.
    app.command_ok(&liutang, &liutang_warning, json!({"type": "acknowledge"}))
        .await;
    // But not a town office's command.
    let response = app
        .command(
            &liutang,
            &liutang_warning,
            json!({"type": "dismiss", "reason": "x"}),
        )
        .await;
    assert_eq!(response.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn display_and_leader_tokens_read_but_cannot_command() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    for user in ["wall", "leader", "qingxi-wall"] {
        let token = app.login(user).await;
        assert_eq!(
            app.get(&token, &format!("/api/warnings/{id}"))
                .await
                .status(),
            200,
            "{user} reads"
        );
        let response = app
            .command(&token, &id, json!({"type": "acknowledge"}))
            .await;
        assert_eq!(response.status(), 403, "{user} may not command");
        let response = app.raise(&token, VILLAGE_LIUTANG, "low").await;
        assert_eq!(response.status(), 403, "{user} may not raise");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_town_office_sees_only_its_own_villages() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await; // in 青溪镇
    let taoyuan = app.login("taoyuan").await;
    assert_eq!(
        app.get(&taoyuan, &format!("/api/warnings/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.command(&taoyuan, &id, json!({"type": "dismiss", "reason": "x"}))
            .await
            .status(),
        404
    );
    let response = app.raise(&taoyuan, VILLAGE_LIUTANG, "low").await;
    assert_eq!(response.status(), 403);
    let response = app.raise(&taoyuan, TOWN_TAOYUAN, "low").await;
    assert_eq!(response.status(), 201);
    let qingxi = app.login("qingxi").await;
    let summary = app
        .get_json(&qingxi, "/api/regions/990102100000/summary")
        .await;
    assert_eq!(summary["red"], 1);
    let city = app.login("leader").await;
    let summary = app
        .get_json(&city, "/api/regions/990102000000/summary")
        .await;
    assert_eq!(summary["red"], 2);
    assert!(
        summary["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "990102100000" && r["worst"] == "red")
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = spawn_app().await;
    let city = app.login("city").await;
    for (body, field) in [
        (
            json!({"region": "12345", "title": "t", "severity": "high", "subject": "s"}),
            "region",
        ),
        (
            json!({"region": "990102999999", "title": "t", "severity": "high", "subject": "s"}),
            "region",
        ),
        (
            json!({"region": VILLAGE_LIUTANG, "title": "t", "severity": "huge", "subject": "s"}),
            "severity",
        ),
        (
            json!({"region": VILLAGE_LIUTANG, "title": " ", "severity": "low", "subject": "s"}),
            "title",
        ),
    ] {
        let response = app
            .client
            .post(format!("{}/api/warnings", app.address))
            .bearer_auth(&city)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_signed_out_token_stops_working_and_other_sessions_do_not() {
    let app = spawn_app().await;
    let token = app.login("liutang").await;
    let other = app.new_session("liutang").await;
    assert_eq!(app.get(&token, "/api/auth/me").await.status(), 200);
    assert_eq!(app.logout(&token).await, 204);
    // At once, although the token was resolved (and cached) a moment ago.
    assert_eq!(app.get(&token, "/api/auth/me").await.status(), 401);
    let again = app.logout(&token).await;
    assert_eq!(again, 401, "a signed-out token cannot sign out again");
    // The same user's other session is untouched.
    assert_eq!(app.get(&other, "/api/auth/me").await.status(), 200);
}
