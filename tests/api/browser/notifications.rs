//! 通知送达 in a real browser: the city office sees the dead letters of a robot that was
//! down and resends one, which then arrives; the town office sees, under a warning's
//! history, to whom its notifications went and whether they arrived.

use std::sync::atomic::Ordering;

use chrono::Duration;
use qingfeng::clock::ManualClock;

use super::harness::with_browser;
use crate::helpers::{TOWN_QINGXI, VILLAGE_LIUTANG, start_time};
use crate::notify::outbox::{app_with, import_contacts, settings, step};
use crate::notify::wecom::fake_robot;

#[tokio::test]
async fn the_city_office_resends_a_dead_letter_from_its_page() {
    let (gateway, webhook) = fake_robot().await;
    let clock = ManualClock::new(start_time());
    let app = app_with("mem://", clock.clone(), settings(&webhook, 1)).await;
    import_contacts(&app).await;
    app.raise_ok(VILLAGE_LIUTANG).await;
    gateway.down.store(true, Ordering::SeqCst);
    assert_eq!(step(&app).await.dead, 2);
    gateway.down.store(false, Ordering::SeqCst);
    with_browser("notifications", |browser| async move {
        browser.fit_viewport(1920, 1080).await;
        browser.sign_in(&app, "city").await;
        browser.open(&app, "/screens/notifications").await;
        browser
            .wait_until(
                "the two dead letters to be listed",
                "return document.querySelectorAll('tr[data-status=\"dead\"]').length === 2",
            )
            .await;
        let status = browser
            .eval(
                "return document.querySelector('tr[data-status=\"dead\"] td.action').textContent",
                vec![],
            )
            .await;
        assert_eq!(status, "发送失败");
        browser.screenshot("dead-letters").await;
        browser.click("tr[data-status=\"dead\"] button").await;
        browser
            .wait_until(
                "one dead letter to be left",
                "return document.querySelectorAll('tr[data-status=\"dead\"]').length === 1",
            )
            .await;
        clock.advance(Duration::seconds(1));
        assert_eq!(step(&app).await.sent, 1);
        assert_eq!(gateway.requests().len(), 3, "two refused, one resent");
        browser.fit_viewport(3840, 2160).await;
        browser.screenshot("dead-letters-4k").await;
        super::assert_office_page_fits_a_phone(
            &browser,
            "通知送达",
            "tr[data-status=\"dead\"] td.action",
            "状态",
        )
        .await;
        browser.screenshot("dead-letters-phone").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_town_office_sees_where_a_warnings_notifications_went() {
    let (_gateway, webhook) = fake_robot().await;
    let app = app_with(
        "mem://",
        ManualClock::new(start_time()),
        settings(&webhook, 5),
    )
    .await;
    import_contacts(&app).await;
    let id = app.raise_ok(VILLAGE_LIUTANG).await;
    assert_eq!(step(&app).await.sent, 2);
    with_browser("town-deliveries", |browser| async move {
        browser.fit_viewport(1920, 1080).await;
        browser.sign_in(&app, "qingxi").await;
        browser
            .open(&app, &format!("/screens/town/{TOWN_QINGXI}?warning={id}"))
            .await;
        let shown = browser
            .wait_until(
                "the linked warning's deliveries to be shown",
                "const rows = [...document.querySelectorAll('ul.deliveries li')]; \
                 return rows.length === 2 && rows.map(r => r.textContent).join(' | ');",
            )
            .await;
        let text = shown.as_str().unwrap().to_owned();
        assert!(
            text.contains("村务监督员") && text.contains("乡镇纪委"),
            "{text}"
        );
        assert!(
            text.contains("企业微信") && text.contains("已送达"),
            "{text}"
        );
        assert!(
            !text.contains("13800000001"),
            "the number is masked: {text}"
        );
        browser.screenshot("town-deliveries").await;
        browser.fit_viewport(390, 844).await;
        browser.screenshot("town-deliveries-phone").await;
        app.stop().await;
    })
    .await;
}
