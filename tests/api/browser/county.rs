//! A real county on its official division codes (杞县, `seeds/real/qixian-410221.csv`)
//! with no boundary file: the county wall draws its 22 towns and streets as generated
//! tiles carrying their codes, coloured by their worst open warning, and drills down by a
//! click to a town's villages, also tiles.

use serde_json::json;

use super::harness::with_browser;
use super::{wait_level, wait_stale};
use crate::helpers::{TestApp, spawn_app_on_real_tree};

const COUNTY: &str = "410221000000";
/// 五里河镇, and 史庄村 in it (the village of the article).
const WULIHE: &str = "410221101000";
const SHIZHUANG: &str = "410221101201";

async fn county_app() -> TestApp {
    let app = spawn_app_on_real_tree("qixian-410221.csv").await;
    app.add_user("qixian-office", "city_office", COUNTY).await;
    app.add_user("qixian-wall", "display", COUNTY).await;
    app.add_user("shizhuang", "village_steward", SHIZHUANG)
        .await;
    app
}

#[tokio::test]
async fn a_county_without_boundary_files_gets_tile_maps_that_drill_down() {
    let app = county_app().await;
    let office = app.login("qixian-office").await;
    let raised = app.raise(&office, SHIZHUANG, "high").await;
    assert_eq!(raised.status(), 201, "{}", raised.text().await.unwrap());
    let wall = app.login("qixian-wall").await;

    with_browser("county-tiles", |browser| async move {
        browser
            .open(&app, &format!("/screens/city?token={wall}"))
            .await;
        wait_stale(&browser, false).await;
        wait_level(&browser, WULIHE, Some("red")).await;
        let towns = browser.count("path.region.tile").await;
        assert_eq!(towns, 22, "22 towns and streets, each a tile");
        let digits = browser
            .eval(
                "return [...document.querySelectorAll('text.tile.code')].map(t => t.textContent);",
                vec![],
            )
            .await;
        let digits: Vec<String> = serde_json::from_value(digits).unwrap();
        assert!(digits.contains(&"101".to_string()), "{digits:?}");
        assert_tiles_apart(&browser).await;
        browser.screenshot("county-1920").await;

        browser
            .click_shape(&format!("path.region[data-code=\"{WULIHE}\"]"))
            .await;
        wait_level(&browser, SHIZHUANG, Some("red")).await;
        let villages = browser.count("path.region.tile").await;
        assert!(villages > 20, "五里河镇's villages as tiles: {villages}");
        assert_eq!(
            browser.count("path.region[data-code$=\"000\"]").await,
            0,
            "the drilled-down map shows villages, not towns"
        );
        assert_tiles_apart(&browser).await;
        browser.screenshot("town-1920").await;

        browser.fit_viewport(3840, 2160).await;
        browser.click("#map-back").await;
        wait_level(&browser, WULIHE, Some("red")).await;
        browser.screenshot("county-4k").await;

        // 史庄村's steward, on a phone, sees the task in one readable column.
        browser.fit_viewport(390, 844).await;
        browser.click("#logout").await;
        browser.sign_in(&app, "shizhuang").await;
        wait_stale(&browser, false).await;
        browser.find("#tasks li[data-warning-id]").await;
        super::public::assert_phone_friendly(&browser, "史庄村's tasks").await;
        browser.screenshot("shizhuang-phone").await;
        app.stop().await;
    })
    .await;
}

/// No two tile labels overlap on screen (the tiles are readable at their size).
async fn assert_tiles_apart(browser: &super::harness::Browser) {
    let overlapping = browser
        .eval(
            "const boxes = [...document.querySelectorAll('text.tile:not(.code)')] \
               .map(t => [t.dataset.code, t.getBoundingClientRect()]); \
             const hits = []; \
             for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) { \
               const [a, p] = boxes[i], [b, q] = boxes[j]; \
               if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) hits.push([a, b]); \
             } \
             return hits;",
            vec![],
        )
        .await;
    assert_eq!(overlapping, json!([]), "tile names overlap");
}

/// 开封市's wall: its nine counties as tiles, drilled through 杞县 and 五里河镇 down to
/// 史庄村 and back up one level at a time; 杞县's own office, in the same deployment,
/// gets its county's cockpit.
#[tokio::test]
async fn a_prefecture_wall_drills_down_through_every_level_and_a_county_office_sees_its_own() {
    use crate::prefecture::{KAIFENG, QIXIAN, kaifeng_app};
    let app = kaifeng_app().await;
    let office = app.login("kaifeng-office").await;
    let raised = app.raise(&office, SHIZHUANG, "high").await;
    assert_eq!(raised.status(), 201);
    let wall = app.login("kaifeng-wall").await;

    with_browser("prefecture-tiles", |browser| async move {
        browser
            .open(&app, &format!("/screens/city?token={wall}"))
            .await;
        wait_stale(&browser, false).await;
        wait_level(&browser, QIXIAN, Some("red")).await;
        assert_eq!(browser.count("path.region.tile").await, 9, "nine counties");
        assert_tiles_apart(&browser).await;
        browser.screenshot("prefecture").await;

        for (code, child) in [(QIXIAN, WULIHE), (WULIHE, SHIZHUANG)] {
            browser
                .click_shape(&format!("path.region[data-code=\"{code}\"]"))
                .await;
            wait_level(&browser, child, Some("red")).await;
            assert_tiles_apart(&browser).await;
            browser.screenshot(&format!("in-{code}")).await;
        }
        browser.click("#map-back").await;
        wait_level(&browser, WULIHE, Some("red")).await;
        browser.click("#map-back").await;
        wait_level(&browser, QIXIAN, Some("red")).await;
        assert!(
            browser
                .eval("return document.getElementById('map-back').hidden", vec![])
                .await
                == json!(true)
        );

        // The county's own office signs in on the same server and gets 杞县's cockpit.
        browser.click("#logout").await;
        browser.sign_in(&app, "qixian-office").await;
        wait_stale(&browser, false).await;
        wait_level(&browser, WULIHE, Some("red")).await;
        assert_eq!(browser.count("path.region.tile").await, 22, "杞县's towns");
        assert_eq!(
            browser
                .count(&format!("path.region[data-code=\"{KAIFENG}\"]"))
                .await,
            0
        );
        browser.screenshot("county-office").await;
        app.stop().await;
    })
    .await;
}
