//! The notification channels against fake gateways on loopback: each fake checks the
//! provider's documented signature or key and answers its documented errors (rate limits
//! included), and can be told to fail, to be down, or to answer too much.

mod contacts;
mod dingtalk;
mod email;
mod fake_gateway;
mod fake_smtp;
pub(crate) mod outbox;
mod outbox_limits;
mod sms;
pub(crate) mod wecom;

use std::collections::HashMap;
use std::sync::Arc;

use qingfeng::clock::{Clock, SystemClock};
use qingfeng::notify::{Channel, ChannelKind, Channels, NotifySettings};

/// The channels of a settings file holding only `[channels.*]` tables, with `secrets`
/// as the environment.
pub fn channels_with_clock(
    tables: &str,
    secrets: &[(&str, &str)],
    clock: Arc<dyn Clock>,
) -> Channels {
    let settings = NotifySettings::from_toml_str("test-notifications.toml", tables).unwrap();
    let env: HashMap<String, String> = secrets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Channels::build(&settings.channels, &|var| env.get(var).cloned(), clock).unwrap()
}

pub fn channel(tables: &str, secrets: &[(&str, &str)], kind: ChannelKind) -> Arc<dyn Channel> {
    channels_with_clock(tables, secrets, Arc::new(SystemClock))
        .get(kind)
        .unwrap()
        .clone()
}

/// An address on loopback where nothing listens: connections are refused.
pub fn closed_port_url(path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", crate::helpers::free_port())
}
