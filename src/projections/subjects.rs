//! The newest warning each rule raised for each subject it flagged: how a scan knows a
//! finding is already open, dismissed or recurring.
//!
//! Nearly every warning comes from a rule, so this holds about one entry per warning. Kept
//! as one string `rule␀subject` per entry and the id inline, it costs about a hundred bytes
//! an entry where a `(String, String) → String` map cost about two hundred and fifty.

use std::collections::HashMap;

use compact_str::CompactString;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubjectIndex(HashMap<Box<str>, CompactString>);

/// Rule names and subjects never hold a NUL (they come from the catalogue and from
/// dataset keys), so the key reads back unambiguously.
const SEPARATOR: char = '\0';

fn key(rule: &str, subject: &str) -> Box<str> {
    let mut key = String::with_capacity(rule.len() + 1 + subject.len());
    key.push_str(rule);
    key.push(SEPARATOR);
    key.push_str(subject);
    key.into_boxed_str()
}

impl SubjectIndex {
    /// The newest warning `rule` raised for `subject`.
    pub fn get(&self, rule: &str, subject: &str) -> Option<&str> {
        self.0.get(&key(rule, subject)).map(CompactString::as_str)
    }

    /// Names `id` the newest warning of `rule` for `subject`.
    pub fn set(&mut self, rule: &str, subject: &str, id: &str) {
        self.0.insert(key(rule, subject), CompactString::from(id));
    }

    /// Every entry as `(rule, subject, warning id)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.0.iter().map(|(key, id)| {
            let (rule, subject) = key.split_once(SEPARATOR).unwrap_or((key, ""));
            (rule, subject, id.as_str())
        })
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_by_rule_and_subject() {
        let mut index = SubjectIndex::default();
        index.set("bid_ring", "town:410221101000", "W1");
        index.set("bid_ring", "town:410221101000", "W2");
        index.set("bid_rin", "gtown:410221101000", "W3");
        assert_eq!(index.get("bid_ring", "town:410221101000"), Some("W2"));
        assert_eq!(index.get("bid_rin", "gtown:410221101000"), Some("W3"));
        assert_eq!(index.get("bid_ring", "other"), None);
        let mut all: Vec<_> = index.iter().collect();
        all.sort();
        assert_eq!(
            all,
            [
                ("bid_rin", "gtown:410221101000", "W3"),
                ("bid_ring", "town:410221101000", "W2")
            ]
        );
    }
}
