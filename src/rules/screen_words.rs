//! What a Chinese screen shows of a finding, checked for English (tests only).
//!
//! The town and village screens render evidence with the labels of
//! `screens/assets/evidence.js`: each key of the values and thresholds through
//! `VALUE_TEXT`, each compared row's dataset through `DATASET_TEXT`, the subject's kind
//! through `SUBJECT_TEXT` (and a welfare subject's fund through `FUND_TEXT`); strings
//! are shown as they are. So a finding leaks English onto a screen when a key, dataset
//! or kind has no label there, or when a string it shows (title, summary, a value, the
//! basis) holds an English word. Identifiers are not words: a token with a digit in it
//! (a credit code, a tender or contract number, a plate, a date) is allowed.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Finding;

const EVIDENCE_JS: &str = include_str!("../../screens/assets/evidence.js");

/// The keys of `export const <name> = { … };` in `evidence.js`.
fn labels(name: &str) -> BTreeSet<&'static str> {
    let start = format!("export const {name} = {{");
    let Some(from) = EVIDENCE_JS.find(&start) else {
        panic!("evidence.js has no {name}");
    };
    let body = EVIDENCE_JS.get(from + start.len()..).unwrap_or_default();
    let body = body.split("\n};").next().unwrap_or_default();
    body.lines()
        .filter_map(|line| line.trim().split_once(':'))
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty() && !key.starts_with("//"))
        .collect()
}

/// The English words of `text`: runs of two or more ASCII letters (with `_`, `-`, `.`)
/// that hold no digit, so identifiers such as `ZB-2024-0001` or `91990102MA0000001D`
/// pass and `on or before paid_on` does not.
pub(crate) fn english_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*')))
        .filter(|token| !token.chars().any(|c| c.is_ascii_digit()))
        .filter(|token| token.chars().filter(char::is_ascii_alphabetic).count() >= 2)
        .map(str::to_owned)
        .collect()
}

/// Walks a value as the screen shows it, collecting unlabelled keys and English words.
fn walk(value: &Value, keys: &BTreeSet<&str>, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if !keys.contains(key.as_str()) {
                    found.push(format!("key {key} has no label in VALUE_TEXT"));
                }
                walk(inner, keys, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, keys, found)),
        Value::String(text) => {
            found.extend(
                english_words(text)
                    .into_iter()
                    .map(|w| format!("{w} in {text}")),
            );
        }
        _ => {}
    }
}

/// Everything English a screen would show of `finding`, described; empty when none.
pub(crate) fn english_on_screen(finding: &Finding) -> Vec<String> {
    let mut found = Vec::new();
    for text in [&finding.title, &finding.summary] {
        found.extend(
            english_words(text)
                .into_iter()
                .map(|w| format!("{w} in {text}")),
        );
    }
    let evidence = &finding.evidence;
    let datasets = labels("DATASET_TEXT");
    for row in evidence["compared"].as_array().into_iter().flatten() {
        let dataset = row["dataset"].as_str().unwrap_or_default();
        if !datasets.contains(dataset) {
            found.push(format!("dataset {dataset} has no label"));
        }
    }
    let keys = labels("VALUE_TEXT");
    walk(&evidence["values"], &keys, &mut found);
    walk(&evidence["threshold"], &keys, &mut found);
    walk(&evidence["basis"], &keys, &mut found);
    let mut parts = finding.subject.split(':');
    let kind = parts.next().unwrap_or_default();
    if !labels("SUBJECT_TEXT").contains(kind) {
        found.push(format!("subject kind {kind} has no label"));
    }
    let funds = labels("FUND_TEXT");
    let rest = parts.filter(|part| !funds.contains(part));
    found.extend(
        rest.flat_map(english_words)
            .map(|w| format!("{w} in the subject")),
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_not_words_and_codes_are() {
        let ids = "ZB-2024-0001 91990102MA0000001D 清A12345 990102********0077 2024-03-15";
        assert!(english_words(ids).is_empty());
        assert_eq!(
            english_words("不晚于paid_on，on or before"),
            ["paid_on", "on", "or", "before"]
        );
        assert_eq!(english_words("本人为村干部（member）"), ["member"]);
    }

    #[test]
    fn the_label_tables_are_read_from_the_screen_script() {
        assert!(labels("VALUE_TEXT").contains("amount_yuan"));
        assert!(labels("DATASET_TEXT").contains("bids"));
        assert!(labels("SUBJECT_TEXT").contains("ring"));
        assert_eq!(labels("FUND_TEXT").len(), 4);
    }
}
