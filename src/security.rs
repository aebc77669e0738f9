//! The limits a deployment may tune: sign-in rules, import limits, cookies and origins.
//!
//! They are read from one TOML file (`qingfeng serve --security FILE`; every field has a
//! default, so the file holds only what a deployment changes). Unknown keys stop the
//! server naming the key, as the lifecycle settings and the rule catalogue do;
//! `deploy/security.toml` lists every key with its default.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::auth::lockout::LoginPolicy;
use crate::import::ImportLimits;

/// Everything `--security FILE` may set.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    pub login: LoginPolicy,
    pub import: ImportLimits,
    pub http: HttpPolicy,
    pub photos: PhotoQuota,
    pub public: PublicPolicy,
}

/// What a stranger may do on the public pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublicPolicy {
    /// 查本人 lookups per client address and minute, after a burst; more answer 429.
    pub lookups_per_minute_per_address: u32,
    pub lookup_burst_per_address: u32,
    /// 我要反映 reports per client address and hour, after a burst; more answer 429.
    pub reports_per_hour_per_address: u32,
    pub report_burst_per_address: u32,
    /// The least time, in seconds, between fetching the report form and sending it: a
    /// person takes longer to write a report, a script does not.
    pub report_min_seconds: u32,
}

impl Default for PublicPolicy {
    fn default() -> Self {
        PublicPolicy {
            lookups_per_minute_per_address: 5,
            lookup_burst_per_address: 10,
            reports_per_hour_per_address: 5,
            report_burst_per_address: 3,
            report_min_seconds: 5,
        }
    }
}

/// How many rectification photos may be stored. Each photo is up to 5 MB of the store's
/// disk, so a steward's tablet stuck in a retry loop, or a stolen session, must not be able
/// to fill it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhotoQuota {
    /// Photos one warning may hold in all (a rectification cites at most 20; a warning
    /// sent back may be rectified again).
    pub per_warning: u64,
    /// Photos one user may upload in any 24 hours.
    pub per_user_per_day: u64,
}

impl Default for PhotoQuota {
    fn default() -> Self {
        PhotoQuota {
            per_warning: 60,
            per_user_per_day: 300,
        }
    }
}

/// How the browser-facing side behaves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpPolicy {
    /// Mark the session cookie `Secure` (the server is reached over HTTPS, usually through
    /// a reverse proxy that ends TLS).
    pub secure_cookies: bool,
    /// The origins (`https://jiwei.example.gov.cn`) whose pages may send commands with the
    /// session cookie and open WebSockets. Empty: only the origin the request itself was
    /// addressed to (its `Host`).
    pub allowed_origins: Vec<String>,
}

impl SecuritySettings {
    /// Reads the settings from a TOML file, naming the file and the bad key on error.
    pub fn load(path: &Path) -> anyhow::Result<SecuritySettings> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the security settings {}", path.display()))?;
        SecuritySettings::parse(&text)
            .with_context(|| format!("in the security settings {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<SecuritySettings> {
        Ok(toml::from_str(text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_holds_the_defaults() {
        let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/security.toml");
        let settings = SecuritySettings::load(Path::new(shipped)).unwrap();
        let mut expected = SecuritySettings::default();
        // The shipped file names a concrete number of password checks at once; the
        // default follows the machine's cores.
        expected.login.max_concurrent_hashes = settings.login.max_concurrent_hashes;
        assert_eq!(settings, expected);
    }

    #[test]
    fn an_unknown_key_is_named() {
        let error = SecuritySettings::parse("[login]\nmax_failure = 3\n").unwrap_err();
        assert!(format!("{error:#}").contains("max_failure"), "{error:#}");
        let settings = SecuritySettings::parse("[login]\nmax_failures = 3\n").unwrap();
        assert_eq!(settings.login.max_failures, 3);
        assert_eq!(settings.import, ImportLimits::default());
    }
}
