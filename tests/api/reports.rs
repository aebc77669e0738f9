//! 我要反映 through the real server: a report from a phone becomes a warning on the town
//! office's queue with its text as evidence, the phone number stays masked unless an
//! audited request unmasks it, the office replies publicly and the receipt page shows the
//! outcome; the same complaint twice is folded into one warning; the challenge, the
//! address limit and the field checks refuse what they should.

use std::sync::Arc;

use chrono::Duration;
use qingfeng::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::{PNG, TestApp, VILLAGE_LIUTANG, spawn_app_with, start_time};

const TEXT: &str = "村里评低保只给村干部亲戚，真正困难的人家评不上";

/// An app whose session clock (the one forms are timed by) the test moves.
async fn app_with_clock(
    configure: impl FnOnce(&mut qingfeng::app::Config),
) -> (TestApp, ManualClock) {
    let forms = ManualClock::new(start_time());
    let session = forms.clone();
    let app = spawn_app_with(move |config| {
        config.session_clock = Arc::new(session);
        configure(config);
    })
    .await;
    (app, forms)
}

/// The form's challenge: its token and the answer to its sum.
async fn challenge(app: &TestApp) -> (String, String) {
    let (_, page) = app.get_page("/public/report").await;
    let token = page
        .split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form has a challenge")
        .to_string();
    let question = page
        .split("验证：")
        .nth(1)
        .expect("the form asks a question");
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|n| n as u32)
    };
    let mut numbers = question.chars().filter_map(digit);
    let sum = numbers.next().unwrap() + numbers.next().unwrap();
    (token, sum.to_string())
}

struct Report<'a> {
    region: &'a str,
    category: &'a str,
    text: &'a str,
    phone: &'a str,
    photo: Option<Vec<u8>>,
}

impl Default for Report<'_> {
    fn default() -> Self {
        Report {
            region: VILLAGE_LIUTANG,
            category: "favouritism",
            text: TEXT,
            phone: "13812345678",
            photo: None,
        }
    }
}

