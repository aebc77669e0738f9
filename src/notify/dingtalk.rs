//! A DingTalk custom group robot (自定义机器人) with 加签: each request carries the time in
//! milliseconds and `sign = urlencode(base64(HMAC-SHA256(key = secret,
//! "{timestamp}\n{secret}")))` as `&timestamp=…&sign=…` after the webhook's
//! `access_token`; the robot refuses a timestamp more than an hour off. The message is
//! markdown; a recipient is @-mentioned by user id, which the robot shows only when the
//! text also carries `@userid`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use super::channel::{Address, Channel, Outgoing, Receipt, SendError};
use super::channel_settings::{DingTalkSettings, timeout};
use super::event::ChannelKind;
use super::gateway;
use super::render::Rendered;
use crate::clock::Clock;

/// The longest markdown text sent; longer ones are cut (the robot refuses very long
/// messages, and nobody reads them in a group).
const MAX_TEXT_BYTES: usize = 16 * 1024;

/// A robot that answers 130101 (over 20 a minute) stays silent for ten minutes.
const THROTTLED_FOR: Duration = Duration::from_secs(600);

/// The signature of `timestamp_ms` under `secret`, base64 (not yet URL-encoded).
pub fn sign(timestamp_ms: i64, secret: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// Sends to the robot of `[channels.dingtalk]`.
pub struct DingTalkChannel {
    webhook: String,
    secret: String,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

#[derive(Deserialize)]
struct RobotAnswer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

impl DingTalkChannel {
    /// `secret` is the robot's signing secret itself; `clock` dates requests (real time).
    pub fn new(
        settings: &DingTalkSettings,
        secret: String,
        clock: Arc<dyn Clock>,
    ) -> DingTalkChannel {
        DingTalkChannel {
            webhook: settings.webhook.clone(),
            secret,
            client: gateway::client(timeout(settings.timeout_seconds)),
            clock,
        }
    }

    fn body(msg: &Outgoing) -> Result<serde_json::Value, SendError> {
        let (title, text) = match &msg.rendered {
            Rendered::Markdown { title, body }
            | Rendered::Email {
                subject: title,
                body,
            } => (title, body),
            Rendered::Sms { .. } => {
                return Err(SendError::permanent("a robot cannot send an SMS template"));
            }
        };
        let mention = match &msg.recipient {
            Address::DingTalkUser(id) => Some(id.as_str()),
            Address::Group => None,
            other => {
                return Err(SendError::permanent(format!(
                    "a DingTalk robot cannot reach {other:?}"
                )));
            }
        };
        let mut text = format!("#### {title}\n\n{text}");
        if let Some(id) = mention {
            text.push_str(&format!("\n\n@{id}"));
        }
        Ok(json!({
            "msgtype": "markdown",
            "markdown": {"title": title, "text": gateway::truncate_bytes(&text, MAX_TEXT_BYTES)},
            "at": {"atUserIds": mention.into_iter().collect::<Vec<_>>(), "isAtAll": false},
        }))
    }

    async fn deliver(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let body = DingTalkChannel::body(msg)?;
        let timestamp = self.clock.now().timestamp_millis();
        let signature = sign(timestamp, &self.secret);
        let request = self
            .client
            .post(&self.webhook)
            .query(&[("timestamp", timestamp.to_string()), ("sign", signature)])
            .json(&body);
        let answer = gateway::exchange(request).await?;
        if !answer.status.is_success() {
            return Err(gateway::status_error(&answer));
        }
        let Ok(parsed) = serde_json::from_slice::<RobotAnswer>(&answer.body) else {
            return Err(SendError::retryable(format!(
                "HTTP {}: not the robot's answer",
                answer.status
            )));
        };
        classify(parsed)
    }
}

/// What the robot's `errcode` means. 130101 and 410100 are its rate limits; -1 is "system
/// busy"; 310000 is a failed security check (signature, timestamp, keyword or address),
/// and the others (300001 no such token, 400013 group dissolved, 400102 robot disabled,
/// 4301xx content refused) need a person.
fn classify(answer: RobotAnswer) -> Result<Receipt, SendError> {
    match answer.errcode {
        0 => Ok(Receipt {
            channel: ChannelKind::DingTalk,
            provider_id: None,
        }),
        130101 | 410100 => Err(SendError::RateLimited {
            retry_after: Some(THROTTLED_FOR),
        }),
        -1 => Err(SendError::Retryable {
            reason: format!("-1: {}", answer.errmsg),
            retry_after: None,
        }),
        code => Err(SendError::permanent(format!("{code}: {}", answer.errmsg))),
    }
}

impl Channel for DingTalkChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::DingTalk
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(self.deliver(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_newline_secret() {
        // Recomputed independently: HMAC-SHA256 with key "SECabc" over "1700000000000\nSECabc".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"SECabc").unwrap();
        mac.update(b"1700000000000\nSECabc");
        let expected = BASE64.encode(mac.finalize().into_bytes());
        assert_eq!(sign(1_700_000_000_000, "SECabc"), expected);
        assert_ne!(sign(1_700_000_000_001, "SECabc"), expected);
        assert_eq!(expected.len(), 44);
    }

    #[test]
    fn a_mention_is_in_the_text_and_in_at_user_ids() {
        let msg = Outgoing {
            key: "k".into(),
            recipient: Address::DingTalkUser("manager7".into()),
            rendered: Rendered::Markdown {
                title: "新预警".into(),
                body: "柳塘村".into(),
            },
        };
        let body = DingTalkChannel::body(&msg).unwrap();
        assert_eq!(body["msgtype"], "markdown");
        assert_eq!(
            body["markdown"]["text"],
            "#### 新预警\n\n柳塘村\n\n@manager7"
        );
        assert_eq!(body["at"]["atUserIds"][0], "manager7");
        let wrong = Outgoing {
            recipient: Address::Mobile("13800138000".into()),
            ..msg
        };
        assert!(matches!(
            DingTalkChannel::body(&wrong),
            Err(SendError::Permanent { .. })
        ));
    }

    #[test]
    fn errcodes_are_classified() {
        let answer = |errcode| RobotAnswer {
            errcode,
            errmsg: String::new(),
        };
        assert!(classify(answer(0)).is_ok());
        assert!(matches!(
            classify(answer(130101)),
            Err(SendError::RateLimited { .. })
        ));
        assert!(matches!(
            classify(answer(-1)),
            Err(SendError::Retryable { .. })
        ));
        assert!(matches!(
            classify(answer(310000)),
            Err(SendError::Permanent { .. })
        ));
    }
}
