//! The steward on a phone with a poor network: the village page opens without network
//! (the service worker's copy), commands done offline are kept as 待同步 across a
//! reload, then sent in order on reconnect with the keys they were made with; answers
//! lost on the way do not make the server do anything twice, and a command the town
//! overtook (409) is shown with the warning's new state.

use serde_json::{Value, json};

use super::cable::Cable;
use super::harness::Browser;
use super::village::{command, photo_bytes, wait_state};
use super::{png, wait_stale};
use crate::helpers::{TestApp, VILLAGE_LIUTANG, spawn_app};

const NOTE: &str = "已补签合同并张榜公示";

#[tokio::test]
async fn the_steward_works_offline_and_every_command_reaches_the_server_once() {
    let app = spawn_app().await;
    let only_acknowledged = app.raise_ok(VILLAGE_LIUTANG).await;
    let rectified = app.raise_ok(VILLAGE_LIUTANG).await;
    let overtaken = app.raise_ok(VILLAGE_LIUTANG).await;
    let photo_dir = tempfile::tempdir().unwrap();
    let photo = photo_dir.path().join("gongshi.png");
    let bytes = png::rgb(80, 60, |x, y| [200, (x * 3) as u8, (y * 4) as u8]);
    std::fs::write(&photo, &bytes).unwrap();
    let cable = Cable::to(&app.address).await;
    let page = format!("/screens/village/{VILLAGE_LIUTANG}");

    super::harness::with_browser("village-offline", |browser| async move {
        browser.fit_viewport(390, 844).await;
        browser.sign_in_at(&cable.address, "liutang").await;
        let ids = [only_acknowledged.as_str(), &rectified, &overtaken];
        kept_for_offline(&browser, &cable.address, &page, &ids).await;

        // No network: the page still opens, from the service worker's copy.
        cable.cut();
        browser.set_offline(true).await;
        browser.open_at(&cable.address, &page).await;
        browser
            .wait_until(
                "the tasks shown from the copy, marked offline",
                "return document.body.dataset.offline === 'true' \
                   && document.querySelectorAll('#tasks li[data-warning-id]').length === 3 \
                   && !document.getElementById('sync-bar').hidden;",
            )
            .await;
        browser.screenshot("offline-opened").await;

        // Three commands and a rectification with a photo, all without network.
        queue_command(&browser, &only_acknowledged, "acknowledge", 1).await;
        queue_command(&browser, &rectified, "acknowledge", 1).await;
        browser.type_into("textarea[name=\"note\"]", NOTE).await;
        let path = photo.to_str().expect("a UTF-8 temp path");
        browser
            .type_into("input[type=\"file\"][name=\"photos\"]", path)
            .await;
        browser.click("#submit-rectification").await;
        wait_pending(&browser, Some(&rectified), 2).await;
        queue_command(&browser, &overtaken, "acknowledge", 1).await;
        wait_pending(&browser, None, 4).await;
        super::public::assert_phone_friendly(&browser, "the queued tasks").await;
        browser.screenshot("queued").await;
        for id in [&only_acknowledged, &rectified, &overtaken] {
            let state = app.warning(id).await["state"].clone();
            assert!(state == "raised" || state == "notified", "nothing was sent: {state}");
        }

        // Meanwhile the town dismisses one of them.
        let town = app.login("qingxi").await;
        let reason = "经核实系数据误报";
        app.command_ok(
            &town,
            &overtaken,
            json!({"type": "dismiss", "reason": reason}),
        )
        .await;

        // The queue outlives a reload.
        browser.open_at(&cable.address, &page).await;
        wait_pending(&browser, None, 4).await;

        // Back online, but the answers are lost on the way: the first command is done and
        // the tablet does not hear of it, so it keeps it and resends it later.
        cable.lose_answers();
        browser.set_offline(false).await;
        wait_state(&app, &only_acknowledged, "acknowledged").await;
        wait_pending(&browser, None, 4).await;
        browser.screenshot("answers-lost").await;

        cable.connect();
        wait_pending(&browser, None, 0).await;
        let problem = "#sync-problems li[data-problem-warning]";
        let shown = browser
            .wait_until(
                "the overtaken command shown as refused, with the warning's new state",
                "const li = document.querySelector('#sync-problems li[data-problem-warning]'); \
                 return li && !li.parentElement.hidden \
                   && li.textContent.includes('已排除') && li.textContent.includes('签收') \
                   ? [li.dataset.problemWarning, li.dataset.state, li.textContent] : null;",
            )
            .await;
        assert_eq!(shown[0], json!(overtaken));
        assert_eq!(shown[1], "dismissed");
        assert!(shown[2].as_str().unwrap().contains(reason), "{shown}");
        browser
            .wait_until_with(
                "the tasks as the server now has them: submitted, and the dismissed one gone",
                "const li = document.querySelector(`#tasks li[data-warning-id=\"${arguments[0]}\"]`); \
                 return li !== null && li.dataset.pending === '0' && li.textContent.includes('待审核') \
                   && document.querySelector(`#tasks li[data-warning-id=\"${arguments[1]}\"]`) === null;",
                vec![json!(rectified), json!(overtaken)],
            )
            .await;
        browser.screenshot("synced").await;

        check_exactly_once(&app, &only_acknowledged, &rectified, &overtaken, &bytes).await;

        // The steward has read it: it goes.
        browser.click(&format!("{problem} button")).await;
        browser
            .wait_until(
                "the problem list to be empty and hidden",
                "return document.getElementById('sync-problems').hidden;",
            )
            .await;
        app.stop().await;
    })
    .await;
}

