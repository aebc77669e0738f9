//! A WeCom (企业微信) group robot: a POST of JSON to the webhook, whose `key` parameter is
//! the robot's only credential. Markdown, with a recipient @-mentioned as `<@userid>` in
//! the text; the content may be at most 4,096 bytes.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::channel::{Address, Channel, Outgoing, Receipt, SendError};
use super::channel_settings::{WeComSettings, timeout};
use super::event::ChannelKind;
use super::gateway;
use super::render::Rendered;

const MAX_CONTENT_BYTES: usize = 4096;

/// Sends to the robot of `[channels.wecom]`.
pub struct WeComChannel {
    webhook: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct RobotAnswer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

impl WeComChannel {
    pub fn new(settings: &WeComSettings) -> WeComChannel {
        WeComChannel {
            webhook: settings.webhook.clone(),
            client: gateway::client(timeout(settings.timeout_seconds)),
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
        // The mention goes first, so cutting a long text never cuts it off.
        let mention = match &msg.recipient {
            Address::WeComUser(id) => format!("<@{id}>\n"),
            Address::Group => String::new(),
            other => {
                return Err(SendError::permanent(format!(
                    "a WeCom robot cannot reach {other:?}"
                )));
            }
        };
        let content = format!("{mention}**{title}**\n{text}");
        Ok(json!({
            "msgtype": "markdown",
            "markdown": {"content": gateway::truncate_bytes(&content, MAX_CONTENT_BYTES)},
        }))
    }

    async fn deliver(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let body = WeComChannel::body(msg)?;
        let answer = gateway::exchange(self.client.post(&self.webhook).json(&body)).await?;
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

/// What the robot's `errcode` means: 45009 is its rate limit (20 a minute), -1 "system
/// busy"; 93000 (an invalid webhook: the key is wrong or the robot removed) and the rest
/// (a malformed message, content refused) need a person.
fn classify(answer: RobotAnswer) -> Result<Receipt, SendError> {
    match answer.errcode {
        0 => Ok(Receipt {
            channel: ChannelKind::WeCom,
            provider_id: None,
        }),
        45009 => Err(SendError::RateLimited {
            retry_after: Some(Duration::from_secs(60)),
        }),
        -1 => Err(SendError::Retryable {
            reason: format!("-1: {}", answer.errmsg),
            retry_after: None,
        }),
        code => Err(SendError::permanent(format!("{code}: {}", answer.errmsg))),
    }
}

impl Channel for WeComChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WeCom
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(self.deliver(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(recipient: Address, body: &str) -> Outgoing {
        Outgoing {
            key: "k".into(),
            recipient,
            rendered: Rendered::Markdown {
                title: "督办".into(),
                body: body.into(),
            },
        }
    }

    #[test]
    fn the_mention_leads_and_the_content_fits_the_limit() {
        let long = "长".repeat(3000);
        let body = WeComChannel::body(&message(Address::WeComUser("li.si".into()), &long)).unwrap();
        let content = body["markdown"]["content"].as_str().unwrap();
        assert!(
            content.starts_with("<@li.si>\n**督办**\n"),
            "{}",
            &content[..40]
        );
        assert!(content.len() <= MAX_CONTENT_BYTES, "{}", content.len());
        let group = WeComChannel::body(&message(Address::Group, "x")).unwrap();
        assert_eq!(group["markdown"]["content"], "**督办**\nx");
    }

    #[test]
    fn errcodes_are_classified() {
        let answer = |errcode| RobotAnswer {
            errcode,
            errmsg: String::new(),
        };
        assert!(classify(answer(0)).is_ok());
        assert!(matches!(
            classify(answer(45009)),
            Err(SendError::RateLimited { .. })
        ));
        assert!(matches!(
            classify(answer(-1)),
            Err(SendError::Retryable { .. })
        ));
        assert!(matches!(
            classify(answer(93000)),
            Err(SendError::Permanent { .. })
        ));
    }
}
