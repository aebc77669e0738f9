//! The channel abstraction: a message for one recipient (`Outgoing`) goes out through a
//! `Channel`, which answers with a `Receipt` or says whether trying again can help
//! (`SendError`). A channel sends once per call: retries, rate limits, quiet hours and
//! dead letters are the delivery worker's, from `backoff` and `rate`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::channel_settings::ChannelSettings;
use super::dingtalk::DingTalkChannel;
use super::email::EmailChannel;
use super::event::ChannelKind;
use super::log::LogChannel;
use super::render::Rendered;
use super::settings::NotifyError;
use super::sms::SmsChannel;
use super::wecom::WeComChannel;
use crate::clock::Clock;

/// Where a message goes, in the channel's own terms. Serialized into the outbox (the
/// store is the one place an official's contact is kept beside the contacts themselves).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "to", rename_all = "snake_case")]
pub enum Address {
    /// A mainland mobile number, for SMS.
    Mobile(String),
    /// A DingTalk user id, @-mentioned in the robot's group.
    DingTalkUser(String),
    /// A WeCom user id, @-mentioned in the robot's group.
    WeComUser(String),
    Email(String),
    /// The robot's group as a whole, mentioning nobody (an office's own group).
    Group,
}

impl Address {
    /// The address for logs: a mobile number or mailbox masked, so log files (kept six
    /// months) do not collect officials' contacts.
    pub fn masked(&self) -> String {
        match self {
            Address::Mobile(phone) => crate::public::mask::mask_phone(phone),
            Address::Email(mail) => match mail.split_once('@') {
                Some((user, domain)) => {
                    let first: String = user.chars().take(1).collect();
                    format!("{first}***@{domain}")
                }
                None => "***".to_owned(),
            },
            Address::DingTalkUser(id) => format!("dingtalk:{id}"),
            Address::WeComUser(id) => format!("wecom:{id}"),
            Address::Group => "group".to_owned(),
        }
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// One message for one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The idempotency key (the event and the recipient), the same on every attempt:
    /// sent where a gateway takes one (the SMS `OutId`, the e-mail `Message-ID`) and
    /// logged, so a duplicate can be traced to its event.
    pub key: String,
    pub recipient: Address,
    pub rendered: Rendered,
}

/// What a gateway answered to a message it accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub channel: ChannelKind,
    /// The gateway's id for the message, where it gives one (the SMS `BizId`).
    pub provider_id: Option<String>,
}

/// Why a message was not sent, by what trying again can do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A failure that may pass: the gateway down, a timeout, a 5xx, a transient SMTP reply.
    #[error("retryable: {reason}")]
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The gateway is limiting this sender; `retry_after` is its window when known.
    #[error("rate limited")]
    RateLimited { retry_after: Option<Duration> },
    /// Trying again cannot help: a wrong secret or signature, an invalid number, a
    /// template the gateway does not know, an address of the wrong kind.
    #[error("permanent: {reason}")]
    Permanent { reason: String },
}

impl SendError {
    pub(crate) fn permanent(reason: impl Into<String>) -> SendError {
        SendError::Permanent {
            reason: reason.into(),
        }
    }

    pub(crate) fn retryable(reason: impl Into<String>) -> SendError {
        SendError::Retryable {
            reason: reason.into(),
            retry_after: None,
        }
    }
}

/// A way of sending. `send` returns a boxed future so that channels of every kind live
/// behind one `Arc<dyn Channel>`, and a test can put a fake of its own among them.
pub trait Channel: Send + Sync {
    fn kind(&self) -> ChannelKind;

    /// Sends `msg` once. Never retries: the worker decides that from the error.
    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>>;
}

/// The configured channels, one per kind; the log channel is always there.
#[derive(Clone)]
pub struct Channels {
    by_kind: BTreeMap<ChannelKind, Arc<dyn Channel>>,
}

impl Channels {
    /// Builds every channel `settings` configures. `secret` looks up an environment
    /// variable's value (`std::env::var` in the server, a map in tests); a variable named
    /// in the settings but unset stops the build, naming the key. `clock` is the time
    /// requests are signed with: it must be the real time (`SystemClock`), never the
    /// demo's accelerated engine clock, or gateways refuse the timestamps.
    pub fn build(
        settings: &ChannelSettings,
        secret: &dyn Fn(&str) -> Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Result<Channels, NotifyError> {
        let lookup = |key: &str, var: &str| {
            secret(var).ok_or_else(|| NotifyError::Secret {
                key: key.to_owned(),
                var: var.to_owned(),
            })
        };
        let mut channels = Channels::empty();
        channels.insert(Arc::new(LogChannel));
        if let Some(sms) = &settings.sms {
            let key = lookup(
                "channels.sms.access_key_secret_env",
                &sms.access_key_secret_env,
            )?;
            channels.insert(Arc::new(SmsChannel::new(sms, key, clock.clone())));
        }
        if let Some(dingtalk) = &settings.dingtalk {
            let key = lookup("channels.dingtalk.secret_env", &dingtalk.secret_env)?;
            channels.insert(Arc::new(DingTalkChannel::new(dingtalk, key, clock.clone())));
        }
        if let Some(wecom) = &settings.wecom {
            channels.insert(Arc::new(WeComChannel::new(wecom)));
        }
        if let Some(email) = &settings.email {
            let password = match &email.password_env {
                Some(var) => Some(lookup("channels.email.password_env", var)?),
                None => None,
            };
            let channel =
                EmailChannel::new(email, password).map_err(|message| NotifyError::Channel {
                    key: "channels.email".to_owned(),
                    message,
                })?;
            channels.insert(Arc::new(channel));
        }
        Ok(channels)
    }

    /// The channels of the environment the process runs in.
    pub fn from_env(
        settings: &ChannelSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Channels, NotifyError> {
        Channels::build(settings, &|var| std::env::var(var).ok(), clock)
    }

    /// No channels at all; for tests that put in their own.
    pub fn empty() -> Channels {
        Channels {
            by_kind: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) the channel of `channel.kind()`.
    pub fn insert(&mut self, channel: Arc<dyn Channel>) {
        self.by_kind.insert(channel.kind(), channel);
    }

    pub fn get(&self, kind: ChannelKind) -> Option<&Arc<dyn Channel>> {
        self.by_kind.get(&kind)
    }

    pub fn kinds(&self) -> impl Iterator<Item = ChannelKind> + '_ {
        self.by_kind.keys().copied()
    }
}

impl fmt::Debug for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.by_kind.keys()).finish()
    }
}
