//! The audit log page `/screens/audit` in a real browser: the city office sees the sign-ins
//! just made (a failed one too) and narrows them by action; a town office is told the page
//! is the city office's.

use serde_json::json;

use super::harness::with_browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_city_office_reads_and_filters_the_audit_log() {
    let app = spawn_app().await;
    let wrong = app
        .client
        .post(format!("{}/api/auth/login", app.address))
        .json(&json!({"username": "liutang", "password": "not-the-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    with_browser("audit-log", |browser| async move {
        browser.fit_viewport(1920, 1080).await;
        browser.sign_in(&app, "city").await;
        browser.open(&app, "/screens/audit").await;
        browser
            .wait_until(
                "the sign-in and the failed sign-in to be listed",
                "return document.querySelector('tr[data-action=\"login\"]') !== null \
                 && document.querySelector('tr[data-action=\"login_failed\"]') !== null",
            )
            .await;
        browser.screenshot("all").await;

        browser
            .eval(
                "document.getElementById('f-action').value = 'login_failed'",
                vec![],
            )
            .await;
        browser.click("#search").await;
        let only_failed = browser
            .wait_until(
                "only failed sign-ins to be listed",
                "const rows = [...document.querySelectorAll('#records tr[data-action]')]; \
                 return rows.length > 0 && rows.every(r => r.dataset.action === 'login_failed') \
                   && rows.map(r => r.querySelector('td.target').textContent).join(' ');",
            )
            .await;
        assert!(
            only_failed.as_str().is_some_and(|t| t.contains("liutang")),
            "{only_failed}"
        );
        assert_eq!(
            browser
                .eval(
                    "return document.querySelector('tr[data-action=\"login_failed\"] td.action').textContent",
                    vec![],
                )
                .await,
            "登录失败"
        );
        browser.screenshot("failed-only").await;
        super::assert_office_page_fits_a_phone(
            &browser,
            "the audit log",
            "tr[data-action=\"login_failed\"] td.action",
            "操作",
        )
        .await;
        browser.screenshot("phone").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_town_office_is_told_the_audit_log_is_the_city_offices() {
    let app = spawn_app().await;
    with_browser("audit-town", |browser| async move {
        browser.sign_in(&app, "qingxi").await;
        browser.open(&app, "/screens/audit").await;
        let told = browser
            .wait_until(
                "the refusal to be shown",
                "const box = document.getElementById('audit-error'); \
                 return box && !box.hidden && box.textContent;",
            )
            .await;
        assert_eq!(told, "只有市纪委办公室可以查看审计日志");
        assert_eq!(browser.count("#records tr").await, 0);
        browser.screenshot("refused").await;
        app.stop().await;
    })
    .await;
}