/// Waits until the service worker controls the page and has kept the page and every
/// task's detail; a page first controlled is loaded again, so its own reads go through
/// the worker too.
async fn kept_for_offline(browser: &Browser, base: &str, page: &str, ids: &[&str]) {
    browser
        .wait_until(
            "the service worker to control the page",
            "return navigator.serviceWorker.controller !== null;",
        )
        .await;
    browser.open_at(base, page).await;
    wait_stale(browser, false).await;
    let ids: Vec<Value> = ids.iter().map(|id| json!(id)).collect();
    browser
        .wait_until_with(
            "every task's detail and the page kept by the service worker",
            "return caches.keys().then(async names => { \
               if (!names.includes('qingfeng-data-v1') || !names.includes('qingfeng-shell-v1')) return false; \
               const kept = await (await caches.open('qingfeng-data-v1')).keys(); \
               const paths = kept.map(r => new URL(r.url).pathname); \
               return arguments[0].every(id => paths.includes('/api/warnings/' + id)); \
             });",
            vec![json!(ids)],
        )
        .await;
    browser.screenshot("online").await;
}

/// Opens a task and does `kind` on it without network; waits for the task to show
/// `pending` queued commands.
async fn queue_command(browser: &Browser, id: &str, kind: &str, pending: u64) {
    browser
        .click(&format!("li[data-warning-id=\"{id}\"]"))
        .await;
    browser
        .find(&format!("#detail h3[data-warning-id=\"{id}\"]"))
        .await;
    command(browser, kind).await;
    wait_pending(browser, Some(id), pending).await;
}

/// Waits until `id`'s task (or, with None, the whole 待同步 bar) counts `n` queued commands.
async fn wait_pending(browser: &Browser, id: Option<&str>, n: u64) {
    let (what, script) = match id {
        Some(_) => (
            format!("task {id:?} to show {n} queued"),
            "const li = document.querySelector(`#tasks li[data-warning-id=\"${arguments[0]}\"]`); \
             return li !== null && li.dataset.pending === String(arguments[1]);",
        ),
        None => (
            format!("the 待同步 bar to count {n}"),
            "return document.getElementById('sync-bar').dataset.pending === String(arguments[1]);",
        ),
    };
    browser
        .wait_until_with(&what, script, vec![json!(id), json!(n)])
        .await;
}

/// What the server holds: each command once, the photo once, nothing for the overtaken.
async fn check_exactly_once(
    app: &TestApp,
    acknowledged: &str,
    rectified: &str,
    overtaken: &str,
    photo: &[u8],
) {
    let kinds = |warning: &Value| -> Vec<String> {
        warning["history"]
            .as_array()
            .expect("a warning read has its history")
            .iter()
            .map(|event| event["kind"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let count = |kinds: &[String], kind: &str| kinds.iter().filter(|k| *k == kind).count();

    let first = app.warning(acknowledged).await;
    assert_eq!(
        count(&kinds(&first), "acknowledged"),
        1,
        "{:?}",
        kinds(&first)
    );

    let second = wait_state(app, rectified, "submitted").await;
    let history = kinds(&second);
    assert_eq!(count(&history, "acknowledged"), 1, "{history:?}");
    assert_eq!(count(&history, "rectification_submitted"), 1, "{history:?}");
    let submitted = second["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["kind"] == "rectification_submitted")
        .unwrap()
        .clone();
    assert_eq!(submitted["data"]["note"], NOTE);
    let attachments = submitted["data"]["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    assert_eq!(photo_bytes(app, &attachments[0]).await, photo);
    let (stored, _) = app
        .engine
        .store()
        .attachment_counts(rectified, "liutang", app.engine.now())
        .await
        .unwrap();
    assert_eq!(stored, 1, "the photo was stored once");

    let third = app.warning(overtaken).await;
    assert_eq!(third["state"], "dismissed");
    assert_eq!(count(&kinds(&third), "acknowledged"), 0);
}
