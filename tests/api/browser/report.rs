//! 我要反映 on a phone (390×844) in a real browser: a resident files a report with a photo,
//! gets a receipt code, the town office replies and closes it, and the receipt page shows
//! 已办结 with the reply.

use std::sync::Arc;

use chrono::Duration;
use qingfeng::clock::ManualClock;
use serde_json::{Value, json};

use super::harness::with_browser;
use super::png;
use super::public::assert_phone_friendly;
use crate::helpers::{VILLAGE_LIUTANG, spawn_app_with, start_time};

const TEXT: &str = "村里修路的钱没有公示，施工队是村主任的亲戚";
const REPLY: &str = "经核查，已责令村委会公示修路资金并重新招标";

#[tokio::test]
async fn a_resident_files_a_report_and_reads_the_offices_reply_on_the_receipt_page() {
    let forms = ManualClock::new(start_time());
    let session = forms.clone();
    let app = spawn_app_with(move |config| config.session_clock = Arc::new(session)).await;
    let photo_dir = tempfile::tempdir().unwrap();
    let photo = photo_dir.path().join("road.png");
    std::fs::write(
        &photo,
        png::rgb(64, 48, |x, y| [(x * 3) as u8, 90, (y * 4) as u8]),
    )
    .unwrap();

    with_browser("public-report", |browser| async move {
        browser.fit_viewport(390, 844).await;
        browser
            .open(&app, &format!("/public/report?region={VILLAGE_LIUTANG}"))
            .await;
        assert_eq!(
            browser
                .eval("return document.getElementById('region').value", vec![])
                .await,
            VILLAGE_LIUTANG,
            "the village it was opened for is chosen"
        );
        assert_phone_friendly(&browser, "我要反映").await;
        browser.screenshot("form").await;

        browser
            .click("input[name='category'][value='favouritism']")
            .await;
        browser.type_into("#text", TEXT).await;
        browser.type_into("#phone", "13912345678").await;
        browser.type_into("#photo", photo.to_str().unwrap()).await;
        // The resident works out the sum the form asks.
        let answer = browser
            .eval(
                "const q = document.querySelector('label[for=answer]').textContent; \
                 const d = '零一二三四五六七八九'; \
                 const n = [...q].map(c => d.indexOf(c)).filter(i => i >= 0); \
                 return String(n[0] + n[1]);",
                vec![],
            )
            .await;
        browser.type_into("#answer", answer.as_str().unwrap()).await;
        forms.advance(Duration::seconds(40));
        browser.screenshot("filled").await;
        browser.click("form.lookup button[type='submit']").await;
        let receipt = browser
            .wait_until(
                "the receipt code",
                "const r = document.getElementById('receipt'); return r !== null && r.textContent;",
            )
            .await;
        let receipt = receipt.as_str().unwrap().to_string();
        assert_eq!(receipt.len(), 16);
        assert_phone_friendly(&browser, "the receipt").await;
        browser.screenshot("receipt").await;

        let town = app.login("qingxi").await;
        let list = app
            .get_json(&town, "/api/warnings?rule=public_report")
            .await;
        let id = list["items"][0]["id"].as_str().unwrap().to_string();
        let reports: Value = app
            .get_json(&town, &format!("/api/warnings/{id}/reports"))
            .await;
        assert_eq!(reports["reports"][0]["phone"], "139****5678");
        assert!(reports["reports"][0]["photo"].is_string());
        app.command_ok(&town, &id, json!({"type": "reply_publicly", "text": REPLY}))
            .await;
        app.command_ok(&town, &id, json!({"type": "dismiss", "reason": "已纠正"}))
            .await;

        browser
            .open(&app, &format!("/public/report/{receipt}"))
            .await;
        let shown = browser
            .eval(
                "return [document.querySelector('ol.progress li.current').textContent, \
                         document.getElementById('reply').textContent];",
                vec![],
            )
            .await;
        assert_eq!(shown, json!(["已办结", REPLY]));
        browser.screenshot("answered").await;
        app.stop().await;
    })
    .await;
}
