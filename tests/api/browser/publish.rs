//! The city office's publication screen `/screens/publish` in a real browser: an imported
//! month is published with one click and appears on the public pages, then withdrawn.

use super::harness::with_browser;
use crate::helpers::spawn_app;
use qingfeng::datagen::demo;

/// The public page of the month the test publishes and withdraws.
const MONTH: &str = "/public/region/990102001001/dibao/2025-12";

#[tokio::test]
async fn the_city_office_publishes_and_withdraws_a_month_from_its_screen() {
    let app = spawn_app().await;
    let bytes = std::fs::read(demo::dir().join("welfare_payments.csv")).unwrap();
    let response = app
        .upload("city", "welfare_payments", "welfare_payments.csv", bytes)
        .await;
    assert_eq!(response.status(), 200);
    with_browser("publish", |browser| async move {
        browser.fit_viewport(1920, 1080).await;
        browser.sign_in(&app, "city").await;
        browser.click("#to-publish").await;
        let row = "tr[data-fund='dibao'][data-period='2025-12']";
        browser
            .find(&format!("{row}[data-state='unpublished']"))
            .await;
        browser.screenshot("unpublished").await;
        browser
            .click(&format!("{row} button[data-action='publish']"))
            .await;
        browser
            .find(&format!("{row}[data-state='published']"))
            .await;
        browser.screenshot("published").await;
        let (status, _) = app.get_page(MONTH).await;
        assert_eq!(status, 200, "the month is on the public pages");

        browser
            .click(&format!("{row} button[data-action='withdraw']"))
            .await;
        browser
            .find(&format!("{row}[data-state='withdrawn']"))
            .await;
        let (status, _) = app.get_page(MONTH).await;
        assert_eq!(status, 404, "withdrawn");
        browser.fit_viewport(3840, 2160).await;
        browser.screenshot("withdrawn-4k").await;
        super::assert_office_page_fits_a_phone(
            &browser,
            "the publication screen",
            &format!("{row} td.state"),
            "状态",
        )
        .await;
        browser.screenshot("withdrawn-phone").await;
        app.stop().await;
    })
    .await;
}
