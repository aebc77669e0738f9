//! The public pages on a phone (390×844) in a real browser: a resident walks from the city
//! to a village's payments of a month and sees masked names; 查本人 with a right and a
//! wrong ID number. Text is at least 16 px, links and buttons at least 44 px tall, and no
//! page is wider than the phone.

use serde_json::{Value, json};

use super::harness::{Browser, with_browser};
use crate::helpers::{TestApp, spawn_app};
use qingfeng::datagen::demo;

const SUN_LING_ID: &str = "990101197001106265";

async fn publish_demo_month(app: &TestApp) {
    let path = demo::dir().join("welfare_payments.csv");
    let bytes = std::fs::read(&path).unwrap();
    let response = app
        .upload("city", "welfare_payments", "welfare_payments.csv", bytes)
        .await;
    assert_eq!(response.status(), 200);
    let token = app.login("city").await;
    for period in ["2025-12", "2026-01"] {
        let response = app
            .client
            .post(format!("{}/api/publications", app.address))
            .bearer_auth(&token)
            .json(&json!({"fund": "dibao", "period": period, "action": "publish"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

/// Fails if the page is wider than the window, or has text under 16 px or a link or
/// button under 44 px tall.
pub(super) async fn assert_phone_friendly(browser: &Browser, page: &str) {
    let report: Value = browser
        .eval(
            "const small = [...document.querySelectorAll('body *')] \
               .filter(e => e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) \
               .filter(e => parseFloat(getComputedStyle(e).fontSize) < 16) \
               .map(e => e.tagName + ':' + e.textContent.trim().slice(0, 20)); \
             const tiny = [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')] \
               .map(e => (e.type === 'radio' || e.type === 'checkbox') && e.closest('label') ? e.closest('label') : e) \
               .filter(e => e.getBoundingClientRect().height < 44) \
               .map(e => e.tagName + ':' + e.textContent.trim().slice(0, 20)); \
             return {wide: document.documentElement.scrollWidth > innerWidth, small, tiny};",
            vec![],
        )
        .await;
    assert_eq!(report["wide"], false, "{page} is wider than the phone");
    assert_eq!(report["small"], json!([]), "{page}: text under 16 px");
    assert_eq!(
        report["tiny"],
        json!([]),
        "{page}: touch targets under 44 px"
    );
}

#[tokio::test]
async fn a_resident_browses_to_a_villages_payments_and_looks_up_their_own() {
    let app = spawn_app().await;
    publish_demo_month(&app).await;
    with_browser("public-phone", |browser| async move {
        browser.fit_viewport(390, 844).await;
        browser.open(&app, "/public").await;
        assert_phone_friendly(&browser, "/public").await;
        browser.screenshot("city").await;

        browser.click("ul.regions a[href='/public/region/990102001000']").await;
        browser.find("ul.regions a[href='/public/region/990102001001']").await;
        assert_phone_friendly(&browser, "the town").await;
        browser.screenshot("town").await;

        browser.click("ul.regions a[href='/public/region/990102001001']").await;
        browser.find("table.months").await;
        assert_phone_friendly(&browser, "the village").await;
        browser.screenshot("village").await;

        browser.click("table.months a[href$='/dibao/2025-12']").await;
        let names = browser
            .wait_until(
                "the payments of the month to be listed",
                "const cells = [...document.querySelectorAll('table.payments tbody td:first-child')]; \
                 return cells.length > 0 && cells.map(c => c.textContent);",
            )
            .await;
        let names: Vec<&str> = names.as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(names.contains(&"孙*"), "{names:?}");
        assert!(names.iter().all(|n| n.contains('*')), "an unmasked name: {names:?}");
        assert_phone_friendly(&browser, "the month").await;
        browser.screenshot("month").await;

        browser.click("header.site a[href='/public/lookup']").await;
        browser.type_into("#name", "孙玲").await;
        browser.type_into("#id", SUN_LING_ID).await;
        browser.click("form.lookup button").await;
        let rows = browser
            .wait_until(
                "the resident's own payments",
                "const rows = document.querySelectorAll('section.results tbody tr'); \
                 return rows.length > 0 && rows.length;",
            )
            .await;
        assert_eq!(rows, 2, "December and January are published");
        assert_phone_friendly(&browser, "查本人").await;
        browser.screenshot("lookup-found").await;

        browser.open(&app, "/public/lookup").await;
        browser.type_into("#name", "孙玲").await;
        browser.type_into("#id", "11010519491231002X").await;
        browser.click("form.lookup button").await;
        let told = browser
            .wait_until(
                "the answer for an ID without published payments",
                "const box = document.querySelector('section.results p.empty'); \
                 return box !== null && box.textContent;",
            )
            .await;
        assert!(told.as_str().unwrap().contains("没有查到"), "{told}");
        browser.screenshot("lookup-none").await;

        for (width, height, name) in [(1920, 1080, "desktop"), (3840, 2160, "4k")] {
            browser.fit_viewport(width, height).await;
            browser.open(&app, "/public/region/990102001000").await;
            browser.screenshot(name).await;
        }
        app.stop().await;
    })
    .await;
}
