//! The WeCom robot channel against a fake robot that checks its key, the markdown shape
//! and length, and limits 20 messages a minute.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use qingfeng::notify::{Address, ChannelKind, Outgoing, Rendered, SendError};
use serde_json::json;

use super::channel;
use super::fake_gateway::{Gateway, serve};

const KEY: &str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";

fn robot_answer(errcode: i64, errmsg: &str) -> Response {
    axum::Json(json!({"errcode": errcode, "errmsg": errmsg})).into_response()
}

async fn robot_send(State(gateway): State<Arc<Gateway>>, uri: Uri, body: Bytes) -> Response {
    if let Some(response) = gateway.intercept(&uri, &body).await {
        return response;
    }
    let recorded = gateway.requests().pop().unwrap();
    if recorded.query.get("key").map(String::as_str) != Some(KEY) {
        return robot_answer(93000, "invalid webhook url, hint: [1700000000_1_abc]");
    }
    let message: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(content) = message["markdown"]["content"]
        .as_str()
        .filter(|_| message["msgtype"] == "markdown")
    else {
        return robot_answer(40008, "invalid message type");
    };
    if content.len() > 4096 {
        return robot_answer(40058, "markdown.content exceed max length 4096");
    }
    if !gateway.admit(20) {
        return robot_answer(45009, "api freq out of limit");
    }
    robot_answer(0, "ok")
}

pub(crate) async fn fake_robot() -> (Arc<Gateway>, String) {
    let gateway = Arc::new(Gateway::default());
    let router = Router::new()
        .route("/cgi-bin/webhook/send", post(robot_send))
        .with_state(gateway.clone());
    let addr = serve(router).await;
    (
        gateway,
        format!("http://{addr}/cgi-bin/webhook/send?key={KEY}"),
    )
}

fn robot_at(webhook: &str) -> Arc<dyn qingfeng::notify::Channel> {
    let tables = format!("[channels.wecom]\nwebhook = \"{webhook}\"\ntimeout_seconds = 2\n");
    channel(&tables, &[], ChannelKind::WeCom)
}

fn message(recipient: Address, body: String) -> Outgoing {
    Outgoing {
        key: "event-9:village_steward".into(),
        recipient,
        rendered: Rendered::Markdown {
            title: "【清风】催办 YJ-2026-000009".into(),
            body,
        },
    }
}

#[tokio::test]
async fn a_markdown_message_mentions_its_recipient_and_fits_the_robots_limit() {
    let (gateway, webhook) = fake_robot().await;
    let robot = robot_at(&webhook);
    robot
        .send(&message(
            Address::WeComUser("zhao.liu".into()),
            "请尽快整改。".into(),
        ))
        .await
        .unwrap();
    let content = gateway.requests()[0].json()["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        content.starts_with("<@zhao.liu>\n**【清风】催办"),
        "{content}"
    );
    // A body far over 4,096 bytes is cut, not refused.
    robot
        .send(&message(Address::Group, "长".repeat(5000)))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_key_is_permanent() {
    let (_gateway, webhook) = fake_robot().await;
    let robot = robot_at(&webhook.replace(KEY, "00000000-0000-0000-0000-000000000000"));
    let error = robot
        .send(&message(Address::Group, "x".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent { reason } if reason.contains("93000")),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_rate_limit_and_a_robot_down_are_told_apart() {
    let (gateway, webhook) = fake_robot().await;
    let robot = robot_at(&webhook);
    gateway.limiting.store(true, Ordering::SeqCst);
    let error = robot
        .send(&message(Address::Group, "x".into()))
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::RateLimited { .. }), "{error:?}");
    gateway.limiting.store(false, Ordering::SeqCst);
    gateway.fail_times(1);
    let error = robot
        .send(&message(Address::Group, "x".into()))
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::Retryable { .. }), "{error:?}");
    robot
        .send(&message(Address::Group, "x".into()))
        .await
        .unwrap();
}
