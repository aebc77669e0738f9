//! The `[channels.*]` tables of `workflows/notifications.toml`: how each channel is
//! reached and how fast it may send. Secrets are never written in the file: each is
//! named by the environment variable that holds it (`*_env`), read when the channels are
//! built. A WeCom robot's key and a DingTalk robot's access token are part of their
//! webhook URLs as the robots hand them out, so the file is as confidential as
//! `deploy/security.toml`.

use std::time::Duration;

use serde::Deserialize;

use super::backoff::RetryPolicy;
use super::event::ChannelKind;
use super::rate::QuietHours;

fn default_timeout() -> u64 {
    10
}

/// `[channels.log]`: a tracing line per message; always present, the default.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    #[serde(default = "LogSettings::default_rate")]
    pub rate_per_minute: u32,
    #[serde(default)]
    pub retry: RetryPolicy,
}

impl LogSettings {
    fn default_rate() -> u32 {
        600
    }
}

impl Default for LogSettings {
    fn default() -> LogSettings {
        LogSettings {
            rate_per_minute: LogSettings::default_rate(),
            retry: RetryPolicy::default(),
        }
    }
}

/// `[channels.sms]`: a gateway shaped like Alibaba Cloud's `SendSms` (RPC style, signed
/// with HMAC-SHA1).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// E.g. `https://dysmsapi.aliyuncs.com/`.
    pub endpoint: String,
    pub access_key_id: String,
    /// The environment variable holding the AccessKey secret.
    pub access_key_secret_env: String,
    /// The approved signature (签名), e.g. `清风监督`.
    pub sign_name: String,
    #[serde(default = "SmsSettings::default_region")]
    pub region: String,
    #[serde(default = "SmsSettings::default_rate")]
    pub rate_per_minute: u32,
    /// Beijing-time hours in which nothing is sent, e.g. `"22:00-07:00"`.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// Longer parameter values are cut to this many characters: the gateway refuses a
    /// message whose variable is longer than its template allows (check the template's
    /// variable rules in the console).
    #[serde(default = "SmsSettings::default_param_chars")]
    pub param_max_chars: usize,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
}

impl SmsSettings {
    fn default_region() -> String {
        "cn-hangzhou".to_owned()
    }
    fn default_rate() -> u32 {
        600
    }
    fn default_param_chars() -> usize {
        35
    }
}

/// `[channels.dingtalk]`: a custom group robot with 加签 (signed requests).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DingTalkSettings {
    /// `https://oapi.dingtalk.com/robot/send?access_token=…` as the robot gives it.
    pub webhook: String,
    /// The environment variable holding the robot's signing secret (`SEC…`).
    pub secret_env: String,
    /// The robot takes 20 messages a minute and is silenced for ten minutes past that.
    #[serde(default = "robot_rate")]
    pub rate_per_minute: u32,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
}

fn robot_rate() -> u32 {
    20
}

/// `[channels.wecom]`: a WeCom (企业微信) group robot.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WeComSettings {
    /// `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…` as the robot gives it.
    pub webhook: String,
    #[serde(default = "robot_rate")]
    pub rate_per_minute: u32,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EmailTls {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain, then STARTTLS, which must succeed (port 587).
    Starttls,
    /// No encryption: only for a relay on the same host or network segment (port 25).
    None,
}

/// `[channels.email]`: SMTP.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub host: String,
    /// Absent: 465 for `tls`, 587 for `starttls`, 25 for `none`.
    #[serde(default)]
    pub port: Option<u16>,
    pub tls: EmailTls,
    /// The sender, e.g. `清风监督 <notify@example.gov.cn>`.
    pub from: String,
    #[serde(default)]
    pub user: Option<String>,
    /// The environment variable holding `user`'s password.
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default = "EmailSettings::default_rate")]
    pub rate_per_minute: u32,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
}

impl EmailSettings {
    fn default_rate() -> u32 {
        60
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            EmailTls::Tls => 465,
            EmailTls::Starttls => 587,
            EmailTls::None => 25,
        })
    }
}

/// `[channels]`: the log channel always, the others when their table is present.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelSettings {
    #[serde(default)]
    pub log: LogSettings,
    #[serde(default)]
    pub sms: Option<SmsSettings>,
    #[serde(default)]
    pub dingtalk: Option<DingTalkSettings>,
    #[serde(default)]
    pub wecom: Option<WeComSettings>,
    #[serde(default)]
    pub email: Option<EmailSettings>,
}

/// What the delivery worker needs to know of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub rate_per_minute: u32,
    pub retry: RetryPolicy,
    /// SMS only.
    pub quiet_hours: Option<QuietHours>,
}

impl ChannelSettings {
    pub fn is_configured(&self, kind: ChannelKind) -> bool {
        self.delivery(kind).is_some()
    }

