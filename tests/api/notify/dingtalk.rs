//! The DingTalk robot channel against a fake robot that checks 加签 (timestamp and sign)
//! and its access token, and limits 20 messages a minute as the real one does.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use qingfeng::clock::{Clock, ManualClock};
use qingfeng::notify::{Address, ChannelKind, Outgoing, Rendered, SendError};
use serde_json::json;
use sha2::Sha256;

use super::fake_gateway::{Gateway, serve};
use super::{channel, channels_with_clock, closed_port_url};

const TOKEN: &str = "robot-token-1";
const SECRET: &str = "SEC0123456789abcdef";

fn robot_answer(errcode: i64, errmsg: &str) -> Response {
    axum::Json(json!({"errcode": errcode, "errmsg": errmsg})).into_response()
}

/// The robot's check: the timestamp within an hour, and the sign its HMAC-SHA256.
fn signed(query: &std::collections::HashMap<String, String>) -> Result<(), &'static str> {
    let timestamp: i64 = query
        .get("timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or("timestamp missing")?;
    if (chrono::Utc::now().timestamp_millis() - timestamp).abs() > 3_600_000 {
        return Err("invalid timestamp");
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}\n{SECRET}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    // The query was decoded once on the way in: the sign must now be the bare base64.
    if query.get("sign") != Some(&expected) {
        return Err("sign not match");
    }
    Ok(())
}

async fn robot_send(State(gateway): State<Arc<Gateway>>, uri: Uri, body: Bytes) -> Response {
    if let Some(response) = gateway.intercept(&uri, &body).await {
        return response;
    }
    let recorded = gateway.requests().pop().unwrap();
    if recorded.query.get("access_token").map(String::as_str) != Some(TOKEN) {
        return robot_answer(300001, "token is not exist");
    }
    if let Err(message) = signed(&recorded.query) {
        return robot_answer(310000, message);
    }
    let message: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => return robot_answer(40035, "缺少参数 json"),
    };
    let markdown = &message["markdown"];
    if message["msgtype"] != "markdown"
        || !markdown["title"].is_string()
        || !markdown["text"].is_string()
    {
        return robot_answer(40035, "缺少参数 markdown");
    }
    if !gateway.admit(20) {
        return robot_answer(130101, "send too fast, exceed 20 times per minute");
    }
    robot_answer(0, "ok")
}

async fn fake_robot() -> (Arc<Gateway>, String) {
    let gateway = Arc::new(Gateway::default());
    let router = Router::new()
        .route("/robot/send", post(robot_send))
        .with_state(gateway.clone());
    let addr = serve(router).await;
    (
        gateway,
        format!("http://{addr}/robot/send?access_token={TOKEN}"),
    )
}

fn tables(webhook: &str) -> String {
    format!(
        "[channels.dingtalk]\nwebhook = \"{webhook}\"\nsecret_env = \"DT_SECRET\"\ntimeout_seconds = 2\n"
    )
}

fn message(recipient: Address) -> Outgoing {
    Outgoing {
        key: "event-3:town_office".into(),
        recipient,
        rendered: Rendered::Markdown {
            title: "【清风】督办 YJ-2026-000003".into(),
            body: "**柳塘村** 的预警已下发督办通知。".into(),
        },
    }
}

#[tokio::test]
async fn a_signed_markdown_message_is_accepted_with_its_mention() {
    let (gateway, webhook) = fake_robot().await;
    let robot = channel(
        &tables(&webhook),
        &[("DT_SECRET", SECRET)],
        ChannelKind::DingTalk,
    );
    let receipt = robot
        .send(&message(Address::DingTalkUser("wang01".into())))
        .await
        .unwrap();
    assert_eq!(receipt.channel, ChannelKind::DingTalk);
    let sent = gateway.requests()[0].json();
    assert_eq!(sent["at"]["atUserIds"][0], "wang01");
    assert!(
        sent["markdown"]["text"]
            .as_str()
            .unwrap()
            .ends_with("@wang01")
    );
    robot.send(&message(Address::Group)).await.unwrap();
    assert_eq!(gateway.requests()[1].json()["at"]["atUserIds"], json!([]));
}

#[tokio::test]
async fn a_wrong_secret_a_stale_timestamp_or_a_wrong_token_is_permanent() {
    let (_gateway, webhook) = fake_robot().await;
    let wrong = channel(
        &tables(&webhook),
        &[("DT_SECRET", "SECwrong")],
        ChannelKind::DingTalk,
    );
    let error = wrong.send(&message(Address::Group)).await.unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent { reason } if reason.contains("310000")),
        "{error:?}"
    );

    let two_hours_ago = ManualClock::new(chrono::Utc::now() - chrono::Duration::hours(2));
    let clock: Arc<dyn Clock> = Arc::new(two_hours_ago);
    let stale = channels_with_clock(&tables(&webhook), &[("DT_SECRET", SECRET)], clock);
    let error = stale
        .get(ChannelKind::DingTalk)
        .unwrap()
        .send(&message(Address::Group))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent { reason } if reason.contains("timestamp")),
        "{error:?}"
    );

    let other_robot = webhook.replace(TOKEN, "someone-elses");
    let robot = channel(
        &tables(&other_robot),
        &[("DT_SECRET", SECRET)],
        ChannelKind::DingTalk,
    );
    let error = robot.send(&message(Address::Group)).await.unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent { reason } if reason.contains("300001")),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_twenty_first_message_in_a_minute_is_rate_limited_for_ten_minutes() {
    let (_gateway, webhook) = fake_robot().await;
    let robot = channel(
        &tables(&webhook),
        &[("DT_SECRET", SECRET)],
        ChannelKind::DingTalk,
    );
    for _ in 0..20 {
        robot.send(&message(Address::Group)).await.unwrap();
    }
    let error = robot.send(&message(Address::Group)).await.unwrap_err();
    assert_eq!(
        error,
        SendError::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(600))
        }
    );
}

#[tokio::test]
async fn a_robot_down_or_unreachable_is_retryable() {
    let (gateway, webhook) = fake_robot().await;
    let robot = channel(
        &tables(&webhook),
        &[("DT_SECRET", SECRET)],
        ChannelKind::DingTalk,
    );
    gateway.down.store(true, Ordering::SeqCst);
    let error = robot.send(&message(Address::Group)).await.unwrap_err();
    assert!(
        matches!(&error, SendError::Retryable { reason, .. } if reason.contains("503")),
        "{error:?}"
    );
    gateway.down.store(false, Ordering::SeqCst);
    robot.send(&message(Address::Group)).await.unwrap();

    let webhook = closed_port_url(&format!("/robot/send?access_token={TOKEN}"));
    let robot = channel(
        &tables(&webhook),
        &[("DT_SECRET", SECRET)],
        ChannelKind::DingTalk,
    );
    let error = robot.send(&message(Address::Group)).await.unwrap_err();
    assert!(matches!(error, SendError::Retryable { .. }), "{error:?}");
}
