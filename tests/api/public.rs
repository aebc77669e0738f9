//! The public pages (`/public`) through the real server: only what the city office
//! published appears, names are masked, 查本人 finds a resident's own payments and nothing
//! for anyone else, its limit answers 429, and no public page holds an ID number, a mobile
//! number, a plate or an unmasked name.

use std::collections::{BTreeSet, VecDeque};

use qingfeng::datagen::demo;
use qingfeng::import::DatasetKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// 孙玲 of 清风社区, paid 低保 every month of the demo.
const SUN_LING_ID: &str = "990101197001106265";
const SUN_LING_VILLAGE: &str = "990102001001";

fn demo_file(kind: DatasetKind) -> Vec<u8> {
    let path = demo::dir().join(format!("{kind}.csv"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn import(app: &TestApp, kind: DatasetKind) {
    let name = format!("{kind}.csv");
    let response = app
        .upload("city", kind.as_str(), &name, demo_file(kind))
        .await;
    assert_eq!(response.status(), 200, "{name}");
}

async fn decide(app: &TestApp, fund: &str, period: &str, action: &str) -> reqwest::Response {
    let token = app.login("city").await;
    app.client
        .post(format!("{}/api/publications", app.address))
        .bearer_auth(token)
        .json(&json!({"fund": fund, "period": period, "action": action}))
        .send()
        .await
        .unwrap()
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    app.get_page(path).await
}

async fn lookup(app: &TestApp, name: &str, id: &str) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/public/lookup", app.address))
        .form(&[("name", name), ("id", id)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn only_published_months_appear_with_masked_names_until_withdrawn() {
    let app = spawn_app().await;
    import(&app, DatasetKind::WelfarePayments).await;
    let (status, home) = page(&app, "/public").await;
    assert_eq!(status, 200);
    assert!(home.contains("暂无已公开的发放记录"), "{home}");

    let published = decide(&app, "dibao", "2025-12", "publish").await;
    assert_eq!(published.status(), 200);
    let body: Value = published.json().await.unwrap();
    assert_eq!(body["state"], "published");
    assert_eq!(body["payments"], 145);

    let village = format!("/public/region/{SUN_LING_VILLAGE}");
    let (_, months) = page(&app, &village).await;
    assert!(months.contains("2025年12月"), "{months}");
    assert!(
        !months.contains("2026年1月"),
        "an unpublished month is listed: {months}"
    );
    let (status, list) = page(&app, &format!("{village}/dibao/2025-12")).await;
    assert_eq!(status, 200);
    assert!(list.contains("孙*"), "{list}");
    assert!(!list.contains("孙玲"), "an unmasked name: {list}");
    let (status, _) = page(&app, &format!("{village}/dibao/2026-01")).await;
    assert_eq!(status, 404, "an unpublished month has no page");

    // The city's totals hold December's 低保 only.
    let (_, home) = page(&app, "/public").await;
    assert!(home.contains("<td class=\"num\">145</td>"), "{home}");

    let withdrawn = decide(&app, "dibao", "2025-12", "withdraw").await;
    assert_eq!(withdrawn.status(), 200);
    let (status, _) = page(&app, &format!("{village}/dibao/2025-12")).await;
    assert_eq!(status, 404);
    let (_, home) = page(&app, "/public").await;
    assert!(home.contains("暂无已公开的发放记录"), "{home}");

    let audit = app
        .get_json(&app.login("city").await, "/api/audit?limit=50")
        .await;
    let actions: Vec<&str> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"publish") && actions.contains(&"withdraw"),
        "{actions:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn publishing_is_the_city_offices_and_needs_an_imported_month() {
    let app = spawn_app().await;
    import(&app, DatasetKind::WelfarePayments).await;
    let missing = decide(&app, "dibao", "2030-01", "publish").await;
    assert_eq!(missing.status(), 422);
    let not_published = decide(&app, "dibao", "2025-12", "withdraw").await;
    assert_eq!(not_published.status(), 409);
    let town = app.login("qingxi").await;
    let refused = app
        .client
        .post(format!("{}/api/publications", app.address))
        .bearer_auth(town)
        .json(&json!({"fund": "dibao", "period": "2025-12", "action": "publish"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let garbage = decide(&app, "dibao", "twelfth month", "publish").await;
    assert_eq!(garbage.status(), 422);
    let problem: Value = garbage.json().await.unwrap();
    assert_eq!(problem["field"], "period");
    app.stop().await;
}

#[tokio::test]
async fn a_resident_sees_their_own_payments_and_a_stranger_sees_nothing() {
    let app = spawn_app().await;
    import(&app, DatasetKind::WelfarePayments).await;
    for period in ["2025-12", "2026-01"] {
        assert_eq!(decide(&app, "dibao", period, "publish").await.status(), 200);
    }
    let (status, own) = lookup(&app, "孙玲", SUN_LING_ID).await;
    assert_eq!(status, 200);
    assert!(
        own.contains("2025年12月") && own.contains("2026年1月"),
        "{own}"
    );
    assert!(own.contains("800.00"), "{own}");
    assert!(!own.contains(SUN_LING_ID), "the ID number is echoed: {own}");

    // The right ID with another name, and a valid ID nobody holds, get the same answer.
    let (status, wrong_name) = lookup(&app, "刘婷婷", SUN_LING_ID).await;
    assert_eq!(status, 200);
    let (status, unknown) = lookup(&app, "孙玲", "11010519491231002X").await;
    assert_eq!(status, 200);
    assert_eq!(
        wrong_name.replace("刘婷婷", "孙玲"),
        unknown,
        "a wrong name and an unknown ID must look the same"
    );
    assert!(
        unknown.contains("没有查到已公开的本人发放记录"),
        "{unknown}"
    );

    let (status, bad) = lookup(&app, "孙玲", "990101197001106266").await;
    assert_eq!(status, 422);
    assert!(bad.contains("身份证号不正确"), "{bad}");
    let (status, _) = lookup(&app, &"长".repeat(30), SUN_LING_ID).await;
    assert_eq!(status, 422);
    let huge = app
        .client
        .post(format!("{}/public/lookup", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={}&id=1", "a".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);

    let audit = app
        .get_json(&app.login("city").await, "/api/audit?action=public_lookup")
        .await;
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{audit}");
    assert!(records.iter().all(|r| r["actor"] == "anonymous"));
    assert!(
        records.iter().any(|r| r["target"] == "990101**********65"),
        "{audit}"
    );
    app.stop().await;
}

#[tokio::test]
async fn lookups_over_the_address_limit_answer_429() {
    let app = spawn_app_with(|config| {
        config.security.public.lookup_burst_per_address = 2;
        config.security.public.lookups_per_minute_per_address = 1;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(lookup(&app, "孙玲", SUN_LING_ID).await.0, 200);
    }
    let response = app
        .client
        .post(format!("{}/public/lookup", app.address))
        .form(&[("name", "孙玲"), ("id", SUN_LING_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    app.stop().await;
}

#[tokio::test]
async fn pages_are_cached_by_etag_until_a_decision_changes_them() {
    let app = spawn_app().await;
    import(&app, DatasetKind::WelfarePayments).await;
    let home = |tag: Option<String>| {
        let mut request = app.client.get(format!("{}/public", app.address));
        if let Some(tag) = tag {
            request = request.header("if-none-match", tag);
        }
        async move { request.send().await.unwrap() }
    };
    let first = home(None).await;
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = home(Some(tag.clone())).await;
    assert_eq!(again.status(), 304);
    decide(&app, "dibao", "2025-12", "publish").await;
    let changed = home(Some(tag)).await;
    assert_eq!(changed.status(), 200);
    app.stop().await;
}

/// Why a public page must not hold `text`, if it must not: an ID number (17 digits and a
/// digit or X), a mobile number (11 digits from 1), or a plate (a province and a letter,
/// then five letters or digits).
fn leak(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run = i - start;
            let x = i < chars.len() && matches!(chars[i], 'X' | 'x');
            if run == 18 || (run == 17 && x) {
                return Some(format!(
                    "an ID number at {start}: {}",
                    chars[start.saturating_sub(40)..(i + 1).min(chars.len())]
                        .iter()
                        .collect::<String>()
                ));
            }
            if run == 11 && chars[start] == '1' {
                return Some(format!("a mobile number at {start}"));
            }
            continue;
        }
        const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
        if PROVINCES.contains(chars[i])
            && chars.get(i + 1).is_some_and(char::is_ascii_uppercase)
            && chars[i + 2..]
                .iter()
                .take(5)
                .filter(|c| c.is_ascii_alphanumeric())
                .count()
                == 5
        {
            return Some(format!("a plate at {i}"));
        }
        i += 1;
    }
    None
}

#[tokio::test]
async fn no_public_page_of_the_demo_holds_personal_data() {
    let app = spawn_app().await;
    for kind in DatasetKind::ALL {
        import(&app, kind).await;
    }
    let token = app.login("city").await;
    let months = app.get_json(&token, "/api/publications").await;
    for month in months["months"].as_array().unwrap() {
        let (fund, period) = (
            month["fund"].as_str().unwrap(),
            month["period"].as_str().unwrap(),
        );
        assert_eq!(decide(&app, fund, period, "publish").await.status(), 200);
    }
    let region_names: BTreeSet<String> = app
        .engine
        .regions()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let payments = demo_file(DatasetKind::WelfarePayments);
    let mut reader = csv::Reader::from_reader(payments.as_slice());
    let names: BTreeSet<String> = reader
        .records()
        .map(|r| r.unwrap()[3].to_string())
        .filter(|name| {
            name.chars().count() >= 2 && !region_names.iter().any(|r| r.contains(name.as_str()))
        })
        .collect();

    let mut seen = BTreeSet::from(["/public".to_string()]);
    let mut queue = VecDeque::from(["/public".to_string()]);
    while let Some(path) = queue.pop_front() {
        let (status, body) = page(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        if let Some(why) = leak(&body) {
            panic!("{path} holds {why}");
        }
        if let Some(name) = names.iter().find(|name| body.contains(name.as_str())) {
            panic!("{path} holds the unmasked name {name}");
        }
        for link in body
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
        {
            let link = link.replace("&amp;", "&");
            if link.starts_with("/public")
                && !link.starts_with("/public/assets")
                && seen.insert(link.clone())
            {
                queue.push_back(link);
            }
        }
    }
    assert!(
        seen.len() > 100,
        "only {} public pages were reached",
        seen.len()
    );
    let (_, own) = lookup(&app, "孙玲", SUN_LING_ID).await;
    assert!(leak(&own).is_none(), "{own}");
    app.stop().await;
}