    /// The rate, retries and quiet hours of channel `kind`, if configured.
    pub fn delivery(&self, kind: ChannelKind) -> Option<Delivery> {
        let plain = |rate_per_minute, retry| Delivery {
            rate_per_minute,
            retry,
            quiet_hours: None,
        };
        match kind {
            ChannelKind::Log => Some(plain(self.log.rate_per_minute, self.log.retry)),
            ChannelKind::Sms => self.sms.as_ref().map(|s| Delivery {
                rate_per_minute: s.rate_per_minute,
                retry: s.retry,
                quiet_hours: s.quiet_hours,
            }),
            ChannelKind::DingTalk => self
                .dingtalk
                .as_ref()
                .map(|s| plain(s.rate_per_minute, s.retry)),
            ChannelKind::WeCom => self
                .wecom
                .as_ref()
                .map(|s| plain(s.rate_per_minute, s.retry)),
            ChannelKind::Email => self
                .email
                .as_ref()
                .map(|s| plain(s.rate_per_minute, s.retry)),
        }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        for kind in ChannelKind::ALL {
            if let Some(delivery) = self.delivery(kind) {
                let at = |m: String| format!("channels.{}: {m}", kind.as_str());
                if delivery.rate_per_minute == 0 {
                    return Err(at("rate_per_minute: must be at least 1".into()));
                }
                delivery
                    .retry
                    .check()
                    .map_err(|m| at(format!("retry: {m}")))?;
            }
        }
        if let Some(sms) = &self.sms {
            check_sms(sms).map_err(|m| format!("channels.sms: {m}"))?;
        }
        if let Some(dingtalk) = &self.dingtalk {
            let at = |m: String| format!("channels.dingtalk: {m}");
            check_url("webhook", &dingtalk.webhook, Some("access_token")).map_err(at)?;
            check_env("secret_env", &dingtalk.secret_env).map_err(at)?;
            check_timeout(dingtalk.timeout_seconds).map_err(at)?;
        }
        if let Some(wecom) = &self.wecom {
            let at = |m: String| format!("channels.wecom: {m}");
            check_url("webhook", &wecom.webhook, Some("key")).map_err(at)?;
            check_timeout(wecom.timeout_seconds).map_err(at)?;
        }
        if let Some(email) = &self.email {
            check_email(email).map_err(|m| format!("channels.email: {m}"))?;
        }
        Ok(())
    }
}

fn check_sms(sms: &SmsSettings) -> Result<(), String> {
    check_url("endpoint", &sms.endpoint, None)?;
    check_env("access_key_secret_env", &sms.access_key_secret_env)?;
    for (key, value) in [
        ("access_key_id", &sms.access_key_id),
        ("sign_name", &sms.sign_name),
        ("region", &sms.region),
    ] {
        if value.trim().is_empty() {
            return Err(format!("{key}: must not be empty"));
        }
    }
    if sms.param_max_chars == 0 {
        return Err("param_max_chars: must be at least 1".into());
    }
    check_timeout(sms.timeout_seconds)
}

fn check_email(email: &EmailSettings) -> Result<(), String> {
    if email.host.trim().is_empty() {
        return Err("host: must not be empty".into());
    }
    if email.port == Some(0) {
        return Err("port: must not be 0".into());
    }
    email
        .from
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("from: `{}` is not a mailbox: {e}", email.from))?;
    match (&email.user, &email.password_env) {
        (Some(_), Some(var)) => check_env("password_env", var)?,
        (None, None) => {}
        _ => return Err("user and password_env go together: give both or neither".into()),
    }
    if email.user.is_some() && email.tls == EmailTls::None {
        return Err("a password is never sent unencrypted: use tls or starttls with a user".into());
    }
    check_timeout(email.timeout_seconds)
}

/// An http(s) URL with a host and, for a robot, the query parameter that names it.
fn check_url(key: &str, text: &str, required_query: Option<&str>) -> Result<(), String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("{key}: not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{key}: must be an http or https URL with a host"));
    }
    if let Some(name) = required_query {
        let present = url.query_pairs().any(|(k, v)| k == name && !v.is_empty());
        if !present {
            return Err(format!("{key}: the URL lacks its `{name}=` parameter"));
        }
    }
    Ok(())
}

/// An environment variable's name (not its value: a value here is a secret in the file).
fn check_env(key: &str, name: &str) -> Result<(), String> {
    let well_formed = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "{key}: `{name}` is not an environment variable name; name the variable that holds the secret, not the secret"
        ))
    }
}

fn check_timeout(seconds: u64) -> Result<(), String> {
    if (1..=120).contains(&seconds) {
        Ok(())
    } else {
        Err("timeout_seconds: must be 1 to 120".into())
    }
}

/// A channel's request timeout.
pub(crate) fn timeout(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}