async fn send(app: &TestApp, report: &Report<'_>, token: &str, answer: &str) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new()
        .text("region", report.region.to_string())
        .text("category", report.category.to_string())
        .text("text", report.text.to_string())
        .text("phone", report.phone.to_string())
        .text("challenge", token.to_string())
        .text("answer", answer.to_string());
    if let Some(photo) = &report.photo {
        form = form.part(
            "photo",
            reqwest::multipart::Part::bytes(photo.clone()).file_name("现场.png"),
        );
    }
    let response = app
        .client
        .post(format!("{}/public/report", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Fetches a form, waits like a person and sends the report; the receipt code.
async fn file(app: &TestApp, clock: &ManualClock, report: &Report<'_>) -> String {
    let (token, answer) = challenge(app).await;
    clock.advance(Duration::seconds(30));
    let (status, page) = send(app, report, &token, &answer).await;
    assert_eq!(status, 201, "{page}");
    page.split("id=\"receipt\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows the receipt")
        .to_string()
}

async fn public_reports(app: &TestApp) -> Vec<Value> {
    let town = app.login("qingxi").await;
    let list = app
        .get_json(&town, "/api/warnings?rule=public_report")
        .await;
    list["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_report_reaches_the_town_office_and_its_reply_reaches_the_reporter() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let report = Report {
        photo: Some(PNG.to_vec()),
        ..Report::default()
    };
    let receipt = file(&app, &clock, &report).await;
    assert_eq!(receipt.len(), 16);

    let warnings = public_reports(&app).await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let id = warnings[0]["id"].as_str().unwrap().to_string();
    let town = app.login("qingxi").await;
    let warning = app.get_json(&town, &format!("/api/warnings/{id}")).await;
    assert_eq!(warning["region"], VILLAGE_LIUTANG);
    assert_eq!(warning["evidence"]["text"], TEXT);
    assert!(
        !warning.to_string().contains("13812345678"),
        "the phone is in the warning: {warning}"
    );

    let reports = app
        .get_json(&town, &format!("/api/warnings/{id}/reports"))
        .await;
    assert_eq!(reports["reports"][0]["phone"], "138****5678");
    assert!(reports["reports"][0]["photo"].is_string(), "{reports}");
    let wall = app.login("wall").await;
    assert_eq!(
        app.get(&wall, &format!("/api/warnings/{id}/reports"))
            .await
            .status(),
        403
    );
    let unmasked: Value = app
        .client
        .post(format!("{}/api/warnings/{id}/reports/unmask", app.address))
        .bearer_auth(&town)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unmasked["phones"], json!(["13812345678"]));
    let audit = app
        .get_json(&app.login("city").await, "/api/audit?action=unmask")
        .await;
    assert_eq!(audit["records"][0]["target"], id.as_str(), "{audit}");
    assert_eq!(audit["records"][0]["actor"], "qingxi");

    let receipt_page = format!("/public/report/{receipt}");
    let page = app.get_page(&receipt_page).await.1;
    assert!(
        page.contains("<li class=\"done current\">已受理</li>"),
        "{page}"
    );
    assert!(page.contains("尚未答复"), "{page}");

    let reply = "经核查，反映属实，已责令重新评议并公示";
    app.command_ok(&town, &id, json!({"type": "reply_publicly", "text": reply}))
        .await;
    app.command_ok(
        &town,
        &id,
        json!({"type": "dismiss", "reason": "经核查已纠正"}),
    )
    .await;
    let page = app.get_page(&receipt_page).await.1;
    assert!(
        page.contains("<li class=\"done current\">已办结</li>"),
        "{page}"
    );
    assert!(page.contains(reply), "{page}");
    assert!(
        !page.contains("13812345678") && !page.contains("138****"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_same_complaint_twice_is_folded_into_one_warning() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let first = file(&app, &clock, &Report::default()).await;
    let spaced = format!(" {} ", TEXT.replace('，', " ，"));
    let second = file(
        &app,
        &clock,
        &Report {
            text: &spaced,
            phone: "",
            ..Report::default()
        },
    )
    .await;
    assert_ne!(first, second, "each reporter has a receipt of their own");
    let warnings = public_reports(&app).await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let id = warnings[0]["id"].as_str().unwrap();
    let town = app.login("qingxi").await;
    let reports = app
        .get_json(&town, &format!("/api/warnings/{id}/reports"))
        .await;
    assert_eq!(reports["reports"].as_array().unwrap().len(), 2);
    // Another category is another problem.
    file(
        &app,
        &clock,
        &Report {
            category: "extortion",
            ..Report::default()
        },
    )
    .await;
    assert_eq!(public_reports(&app).await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_challenge_and_the_fields_refuse_what_a_person_would_not_send() {
    // Every attempt counts against the address's limit; this test makes many.
    let (app, clock) =
        app_with_clock(|config| config.security.public.report_burst_per_address = 100).await;
    let (token, answer) = challenge(&app).await;
    let (status, page) = send(&app, &Report::default(), &token, &answer).await;
    assert_eq!(status, 422, "sent at once");
    assert!(page.contains("提交太快了"), "{page}");

    let (token, answer) = challenge(&app).await;
    clock.advance(Duration::seconds(30));
    let wrong = (answer.parse::<u32>().unwrap() + 1).to_string();
    let (status, page) = send(&app, &Report::default(), &token, &wrong).await;
    assert_eq!(status, 422);
    assert!(page.contains("验证答案不对"), "{page}");
    let (status, _) = send(&app, &Report::default(), &token, &answer).await;
    assert_eq!(status, 422, "a challenge is answered once");

    for (report, words) in [
        (
            Report {
                category: "gossip",
                ..Report::default()
            },
            "请选择问题类别",
        ),
        (
            Report {
                phone: "12345",
                ..Report::default()
            },
            "11 位手机号码",
        ),
        (
            Report {
                text: &"长".repeat(501),
                ..Report::default()
            },
            "最多 500 个字",
        ),
        (
            Report {
                region: "not-a-code",
                ..Report::default()
            },
            "请选择反映的村",
        ),
        (
            Report {
                photo: Some(b"not an image".to_vec()),
                ..Report::default()
            },
            "JPEG、PNG",
        ),
    ] {
        let (token, answer) = challenge(&app).await;
        clock.advance(Duration::seconds(30));
        let (status, page) = send(&app, &report, &token, &answer).await;
        assert_eq!(status, 422, "{words}");
        assert!(page.contains(words), "{words}: {page}");
        assert!(page.contains("name=\"challenge\""), "the form comes back");
    }
    assert!(public_reports(&app).await.is_empty(), "nothing was filed");
    let garbage = app
        .client
        .post(format!("{}/public/report", app.address))
        .header("content-type", "multipart/form-data; boundary=x")
        .body(vec![0u8; 9 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 413);
    app.stop().await;
}

#[tokio::test]
async fn reports_over_the_address_limit_answer_429() {
    let (app, clock) = app_with_clock(|config| {
        config.security.public.report_burst_per_address = 2;
        config.security.public.reports_per_hour_per_address = 1;
    })
    .await;
    for text in ["第一件事情说明一下", "第二件事情说明一下"] {
        file(
            &app,
            &clock,
            &Report {
                text,
                ..Report::default()
            },
        )
        .await;
    }
    let (token, answer) = challenge(&app).await;
    clock.advance(Duration::seconds(30));
    let (status, _) = send(
        &app,
        &Report {
            text: "第三件事情说明一下",
            ..Report::default()
        },
        &token,
        &answer,
    )
    .await;
    assert_eq!(status, 429);
    app.stop().await;
}

#[tokio::test]
async fn only_a_public_report_gets_a_public_reply() {
    let (app, _) = app_with_clock(|_| {}).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let town = app.login("qingxi").await;
    let refused = app
        .command(
            &town,
            &id,
            json!({"type": "reply_publicly", "text": "已处理"}),
        )
        .await;
    assert_eq!(refused.status(), 409);
    let unknown = app
        .client
        .get(format!("{}/public/report/0123456789ABCDEF", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let odd = app
        .client
        .get(format!("{}/public/report/..%2F..%2Fetc", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 404);
    app.stop().await;
}
