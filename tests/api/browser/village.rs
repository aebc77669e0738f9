//! The village steward's tablet `/screens/village/{code}` in a real browser: a task is
//! acknowledged, taken into rectification and submitted with a note and a photo, and the
//! API then shows the submission with the photo in the warning's history.

use std::time::Instant;

use serde_json::Value;

use super::harness::{Browser, PATIENCE, with_browser};
use super::{png, wait_stale};
use crate::helpers::{TestApp, VILLAGE_LIUTANG, spawn_app};

const NOTE: &str = "已召开村民代表会议，补签承包合同并公示";

/// Polls the warning through the API until it is in `state`, and returns it.
pub(super) async fn wait_state(app: &TestApp, id: &str, state: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let warning = app.warning(id).await;
        if warning["state"] == state {
            return warning;
        }
        assert!(
            Instant::now() < deadline,
            "waited {} s for warning {id} to be {state}; it is {}",
            PATIENCE.as_secs(),
            warning["state"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Signs the steward of 柳塘村 in on the sign-in page, waits for the tablet to be live, and
/// returns the selector of the task for warning `id`, once it is listed.
async fn open_task(browser: &Browser, app: &TestApp, id: &str) -> String {
    browser.sign_in(app, "liutang").await;
    let path = format!("/screens/village/{VILLAGE_LIUTANG}");
    assert_eq!(
        browser.eval("return location.pathname", vec![]).await,
        path.as_str(),
        "the steward's sign-in leads to the village tablet"
    );
    wait_stale(browser, false).await;
    let task = format!("li[data-warning-id=\"{id}\"]");
    browser.find(&task).await;
    task
}

#[tokio::test]
async fn the_village_tablet_submits_a_rectification_with_a_note_and_a_photo() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    let photo_dir = tempfile::tempdir().unwrap();
    let photo = photo_dir.path().join("contract.png");
    let bytes = png::rgb(96, 64, |x, y| [(x * 2) as u8, (y * 3) as u8, 160]);
    std::fs::write(&photo, &bytes).unwrap();

    with_browser("village-rectify", |browser| async move {
        let task = open_task(&browser, &app, &id).await;
        browser.screenshot("tasks").await;

        browser.click(&task).await;
        command(&browser, "acknowledge").await;
        wait_state(&app, &id, "acknowledged").await;
        browser.screenshot("acknowledged").await;

        command(&browser, "start_rectification").await;
        wait_state(&app, &id, "rectifying").await;
        browser.screenshot("rectifying").await;

        // The rectification form is on the task's page while a submission is allowed.
        browser.type_into("textarea[name=\"note\"]", NOTE).await;
        browser
            .type_into(
                "input[type=\"file\"][name=\"photos\"]",
                photo.to_str().expect("a UTF-8 temp path"),
            )
            .await;
        browser.screenshot("form-filled").await;
        browser.click("#submit-rectification").await;

        let warning = wait_state(&app, &id, "submitted").await;
        // The task's history on the tablet shows the photo, loaded back from the server.
        browser
            .wait_until(
                "the submitted photo in the task's history, decoded at 96×64",
                "const img = document.querySelector( \
                   '#detail li[data-kind=\"rectification_submitted\"] img'); \
                 if (!img) return false; \
                 img.scrollIntoView({block: 'center'}); \
                 return img.complete && img.naturalWidth === 96 && img.naturalHeight === 64;",
            )
            .await;
        browser.screenshot("submitted").await;
        let submitted = warning["history"]
            .as_array()
            .expect("a warning read has its history")
            .iter()
            .find(|event| event["kind"] == "rectification_submitted")
            .unwrap_or_else(|| panic!("no rectification_submitted in {}", warning["history"]))
            .clone();
        assert_eq!(submitted["data"]["note"], NOTE);
        assert_eq!(submitted["actor"], "liutang");
        let attachments = submitted["data"]["attachments"]
            .as_array()
            .expect("the submission lists its attachments");
        assert_eq!(attachments.len(), 1, "one photo: {attachments:?}");
        let stored = photo_bytes(&app, &attachments[0]).await;
        assert_eq!(stored, bytes, "the stored photo is the one uploaded");

        // Signing out on the tablet ends the token itself, not only this browser's cookie.
        let session = browser
            .cookie("qingfeng_token")
            .await
            .expect("the sign-in set the session cookie");
        browser.click("#logout").await;
        browser
            .wait_until(
                "the sign-in page after signing out",
                "return location.pathname === '/screens/';",
            )
            .await;
        browser.screenshot("signed-out").await;
        assert_eq!(
            browser.cookie("qingfeng_token").await,
            None,
            "the cookie is gone"
        );
        let me = app.get(&session, "/api/auth/me").await;
        assert_eq!(me.status(), 401, "a signed-out token no longer works");
        app.stop().await;
    })
    .await;
}

/// Taps a task's command button and confirms it in the dialog that asks for a note.
pub(super) async fn command(browser: &Browser, kind: &str) {
    browser
        .click(&format!("#detail button[data-command=\"{kind}\"]"))
        .await;
    browser
        .find(&format!("#command-dialog[data-command=\"{kind}\"]"))
        .await;
    browser.screenshot(&format!("{kind}-dialog")).await;
    browser.click("#command-confirm").await;
    browser
        .wait_until(
            &format!("the {kind} dialog to close"),
            "return document.getElementById('command-dialog') === null",
        )
        .await;
}

/// The bytes behind an attachment reference, fetched as the city office.
pub(super) async fn photo_bytes(app: &TestApp, attachment: &Value) -> Vec<u8> {
    let reference = attachment
        .as_str()
        .unwrap_or_else(|| panic!("an attachment is a reference string, not {attachment}"));
    let path = if reference.starts_with('/') {
        reference.to_string()
    } else {
        format!("/api/attachments/{reference}")
    };
    let token = app.login("city").await;
    let response = app.get(&token, &path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    let kind = response.headers()[reqwest::header::CONTENT_TYPE].clone();
    assert_eq!(kind, "image/png", "the photo is served as a PNG");
    response.bytes().await.unwrap().to_vec()
}

/// A yellow reminder on the tablet: labelled 到期提醒 with its reminder deadline, closed
/// by the steward with the 办结提醒 button and a ready-made note.
#[tokio::test]
async fn the_village_tablet_closes_a_yellow_reminder() {
    use qingfeng::domain::region::RegionCode;
    use qingfeng::engine::{FindingOutcome, RuleFinding};
    use qingfeng::workflow::Severity;

    let app = spawn_app().await;
    let finding = RuleFinding {
        rule: "lease_expiring".into(),
        subject: "contract:HT-2021-007".into(),
        region: RegionCode::parse(VILLAGE_LIUTANG).unwrap(),
        title: "合同即将到期未重新发包".into(),
        summary: "合同HT-2021-007（西山林地）将于2026-04-30到期".into(),
        evidence: serde_json::json!({}),
        severity: Severity::Low,
        deadline_days: 60,
        reminder: true,
    };
    let FindingOutcome::Raised(id) = app.engine.apply_finding(finding).await.unwrap() else {
        panic!("a new subject raises a reminder");
    };

    with_browser("village-reminder", |browser| async move {
        let task = open_task(&browser, &app, &id).await;
        browser
            .wait_until_with(
                "the reminder task labelled 到期提醒 and yellow",
                "const li = document.querySelector(arguments[0]); \
                 return li !== null && li.dataset.level === 'yellow' \
                   && li.textContent.includes('到期提醒');",
                vec![serde_json::json!(task)],
            )
            .await;
        browser.click(&task).await;
        browser
            .wait_until(
                "the reminder's deadline and its close button",
                "const d = document.getElementById('detail'); \
                 return d.textContent.includes('提醒期限') \
                   && d.querySelector('button[data-command=\"close_reminder\"]') !== null \
                   && d.querySelector('button[data-command=\"close_reminder\"]').textContent === '办结提醒';",
            )
            .await;
        browser.screenshot("reminder").await;
        browser
            .click("#detail button[data-command=\"close_reminder\"]")
            .await;
        browser
            .find("#command-dialog[data-command=\"close_reminder\"]")
            .await;
        browser.click("#command-dialog .chips button").await;
        browser.screenshot("close-reminder-dialog").await;
        browser.click("#command-confirm").await;
        let closed = wait_state(&app, &id, "closed").await;
        assert_eq!(closed["level"], "green");
        assert_eq!(closed["last_reason"], "已安排重新公开发包");
        browser
            .wait_until_with(
                "the closed reminder to leave the task list",
                "return document.querySelector(arguments[0]) === null;",
                vec![serde_json::json!(task)],
            )
            .await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_village_page_is_one_readable_column_on_a_phone() {
    let app = spawn_app().await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    with_browser("village-phone", |browser| async move {
        browser.fit_viewport(390, 844).await;
        let task = open_task(&browser, &app, &id).await;
        assert_eq!(
            browser
                .eval("return document.body.classList.contains('phone')", vec![])
                .await,
            true
        );
        super::public::assert_phone_friendly(&browser, "the task list").await;
        browser.screenshot("tasks").await;

        browser.click(&task).await;
        browser
            .find("#detail button[data-command='acknowledge']")
            .await;
        let stacked = browser
            .eval(
                "const [list, detail] = document.querySelectorAll('main.wall > section.panel'); \
                 return detail.getBoundingClientRect().top >= list.getBoundingClientRect().bottom;",
                vec![],
            )
            .await;
        assert_eq!(stacked, true, "the detail is below the list");
        super::public::assert_phone_friendly(&browser, "the task's detail").await;
        browser.screenshot("detail").await;
        command(&browser, "acknowledge").await;
        wait_state(&app, &id, "acknowledged").await;
        browser.screenshot("acknowledged").await;
        app.stop().await;
    })
    .await;
}
