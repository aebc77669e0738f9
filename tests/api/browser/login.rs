//! The sign-in page in a real browser: its card fits inside the window and is centred on
//! a phone, on the 1920×1080 wall and at 4K, with text a phone can read.

use serde_json::Value;

use super::harness::with_browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_sign_in_card_fits_and_is_centred_from_a_phone_to_4k() {
    let app = spawn_app().await;
    with_browser("login-sizes", |browser| async move {
        for (width, height, name) in [
            (390, 844, "phone"),
            (1920, 1080, "wall"),
            (3840, 2160, "4k"),
        ] {
            browser.fit_viewport(width, height).await;
            browser.open(&app, "/screens/").await;
            let box_: Value = browser
                .eval(
                    "const r = document.getElementById('login-form').getBoundingClientRect(); \
                     const input = getComputedStyle(document.getElementById('username')); \
                     return {top: r.top, left: r.left, bottom: r.bottom, right: r.right, \
                             width: innerWidth, height: innerHeight, \
                             font: parseFloat(input.fontSize)};",
                    vec![],
                )
                .await;
            let get = |key: &str| box_[key].as_f64().unwrap();
            let (w, h) = (get("width"), get("height"));
            assert_eq!((w as u32, h as u32), (width, height), "{name}: {box_}");
            assert!(get("top") >= 0.0 && get("left") >= 0.0, "{name}: {box_}");
            assert!(get("bottom") <= h && get("right") <= w, "{name}: {box_}");
            let (left_gap, right_gap) = (get("left"), w - get("right"));
            let (top_gap, bottom_gap) = (get("top"), h - get("bottom"));
            assert!(
                (left_gap - right_gap).abs() <= 2.0,
                "{name} not centred across: {box_}"
            );
            assert!(
                (top_gap - bottom_gap).abs() <= 2.0,
                "{name} not centred down: {box_}"
            );
            assert!(
                get("font") >= 16.0,
                "{name}: the fields' text is small: {box_}"
            );
            // The card takes a fair part of the window: readable on a phone, not lost at 4K.
            let share = (get("right") - get("left")) / w;
            assert!(share >= 0.3, "{name}: the card is {share:.2} of the width");
            browser.screenshot(name).await;
        }
        app.stop().await;
    })
    .await;
}
