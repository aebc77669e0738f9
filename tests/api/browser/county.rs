//! A real county on its official division codes (杞县, `seeds/real/qixian-410221.csv`)
//! with no boundary file: the county wall draws its 22 towns and streets as generated
//! tiles carrying their codes, coloured by their worst open warning, and drills down by a
//! click to a town's villages, also tiles.

use serde_json::json;

use super::harness::with_browser;
use super::{wait_level, wait_stale};
use crate::helpers::{TestApp, spawn_app_with};

const COUNTY: &str = "410221000000";
/// 五里河镇, and 史庄村 in it (the village of the article).
const WULIHE: &str = "410221101000";
const SHIZHUANG: &str = "410221101201";

async fn county_app() -> TestApp {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let app = spawn_app_with(|config| {
        config.regions_path = Some(root.join("seeds/real/qixian-410221.csv"));
        config.geojson_path = None;
    })
    .await;
    app.add_user("qixian-office", "city_office", COUNTY).await;
    app.add_user("qixian-wall", "display", COUNTY).await;
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
