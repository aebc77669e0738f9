//! Notifications: what is sent on which event, to whom, by which channel, and the
//! channels themselves (SMS, the DingTalk and WeCom group robots, e-mail, the log).
//!
//! This module is handed messages and a clock. It does no store access and knows
//! nothing of the engine: the outbox (which keeps what is to be sent, resolves roles to
//! contacts and runs the delivery worker) asks it which routes apply to an event
//! ([`NotifySettings::routes_for`]), renders each route's template for each channel
//! ([`Template::render`]), and sends through [`Channels`]; when a send fails it asks
//! [`RetryPolicy::after_failure`] what follows, keeps each channel under its
//! [`RateLimiter`] (combining what waits into one [`digest`]) and holds SMS in their
//! [`QuietHours`]. Rate limits and quiet hours take the time as an argument.
//!
//! Personal data stays out by construction: [`Values`] has no field for a subject's
//! name, ID number, phone or address, and an SMS template may carry only the warning's
//! number, village, rule and deadline ([`SmsField`]), checked when the settings load.

pub mod backoff;
pub mod channel;
pub mod channel_settings;
pub mod contacts;
pub mod dingtalk;
pub mod email;
pub mod event;
mod gateway;
pub mod log;
pub mod rate;
pub mod render;
pub mod settings;
pub mod sms;
pub mod wecom;

pub use backoff::{Retry, RetryPolicy};
pub use channel::{Address, Channel, Channels, Outgoing, Receipt, SendError};
pub use channel_settings::{ChannelSettings, Delivery};
pub use event::{ChannelKind, EventKind, Occasion, Recipient};
pub use rate::{QuietHours, RateLimiter};
pub use render::{Field, Rendered, SmsField, Template, Values, deadline_text, digest, severity_zh};
pub use settings::{NotifyError, NotifySettings, Route};
