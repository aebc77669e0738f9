//! The log channel, the default: each message becomes one tracing line (target
//! `qingfeng::notify`) and is always delivered, so the demo shows its notifications
//! without any gateway. The recipient is masked and only the headline is logged: logs
//! are kept for months and copied around.

use futures::future::BoxFuture;

use super::channel::{Channel, Outgoing, Receipt, SendError};
use super::event::ChannelKind;

pub struct LogChannel;

impl Channel for LogChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Log
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        tracing::info!(
            target: "qingfeng::notify",
            key = %msg.key,
            to = %msg.recipient.masked(),
            headline = %msg.rendered.headline(),
            "notification"
        );
        Box::pin(std::future::ready(Ok(Receipt {
            channel: ChannelKind::Log,
            provider_id: None,
        })))
    }
}
