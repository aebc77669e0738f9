//! A deployment rooted at a prefecture (开封市 on the bureau's 2023 codes: 9 counties, 124
//! towns, 2,528 villages): counts roll up through every level, and a county office and a
//! town office each see only their own part of it.

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_on_real_tree};

pub const KAIFENG: &str = "410200000000";
pub const QIXIAN: &str = "410221000000";
pub const WULIHE: &str = "410221101000";
pub const SHIZHUANG: &str = "410221101201";
/// 南京巷社区 of 龙亭区, another county of 开封市.
pub const LONGTING_VILLAGE: &str = "410202001009";

/// An app on the 开封市 tree (no boundary file) with an office at each level.
pub async fn kaifeng_app() -> TestApp {
    let app = spawn_app_on_real_tree("kaifeng-4102.csv").await;
    app.add_user("kaifeng-office", "city_office", KAIFENG).await;
    app.add_user("kaifeng-wall", "display", KAIFENG).await;
    app.add_user("qixian-office", "city_office", QIXIAN).await;
    app.add_user("wulihe-office", "town_office", WULIHE).await;
    app
}

async fn raise_as(app: &TestApp, user: &str, region: &str) -> String {
    let token = app.login(user).await;
    let response = app.raise(&token, region, "high").await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn counts_roll_up_through_every_level_and_each_office_sees_only_its_own() {
    let app = kaifeng_app().await;
    let shizhuang = raise_as(&app, "kaifeng-office", SHIZHUANG).await;
    let longting = raise_as(&app, "kaifeng-office", LONGTING_VILLAGE).await;

    let prefecture = app.login("kaifeng-office").await;
    let summary = app
        .get_json(&prefecture, &format!("/api/regions/{KAIFENG}/summary"))
        .await;
    assert_eq!(summary["red"], 2, "{summary}");
    let counties = summary["regions"].as_array().unwrap();
    assert_eq!(
        counties.len(),
        9,
        "the prefecture's children are its counties"
    );
    let qixian = counties.iter().find(|r| r["code"] == QIXIAN).unwrap();
    assert_eq!(qixian["red"], 1);

    let county = app.login("qixian-office").await;
    let mine = app
        .get_json(&county, &format!("/api/regions/{QIXIAN}/summary"))
        .await;
    assert_eq!(mine["red"], 1);
    assert_eq!(
        mine["regions"].as_array().unwrap().len(),
        22,
        "杞县's towns"
    );
    let listed = app.get_json(&county, "/api/warnings?limit=50").await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![shizhuang.as_str()],
        "the county sees only its own"
    );
    let other = app.get(&county, &format!("/api/warnings/{longting}")).await;
    assert_eq!(
        other.status(),
        404,
        "another county's warning does not exist for it"
    );
    let above = app
        .get(&county, &format!("/api/regions/{KAIFENG}/summary"))
        .await;
    assert!(
        matches!(above.status().as_u16(), 403 | 404),
        "{}",
        above.status()
    );
    let regions = app.get_json(&county, "/api/regions").await;
    assert_eq!(regions["regions"].as_array().unwrap().len(), 623);

    let town = app.login("wulihe-office").await;
    let regions = app.get_json(&town, "/api/regions").await;
    let villages = regions["regions"].as_array().unwrap().len();
    assert_eq!(villages, 1 + 35, "五里河镇 and its 35 villages");
    let listed = app.get_json(&town, "/api/warnings?limit=50").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[test]
fn command_center_roles_sit_at_a_county_or_above_and_town_offices_at_towns() {
    use qingfeng::auth::{Actor, Role};
    use qingfeng::domain::region::RegionCode;
    let code = |c: &str| RegionCode::parse(c).unwrap();
    for region in [KAIFENG, QIXIAN, "410000000000"] {
        assert!(
            Actor::new("office", Role::CityOffice, code(region)).is_ok(),
            "{region}"
        );
    }
    let refused = Actor::new("office", Role::CityOffice, code(WULIHE)).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "role city_office must be scoped to a city, prefecture or province region, but 410221101000 is a town"
    );
    assert!(Actor::new("town", Role::TownOffice, code(QIXIAN)).is_err());
}

/// 我要反映 on a prefecture: 2,528 villages are too many for one list, so the town is
/// chosen first (grouped by county), then one of its villages; nonsense in the town's
/// place asks for the town again.
#[tokio::test]
async fn the_report_form_of_a_prefecture_asks_for_the_town_then_its_villages() {
    let app = kaifeng_app().await;
    let (status, page) = app.get_page("/public/report").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<optgroup label="杞县">"#),
        "grouped by county"
    );
    assert!(page.contains(&format!(r#"<option value="{WULIHE}">五里河镇</option>"#)));
    assert_eq!(
        page.matches("<option value=\"4102").count(),
        124,
        "every town"
    );
    assert!(!page.contains(r#"name="region""#), "no village list yet");

    let (status, page) = app.get_page(&format!("/public/report?town={WULIHE}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!(r#"<option value="{SHIZHUANG}">"#)));
    assert!(page.contains("杞县 · 五里河镇"), "the town chosen is named");
    let villages = page.matches("<option value=\"4102").count();
    assert!(
        villages > 10 && villages < 60,
        "only 五里河镇's villages: {villages}"
    );
    assert!(page.contains(r#"name="challenge""#));

    // Empty, a county, a village, a path, a long Chinese name (percent-encoded).
    let chinese = "%E4%BA%94%E9%87%8C%E6%B2%B3%E9%95%87".repeat(8);
    for nonsense in ["", "410221", "410221101201", "..%2F..%2Fetc", &chinese] {
        let url = format!("/public/report?town={nonsense}");
        let (status, page) = app.get_page(&url).await;
        assert_eq!(status, 200, "{nonsense}");
        assert!(
            page.contains(r#"name="town""#),
            "{nonsense}: the town is asked again"
        );
    }
    app.stop().await;
}
