//! A company's registration status (登记状态 / 经营状态) as the market regulator's
//! registry writes it, and what it means for the rules.
//!
//! Registries export a handful of fixed words (the National Enterprise Credit
//! Information Publicity System writes `存续（在营、开业、在册）` and `吊销，未注销`),
//! which the rules need only as one question: may the company still trade? The
//! original text is kept for display, so an office sees the status in the registry's
//! own words. Anything else is refused, naming the cell, rather than guessed at.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::resident_id::half_width;

/// What a registry status means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// 存续、在营、开业、在册、在业: registered and trading.
    Operating,
    /// 迁入: registered here after moving from another registry; trading.
    MovedIn,
    /// 迁出: moved its registration to another registry. The company still exists and
    /// trades, only elsewhere, so it still counts as active.
    MovedOut,
    /// 停业: business suspended.
    Suspended,
    /// 歇业: dormant, as the 2022 regulations on market entities allow for up to three
    /// years.
    Dormant,
    /// 清算: being wound up.
    Liquidating,
    /// 撤销: registration cancelled (for example obtained by fraud).
    Cancelled,
    /// 吊销（未注销）: business licence revoked, not yet deregistered; may not trade.
    LicenceRevoked,
    /// 注销 (and 吊销，已注销): deregistered; the company no longer exists.
    Deregistered,
}

/// The words registries write for each status, compared after [`key`]: half-width,
/// lower-case, without spaces or the punctuation between words (so `吊销，未注销`,
/// `吊销,未注销` and `吊销未注销` are one status). `active` and `closed` are the
/// template's words.
const WORDS: &[(&str, StatusKind)] = &[
    ("存续在营开业在册", StatusKind::Operating),
    ("存续", StatusKind::Operating),
    ("在营", StatusKind::Operating),
    ("开业", StatusKind::Operating),
    ("在册", StatusKind::Operating),
    ("在业", StatusKind::Operating),
    ("active", StatusKind::Operating),
    ("迁入", StatusKind::MovedIn),
    ("迁出", StatusKind::MovedOut),
    ("停业", StatusKind::Suspended),
    ("歇业", StatusKind::Dormant),
    ("清算", StatusKind::Liquidating),
    ("撤销", StatusKind::Cancelled),
    ("吊销", StatusKind::LicenceRevoked),
    ("吊销未注销", StatusKind::LicenceRevoked),
    ("吊销已注销", StatusKind::Deregistered),
    ("注销", StatusKind::Deregistered),
    ("已注销", StatusKind::Deregistered),
    ("closed", StatusKind::Deregistered),
];

/// The statuses as a department should write them, for error messages and the
/// templates' README.
pub const ACCEPTED: &str = "存续（在营、开业、在册）, 存续, 在营, 开业, 在册, 在业, 迁入, 迁出 \
     (active); 停业, 歇业, 清算, 撤销, 吊销，未注销, 吊销，已注销, 注销 (not active); or \
     active/closed";

/// `text` as it is compared with [`WORDS`].
fn key(text: &str) -> String {
    text.chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '、' | '(' | ')' | ';' | '。'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A company's status: what it means and the registry's own words for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompanyStatus {
    kind: StatusKind,
    text: String,
}

impl CompanyStatus {
    /// Parses a status as a registry writes it, keeping the text (trimmed).
    pub fn parse(input: &str) -> Result<CompanyStatus, String> {
        let text = input.trim();
        let wanted = key(text);
        WORDS
            .iter()
            .find(|(word, _)| *word == wanted)
            .map(|&(_, kind)| CompanyStatus {
                kind,
                text: text.to_owned(),
            })
            .ok_or_else(|| format!("{text} is not a company status; use one of {ACCEPTED}"))
    }

    /// What the status means.
    pub fn kind(&self) -> StatusKind {
        self.kind
    }

    /// Whether the company may still trade: operating, or moved in or out of this
    /// registry. Suspended, dormant, liquidating, cancelled, revoked and deregistered
    /// companies may not.
    pub fn is_active(&self) -> bool {
        matches!(
            self.kind,
            StatusKind::Operating | StatusKind::MovedIn | StatusKind::MovedOut
        )
    }

    /// The status in the registry's own words.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The status as a Chinese screen shows it: the registry's own words, except the
    /// template's English `active` and `closed`, shown as 存续 and 注销.
    pub fn shown(&self) -> &str {
        let english = self.text.is_ascii();
        match self.kind {
            _ if !english => &self.text,
            StatusKind::Operating => "存续",
            _ => "注销",
        }
    }
}

impl fmt::Display for CompanyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Stored as the registry's words and parsed again when read back, so rows stored as
/// `active` or `closed` before statuses kept their words still load.
impl Serialize for CompanyStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for CompanyStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CompanyStatus::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_statuses_map_to_active_or_not_and_keep_their_words() {
        let active = [
            "存续（在营、开业、在册）",
            "存续(在营、开业、在册)",
            "存续",
            "在营",
            "开业",
            "在册",
            "在业",
            "迁入",
            "迁出",
            "active",
            " Active ",
        ];
        for text in active {
            let status = CompanyStatus::parse(text).unwrap();
            assert!(status.is_active(), "{text}");
            assert_eq!(status.as_str(), text.trim());
        }
        let inactive = [
            "停业",
            "歇业",
            "清算",
            "撤销",
            "吊销",
            "吊销，未注销",
            "吊销,未注销",
            "吊销，已注销",
            "注销",
            "closed",
        ];
        for text in inactive {
            assert!(!CompanyStatus::parse(text).unwrap().is_active(), "{text}");
        }
        assert_eq!(
            CompanyStatus::parse("吊销，已注销").unwrap().kind(),
            StatusKind::Deregistered
        );
    }

    #[test]
    fn an_unknown_status_is_refused_naming_it() {
        let message = CompanyStatus::parse("正常").unwrap_err();
        assert!(
            message.starts_with("正常 is not a company status"),
            "{message}"
        );
        assert!(CompanyStatus::parse("").is_err());
    }

    #[test]
    fn a_stored_status_reads_back_as_written() {
        let status = CompanyStatus::parse("吊销，未注销").unwrap();
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, "\"吊销，未注销\"");
        let back: CompanyStatus = serde_json::from_str(&json).unwrap();
        assert_eq!(back, status);
        let old: CompanyStatus = serde_json::from_str("\"active\"").unwrap();
        assert!(old.is_active());
        assert_eq!((old.as_str(), old.shown()), ("active", "存续"));
        assert_eq!(CompanyStatus::parse("closed").unwrap().shown(), "注销");
        assert_eq!(status.shown(), "吊销，未注销");
    }
}
