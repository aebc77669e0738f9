//! 比对判别依据 in a real browser: the evidence of the demo's findings, as the village
//! tablet renders it, reads in Chinese. One finding of each rule whose evidence carried
//! English codes or new structure (the bidding rules' tables of pairs and tenders, the
//! comparisons, roles and relations, company statuses) is raised in 柳塘村, opened, and
//! its rendered evidence searched for English words; identifiers (credit codes, tender
//! and payment numbers, dates) have digits and are not words.

use std::collections::BTreeMap;

use qingfeng::domain::region::RegionCode;
use qingfeng::engine::{FindingOutcome, RuleFinding};
use qingfeng::import::{DatasetKind, parse_dataset};
use qingfeng::regions::RegionTree;
use qingfeng::rules::{Catalogue, Data, Finding, scan};
use qingfeng::workflow::Severity;
use serde_json::json;

use super::harness::with_browser;
use super::wait_stale;
use crate::helpers::{VILLAGE_LIUTANG, spawn_app};

const RULES: &[&str] = &[
    "bid_ring",
    "bid_win_outlier",
    "cover_bidder",
    "payment_before_approval",
    "welfare_cadre_relative",
    "welfare_company",
    "welfare_vehicle",
];

/// The first finding of each of [`RULES`] in the committed demo city, scanned as of its
/// day.
fn demo_findings() -> Vec<Finding> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tree = RegionTree::load(root.join("seeds/regions.csv")).expect("the demo tree");
    let known = |code: &RegionCode| tree.get(code).is_some();
    let mut rows = Vec::new();
    for kind in DatasetKind::ALL {
        let name = format!("{kind}.csv");
        let bytes = std::fs::read(qingfeng::datagen::demo::dir().join(&name)).unwrap();
        rows.extend(parse_dataset(kind, &name, &bytes, &known).unwrap().rows);
    }
    let data = Data::from_rows(qingfeng::datagen::demo::as_of(), rows);
    let catalogue = Catalogue::builtin().only(RULES).unwrap();
    let mut first: BTreeMap<String, Finding> = BTreeMap::new();
    for finding in scan(&catalogue, &data).into_iter().flat_map(|r| r.findings) {
        first.entry(finding.rule.clone()).or_insert(finding);
    }
    assert_eq!(first.len(), RULES.len(), "every rule has a demo finding");
    first.into_values().collect()
}

/// The runs of two or more ASCII letters in `text` that hold no digit.
fn english_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*')))
        .filter(|token| !token.chars().any(|c| c.is_ascii_digit()))
        .filter(|token| token.chars().filter(char::is_ascii_alphabetic).count() >= 2)
        .collect()
}

#[tokio::test]
async fn the_evidence_of_the_demo_s_findings_reads_in_chinese() {
    let app = spawn_app().await;
    let mut raised = Vec::new();
    for finding in demo_findings() {
        let outcome = app
            .engine
            .apply_finding(RuleFinding {
                rule: finding.rule.clone(),
                subject: finding.subject,
                region: RegionCode::parse(VILLAGE_LIUTANG).unwrap(),
                title: finding.title,
                summary: finding.summary,
                evidence: finding.evidence,
                severity: Severity::Medium,
                deadline_days: 30,
                reminder: false,
            })
            .await
            .unwrap();
        let FindingOutcome::Raised(id) = outcome else {
            panic!("a new subject raises a warning");
        };
        raised.push((finding.rule, id));
    }

    with_browser("evidence-in-chinese", |browser| async move {
        browser.sign_in(&app, "liutang").await;
        wait_stale(&browser, false).await;
        for (rule, id) in &raised {
            let task = format!("li[data-warning-id=\"{id}\"]");
            browser.find(&task).await;
            browser.click(&task).await;
            let text = browser
                .wait_until_with(
                    &format!("the evidence of the {rule} warning"),
                    "const h = document.querySelector('#detail h3'); \
                     const e = document.querySelector('#detail .evidence'); \
                     return h !== null && h.dataset.warningId === arguments[0] && e !== null \
                       ? e.innerText : null;",
                    vec![json!(id)],
                )
                .await;
            let text = text.as_str().unwrap_or_default();
            assert!(
                text.contains("比对数值") && text.contains("判别阈值"),
                "{text}"
            );
            let english = english_words(text);
            assert!(
                english.is_empty(),
                "{rule}: English on the screen {english:?} in:\n{text}"
            );
            // The values and thresholds, scrolled into view, are what the screenshot is for.
            let values = "document.querySelectorAll('#detail .evidence h5')[1].scrollIntoView()";
            browser.eval(values, vec![]).await;
            browser.screenshot(rule).await;
        }
        app.stop().await;
    })
    .await;
}
