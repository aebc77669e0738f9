//! `public_report` (群众反映): a report a member of the public files on the public pages
//! (我要反映), about a payment, a village or in general.
//!
//! Its findings come from people, not from the datasets, so a scan judges nothing for it;
//! `http::report` turns each accepted report into a finding of this rule, and the catalogue
//! entry gives it its severity, deadline and colour like any other rule. The subject is
//! the village, the category and a hash of the text, so the same complaint filed twice
//! while the first is open is folded into it rather than opening a second warning.

use serde::{Deserialize, Serialize};

use super::{CheckParams, Data, Rule, RuleMeta, RuleReport};

/// `[rules.public_report.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The longest report text accepted, in characters.
    pub max_text_chars: usize,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        if (1..=2_000).contains(&self.max_text_chars) {
            Ok(())
        } else {
            Err("max_text_chars must be between 1 and 2000".to_string())
        }
    }
}

/// The rule, built from its catalogue entry.
pub struct PublicReport {
    meta: RuleMeta,
    #[allow(dead_code)]
    params: Params,
}

impl PublicReport {
    pub fn new(meta: RuleMeta, params: Params) -> PublicReport {
        PublicReport { meta, params }
    }
}

impl Rule for PublicReport {
    fn code(&self) -> &str {
        &self.meta.code
    }

    /// Nothing in the datasets is a report: the scan checks no subject for this rule.
    fn run(&self, _data: &Data) -> RuleReport {
        RuleReport {
            rule: self.meta.code.clone(),
            checked: 0,
            flagged: 0,
            not_judged: 0,
            findings: Vec::new(),
        }
    }
}
