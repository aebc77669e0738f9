//! The ledger's half of the screens in a real browser: the city wall's 监督成效 funnel moves
//! live when a town office records a return; the town office records an outcome and a
//! return through its forms and finds them in the ledger; a supervision notice prints to
//! PDF on one A4 page.

use base64::Engine as _;
use serde_json::{Value, json};

use super::artifacts::artifacts_dir;
use super::harness::{Browser, with_browser};
use super::{mark_document, wait_stale};
use crate::helpers::{TOWN_QINGXI, VILLAGE_LIUTANG, spawn_app};

fn outcome(people: u32, fen: i64) -> Value {
    json!({"type": "record_outcome", "finding": "substantiated", "handling": ["criticism"],
           "people": people, "amount_due_fen": fen, "note": "已处理"})
}

/// Waits until `#id` reads `text`.
async fn wait_text(browser: &Browser, id: &str, text: &str) {
    browser
        .wait_until_with(
            &format!("#{id} to read {text}"),
            "const e = document.getElementById(arguments[0]); \
             return e !== null && e.textContent.trim() === arguments[1];",
            vec![json!(id), json!(text)],
        )
        .await;
}

#[tokio::test]
async fn the_city_walls_funnel_moves_when_a_town_office_records_a_return() {
    let app = spawn_app().await;
    let town = app.login("qingxi").await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    app.rectify_and_verify(&id).await;
    app.command_ok(&town, &id, outcome(2, 500_000)).await;
    let wall = app.login("wall").await;
    with_browser("ledger-funnel", |browser| async move {
        browser.fit_viewport(1920, 1080).await;
        browser
            .open(&app, &format!("/screens/city?token={wall}"))
            .await;
        wait_stale(&browser, false).await;
        wait_text(&browser, "funnel-raised", "1").await;
        wait_text(&browser, "funnel-true", "1").await;
        wait_text(&browser, "funnel-people", "2").await;
        wait_text(&browser, "funnel-recovered", "0").await;
        mark_document(&browser).await;
        browser.screenshot("before").await;

        // ¥1,234 of the ¥5,000 owed; the wall shows whole 元.
        let recovery = json!({"type": "record_recovery", "amount_fen": 123_400,
                              "date": "2026-03-01", "receipt": "TJ-0001"});
        app.command_ok(&town, &id, recovery).await;
        wait_text(&browser, "funnel-recovered", "1,234").await;
        let row = browser
            .eval(
                "const r = document.querySelector(`#funnel-towns tr[data-code=\"${arguments[0]}\"]`); \
                 return r && [...r.cells].map(c => c.textContent).join('|');",
                vec![json!(TOWN_QINGXI)],
            )
            .await;
        assert_eq!(row, json!("青溪镇|1|1|2|1,234"));
        super::assert_not_reloaded(&browser).await;
        browser.screenshot("after-return").await;
        browser.fit_viewport(3840, 2160).await;
        browser.screenshot("after-return-4k").await;
        browser.fit_viewport(390, 844).await;
        browser.screenshot("after-return-phone").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_town_office_records_an_outcome_and_a_return_and_finds_them_in_the_ledger() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    app.rectify_and_verify(&id).await;
    with_browser("ledger-forms", |browser| async move {
        browser.fit_viewport(1920, 1080).await;
        browser.sign_in(&app, "qingxi").await;
        browser
            .open(&app, &format!("/screens/town/{TOWN_QINGXI}?warning={id}"))
            .await;
        browser.click("button[data-command=\"record_outcome\"]").await;
        browser.find("#outcome-dialog select[name=finding]").await;
        browser
            .eval(
                "const d = document.getElementById('outcome-dialog'); \
                 d.querySelector('select[name=finding]').value = 'substantiated'; \
                 d.querySelector('input[value=admonition]').checked = true; \
                 d.querySelector('input[name=people]').value = '3'; \
                 d.querySelector('input[name=amount]').value = '8800.5'; \
                 return true;",
                vec![],
            )
            .await;
        browser.screenshot("outcome-dialog").await;
        browser.click("#outcome-dialog-confirm").await;
        browser
            .wait_until(
                "the outcome to be shown",
                "const o = document.querySelector('div.outcome'); \
                 return o !== null && o.textContent.includes('诫勉谈话') \
                   && o.textContent.includes('8,800.50 / 0.00 元');",
            )
            .await;
        browser.click("button[data-command=\"record_recovery\"]").await;
        browser.find("#recovery-dialog input[name=receipt]").await;
        browser
            .eval(
                "const d = document.getElementById('recovery-dialog'); \
                 d.querySelector('input[name=amount]').value = '800.5'; \
                 d.querySelector('input[name=date]').value = '2026-03-01'; \
                 d.querySelector('input[name=receipt]').value = 'TJ-77'; \
                 return true;",
                vec![],
            )
            .await;
        browser.click("#recovery-dialog-confirm").await;
        browser
            .wait_until(
                "the return to be listed",
                "const r = document.querySelector('ul.recoveries li'); \
                 return r !== null && r.textContent.includes('800.50') && r.textContent.includes('TJ-77');",
            )
            .await;
        browser.screenshot("recorded").await;
        let case = app.warning(&id).await["case"].clone();
        assert_eq!(case["people"], 3);
        assert_eq!(case["amount_due_fen"], 880_050);
        assert_eq!(case["recovered_fen"], 80_050);

        browser.open(&app, "/screens/ledger").await;
        let row = browser
            .wait_until_with(
                "the warning's row in the ledger",
                "const r = document.querySelector(`tbody tr[data-id=\"${arguments[0]}\"]`); \
                 return r ? r.textContent : false;",
                vec![json!(id)],
            )
            .await;
        let row = row.as_str().unwrap().to_owned();
        assert!(row.contains("属实") && row.contains("诫勉谈话"), "{row}");
        assert!(row.contains("8,800.50 / 800.50"), "{row}");
        browser.screenshot("ledger").await;
        browser.click(&format!("tr[data-id=\"{id}\"] a.warning-link")).await;
        browser
            .wait_until(
                "the warning to open on its town's screen",
                "const o = document.querySelector('div.outcome'); \
                 return o !== null && o.textContent.includes('TJ-77');",
            )
            .await;
        browser.open(&app, "/screens/ledger").await;
        browser.find("tbody tr[data-id]").await;
        browser.fit_viewport(3840, 2160).await;
        browser.screenshot("ledger-4k").await;
        // The warning's link was followed: it keeps the wall's link colour (a computed
        // style never tells visited apart; the screenshots show it).
        let colour = browser
            .eval(
                "return getComputedStyle(document.querySelector('a.warning-link')).color",
                vec![],
            )
            .await;
        assert_eq!(colour, json!("rgb(127, 211, 255)"));
        super::assert_office_page_fits_a_phone(
            &browser,
            "the ledger",
            &format!("tr[data-id=\"{id}\"] td:nth-child(3)"),
            "问题类型",
        )
        .await;
        browser.screenshot("ledger-phone").await;
        browser
            .eval(
                "document.querySelector('tbody tr[data-id]').scrollIntoView(); return true;",
                vec![],
            )
            .await;
        browser.screenshot("ledger-phone-card").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_supervision_notice_prints_on_one_a4_page() {
    let app = spawn_app().await;
    let town = app.login("qingxi").await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    // Urging is for a warning under secondary supervision: past its deadline.
    app.clock.advance(chrono::Duration::days(8));
    app.step_scheduler().await;
    let urged = app
        .command_ok(
            &town,
            &id,
            json!({"type": "urge", "note": "请于期限内完成整改并报送材料"}),
        )
        .await;
    let url = urged["notices"][0]["url"].as_str().unwrap().to_owned();
    with_browser("notice-print", |browser| async move {
        browser.fit_viewport(1920, 1080).await;
        browser.sign_in(&app, "qingxi").await;
        browser.open(&app, &url).await;
        browser
            .wait_until(
                "the notice to be shown",
                "return document.body.textContent.includes('催办通知书');",
            )
            .await;
        browser.screenshot("notice").await;
        let pdf = print_to_pdf(&browser).await;
        let path = artifacts_dir().join("notice-print.pdf");
        std::fs::write(&path, &pdf).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF: {}", path.display());
        assert_eq!(pdf_pages(&pdf), 1, "pages in {}", path.display());
        browser.fit_viewport(390, 844).await;
        browser.screenshot("notice-phone").await;
        app.stop().await;
    })
    .await;
}

/// Prints the page with WebDriver's Print Page command (A4, backgrounds as the print
/// stylesheet has them) and returns the PDF.
async fn print_to_pdf(browser: &Browser) -> Vec<u8> {
    let session = browser.client.session_id().await.unwrap().unwrap();
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/session/{session}/print", browser.driver_url))
        .json(&json!({"page": {"width": 21.0, "height": 29.7}, "background": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let encoded = answer["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no PDF: {answer}"));
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap()
}

/// The page count of Chromium's PDF: its page objects (`/Type /Page`, not the page tree's
/// `/Type /Pages`), which Skia writes uncompressed.
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf).replace("/Type/", "/Type /");
    text.match_indices("/Type /Page")
        .filter(|(at, found)| !text[at + found.len()..].starts_with('s'))
        .count()
}
