//! Browser tests: the screens in real headless Chromium against a real app, checked the
//! way a person at the wall sees them. See `harness` for how the browser is run and where
//! the screenshots go.

mod artifacts;
mod audit;
mod cable;
mod city;
mod county;
mod evidence;
mod harness;
mod ledger;
mod login;
mod notifications;
mod offline;
mod png;
mod public;
mod publish;
mod report;
mod village;

use serde_json::json;

use harness::Browser;

/// Waits until the screen says it is live (connected and current) or stale.
async fn wait_stale(browser: &Browser, stale: bool) {
    let want = if stale { "true" } else { "false" };
    browser
        .wait_until_with(
            &format!("document.body.dataset.stale to be {want}"),
            "return document.body && document.body.dataset.stale === arguments[0]",
            vec![json!(want)],
        )
        .await;
}

/// Waits until the counter `#count-{colour}` shows `n` (the first number in its text, so
/// a unit such as 条 may follow).
async fn wait_count(browser: &Browser, colour: &str, n: u64) {
    browser
        .wait_until_with(
            &format!("#count-{colour} to show {n}"),
            "const e = document.getElementById('count-' + arguments[0]); \
             const m = e && e.textContent.replace(/[,\\s]/g, '').match(/\\d+/); \
             return m !== null && Number(m[0]) === arguments[1];",
            vec![json!(colour), json!(n)],
        )
        .await;
}

/// Waits until the map region `code` has `data-level` `level`; None means no open
/// warning, which the screens mark as `data-level="none"` (an absent attribute is
/// accepted too).
async fn wait_level(browser: &Browser, code: &str, level: Option<&str>) {
    browser
        .wait_until_with(
            &format!("map region {code} to have data-level {level:?}"),
            "const p = document.querySelector(`path.region[data-code=\"${arguments[0]}\"]`); \
             if (p === null) return false; \
             const level = p.getAttribute('data-level'); \
             return arguments[1] === null ? level === null || level === 'none' : level === arguments[1];",
            vec![json!(code), json!(level)],
        )
        .await;
}

/// Marks the loaded document; `assert_not_reloaded` fails if the page was reloaded since,
/// which would make "changed without a reload" meaningless.
async fn mark_document(browser: &Browser) {
    browser
        .eval(
            "window.__qingfengTestMark = 'loaded once'; return true;",
            vec![],
        )
        .await;
}

async fn assert_not_reloaded(browser: &Browser) {
    let mark = browser
        .eval("return window.__qingfengTestMark || null;", vec![])
        .await;
    assert_eq!(mark, json!("loaded once"), "the page was reloaded");
}

/// Narrows the window to a 390×844 phone and checks that an office page (ledger,
/// notifications, audit, publish) flows in it: `body.phone`, no sideways scrolling, 16-px
/// text and 44-px targets, and the table cell `cell` shown as a card line of at least
/// 14-px text after its column's name `label`.
async fn assert_office_page_fits_a_phone(browser: &Browser, page: &str, cell: &str, label: &str) {
    browser.fit_viewport(390, 844).await;
    browser
        .wait_until(
            "the phone layout",
            "return document.body.classList.contains('phone')",
        )
        .await;
    let sideways = browser
        .eval(
            "return document.documentElement.scrollWidth <= innerWidth",
            vec![],
        )
        .await;
    assert_eq!(sideways, true, "{page} scrolls sideways on a phone");
    public::assert_phone_friendly(browser, page).await;
    let shown = browser
        .eval(
            "const td = document.querySelector(arguments[0]); \
             if (td === null) return null; \
             return {size: parseFloat(getComputedStyle(td).fontSize), \
                     label: td.dataset.label, before: getComputedStyle(td, '::before').content};",
            vec![json!(cell)],
        )
        .await;
    let size = shown["size"]
        .as_f64()
        .unwrap_or_else(|| panic!("{page}: no cell {cell}: {shown}"));
    assert!(size >= 14.0, "{page}: {cell} is set in {size} px");
    assert_eq!(shown["label"], json!(label), "{page}: {cell}'s column name");
    assert_eq!(
        shown["before"],
        json!(format!("\"{label}\"")),
        "{page}: {cell}'s card line"
    );
}
