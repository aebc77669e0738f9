//! The city office keeps the contacts one at a time: a contact added is told of the next
//! warning, one removed is not, and every bad field is named.

use reqwest::Method;
use serde_json::{Value, json};

use super::outbox::{app_with, settings, step};
use super::wecom::fake_robot;
use crate::helpers::{VILLAGE_LIUTANG, start_time};
use qingfeng::clock::ManualClock;

fn steward() -> Value {
    json!({
        "name": "柳塘监督员",
        "role": "village_steward",
        "region_code": VILLAGE_LIUTANG,
        "mobile": "+86 138-0000-0009",
        "wecom_user_id": "liutang-new",
    })
}

#[tokio::test]
async fn a_contact_added_is_told_and_one_removed_is_not() {
    let (gateway, webhook) = fake_robot().await;
    let app = app_with(
        "mem://",
        ManualClock::new(start_time()),
        settings(&webhook, 5),
    )
    .await;
    let city = app.login("city").await;
    let put = app
        .send_body(
            Method::PUT,
            &city,
            "/api/contacts/S9",
            steward().to_string(),
        )
        .await;
    assert_eq!(put.status(), 200);
    let saved: Value = put.json().await.unwrap();
    assert_eq!(saved["mobile"], "13800000009", "the number is normalised");
    let list = app.get_json(&city, "/api/contacts").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.raise_ok(VILLAGE_LIUTANG).await;
    assert_eq!(step(&app).await.sent, 1);
    assert!(gateway.requests()[0].body.contains("liutang-new"));
    let delete = app
        .send_body(Method::DELETE, &city, "/api/contacts/S9", "")
        .await;
    assert_eq!(delete.status(), 204);
    let again = app
        .send_body(Method::DELETE, &city, "/api/contacts/S9", "")
        .await;
    assert_eq!(again.status(), 404);
    app.raise_ok(VILLAGE_LIUTANG).await;
    let report = step(&app).await;
    assert_eq!(report.sent, 0, "{report:?}");
    assert_eq!(gateway.requests().len(), 1);
    let audit = app
        .get_json(&city, "/api/audit?action=contact_changed")
        .await;
    assert_eq!(audit["records"].as_array().unwrap().len(), 2, "{audit:#}");
    app.stop().await;
}

#[tokio::test]
async fn bad_contacts_are_refused_naming_the_field() {
    let app = crate::helpers::spawn_app().await;
    let city = app.login("city").await;
    let cases = [
        (json!({"mobile": "12345"}), "mobile"),
        (json!({"email": "a@b@c"}), "email"),
        (json!({"role": "town_office"}), "region_code"),
        (json!({"region_code": "110101001001"}), "region_code"),
        (json!({"region_code": "garbage"}), "region_code"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({"wecom_user_id": "has space"}), "wecom_user_id"),
        (json!({"mobile": null, "wecom_user_id": null}), "mobile"),
    ];
    for (change, field) in cases {
        let mut body = steward();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let response = app
            .send_body(Method::PUT, &city, "/api/contacts/S1", body.to_string())
            .await;
        assert_eq!(response.status(), 422, "{change}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{change}: {problem:#}");
    }
    let unknown = app
        .send_body(
            Method::PUT,
            &city,
            "/api/contacts/S1",
            r#"{"name":"x","extra":1}"#,
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let huge = app
        .send_body(Method::PUT, &city, "/api/contacts/S1", "x".repeat(100_000))
        .await;
    assert_eq!(huge.status(), 413);
    let long_id = format!("/api/contacts/{}", "x".repeat(100));
    let response = app
        .send_body(Method::PUT, &city, &long_id, steward().to_string())
        .await;
    assert_eq!(response.status(), 422);
    let town = app.login("qingxi").await;
    let response = app
        .send_body(
            Method::PUT,
            &town,
            "/api/contacts/S1",
            steward().to_string(),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.get(&town, "/api/contacts").await.status(), 403);
    assert_eq!(
        app.get(&city, "/api/contacts?limit=9999").await.status(),
        422
    );
    let list = app.get_json(&city, "/api/contacts").await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing half-applied"
    );
    app.stop().await;
}
