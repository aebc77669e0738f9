//! The city cockpit `/screens/city` in a real browser: live counts and map colours from
//! commands sent through the API, drilling down to a town and back, and riding out a
//! server restart.

use chrono::Duration;
use qingfeng::clock::ManualClock;

use super::harness::with_browser;
use super::{assert_not_reloaded, mark_document, wait_count, wait_level, wait_stale};
use crate::helpers::{
    TOWN_QINGXI, TOWN_TAOYUAN, VILLAGE_LIUTANG, VILLAGE_SHIMEN, spawn_app, spawn_app_at,
    spawn_app_on, start_time,
};

/// A village of 桃源镇, whose warnings colour that town.
const VILLAGE_FENGLIN: &str = "990102101201";

/// The steward rectifies and the town office verifies: the warning turns yellow.
#[tokio::test]
async fn the_city_wall_shows_commands_in_its_counts_and_map_without_a_reload() {
    let app = spawn_app().await;
    let wall = app.login("wall").await;
    with_browser("city-live", |browser| async move {
        browser
            .open(&app, &format!("/screens/city?token={wall}"))
            .await;
        assert_eq!(
            browser.cookie("qingfeng_token").await.as_deref(),
            Some(wall.as_str()),
            "the screen keeps its token in the qingfeng_token cookie"
        );
        wait_stale(&browser, false).await;
        wait_count(&browser, "red", 0).await;
        wait_level(&browser, TOWN_QINGXI, None).await;
        mark_document(&browser).await;
        browser.screenshot("quiet").await;

        let liutang = app.raise_ok(VILLAGE_LIUTANG).await;
        app.raise_ok(VILLAGE_FENGLIN).await;
        wait_count(&browser, "red", 2).await;
        wait_level(&browser, TOWN_QINGXI, Some("red")).await;
        wait_level(&browser, TOWN_TAOYUAN, Some("red")).await;
        browser.screenshot("two-raised").await;

        app.rectify_and_verify(&liutang).await;
        wait_count(&browser, "red", 1).await;
        wait_count(&browser, "yellow", 1).await;
        wait_level(&browser, TOWN_QINGXI, Some("yellow")).await;
        wait_level(&browser, TOWN_TAOYUAN, Some("red")).await;
        browser.screenshot("one-verified").await;

        // 桃源's warning misses its seven-day deadline; 青溪's is in observation.
        app.clock.advance(Duration::days(8));
        assert_eq!(app.step_scheduler().await.fired, 1);
        wait_count(&browser, "overdue", 1).await;
        wait_count(&browser, "red", 1).await;
        browser.screenshot("one-overdue").await;
        assert_not_reloaded(&browser).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_city_map_drills_down_to_a_towns_villages_and_back() {
    let app = spawn_app().await;
    let wall = app.login("wall").await;
    app.raise_ok(VILLAGE_LIUTANG).await;
    with_browser("city-drill-down", |browser| async move {
        // Signed in once by token; the cookie alone signs the screen in afterwards.
        browser
            .open(&app, &format!("/screens/city?token={wall}"))
            .await;
        browser.open(&app, "/screens/city").await;
        wait_stale(&browser, false).await;
        wait_level(&browser, TOWN_QINGXI, Some("red")).await;
        wait_level(&browser, TOWN_TAOYUAN, None).await;
        browser.screenshot("towns").await;

        let town = format!("path.region[data-code=\"{TOWN_QINGXI}\"]");
        browser.click_shape(&town).await;
        wait_level(&browser, VILLAGE_LIUTANG, Some("red")).await;
        wait_level(&browser, VILLAGE_SHIMEN, None).await;
        assert_eq!(
            browser.count("path.region[data-code$=\"000\"]").await,
            0,
            "the drilled-down map shows villages, not towns"
        );
        browser.screenshot("qingxi-villages").await;

        browser.click("#map-back").await;
        wait_level(&browser, TOWN_TAOYUAN, None).await;
        wait_level(&browser, TOWN_QINGXI, Some("red")).await;
        assert_eq!(
            browser
                .count(&format!("path.region[data-code=\"{VILLAGE_LIUTANG}\"]"))
                .await,
            0,
            "back on the towns, the villages are gone"
        );
        browser.screenshot("back-to-towns").await;

        // On a 4K wall the same stage is drawn at twice the size, filling the screen, and
        // the map still answers a click.
        browser.fit_viewport(3840, 2160).await;
        let stage = browser
            .wait_until(
                "the stage scaled to 3840×2160",
                "const r = document.getElementById('stage').getBoundingClientRect(); \
                 return Math.round(r.width) === 3840 && Math.round(r.height) === 2160 \
                     ? `${Math.round(r.left)},${Math.round(r.top)}` : null;",
            )
            .await;
        assert_eq!(stage, "0,0", "the stage fills the 4K window");
        browser.screenshot("4k").await;
        browser.click_shape(&town).await;
        wait_level(&browser, VILLAGE_LIUTANG, Some("red")).await;
        browser.screenshot("4k-qingxi-villages").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_city_wall_marks_itself_stale_across_a_restart_then_reconnects_and_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("surrealkv://{}", dir.path().join("db").display());
    let clock = ManualClock::new(start_time());
    let app = spawn_app_on(&store, clock.clone()).await;
    let address = app
        .address
        .trim_start_matches("http://")
        .parse()
        .expect("the app's address is ip:port");
    let wall = app.login("wall").await;
    app.raise_ok(VILLAGE_LIUTANG).await;
    with_browser("city-restart", |browser| async move {
        browser
            .open(&app, &format!("/screens/city?token={wall}"))
            .await;
        wait_stale(&browser, false).await;
        wait_count(&browser, "red", 1).await;
        mark_document(&browser).await;
        browser.screenshot("live").await;

        app.stop().await;
        wait_stale(&browser, true).await;
        browser.screenshot("stale").await;

        let app = spawn_app_at(&store, clock, address).await;
        wait_stale(&browser, false).await;
        app.raise_ok(VILLAGE_FENGLIN).await;
        wait_count(&browser, "red", 2).await;
        wait_level(&browser, TOWN_QINGXI, Some("red")).await;
        wait_level(&browser, TOWN_TAOYUAN, Some("red")).await;
        browser.screenshot("caught-up").await;
        assert_not_reloaded(&browser).await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_wall_whose_token_is_signed_out_goes_to_sign_in_instead_of_reconnecting() {
    let app = spawn_app().await;
    let token = app.new_session("wall").await;
    with_browser("city-signed-out", |browser| async move {
        browser
            .open(&app, &format!("/screens/city?token={token}"))
            .await;
        wait_stale(&browser, false).await;
        // Counts the sockets the page opens from now on, where the sign-in page can read
        // them (a tab's session storage outlives the page).
        let count_reconnects = "window.WebSocket = class extends window.WebSocket { \
             constructor(...args) { super(...args); \
             const n = Number(sessionStorage.getItem('reconnects') || 0); \
             sessionStorage.setItem('reconnects', String(n + 1)); } };";
        browser.eval(count_reconnects, vec![]).await;
        assert_eq!(app.logout(&token).await, 204);
        // The stream closes with 4001 and the page leaves for the sign-in page, asking to
        // come back to the wall afterwards, without trying to reconnect first.
        browser
            .wait_until(
                "the sign-in page, to return to /screens/city",
                "return location.pathname === '/screens/' \
                 && new URLSearchParams(location.search).get('next') === '/screens/city';",
            )
            .await;
        let reconnects = "return sessionStorage.getItem('reconnects');";
        assert_eq!(
            browser.eval(reconnects, vec![]).await,
            serde_json::Value::Null
        );
        browser.screenshot("sign-in").await;
        app.stop().await;
    })
    .await;
}
