//! Fixture-driven tests of the rules, all through one helper, [`check_case`].
//!
//! A case is a directory of `tests/fixtures/rules/`: dataset files named by their kind
//! (`welfare_payments.csv`, `vehicles.csv`, …) with the templates' English headers, a
//! `case.toml` (`as_of`, the `rules` to run, optional `[params.<rule>]` overrides) and
//! `expected.json` (the counts of each rule and the findings' rule, subject and region).
//! The files go through the real import, so a case also proves that what a department
//! uploads reaches the rules as intended. On a mismatch the helper prints the actual
//! JSON, so a new case is written by reasoning out the expectation and comparing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{CODES, Catalogue, Data, RuleReport, scan};
use crate::import::value::PartyId;
use crate::import::{DatasetKind, Row, parse_dataset};
use crate::regions::RegionTree;

/// `case.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    as_of: chrono::NaiveDate,
    rules: Vec<String>,
    #[serde(default)]
    params: BTreeMap<String, toml::Table>,
}

fn tree() -> &'static RegionTree {
    static TREE: OnceLock<RegionTree> = OnceLock::new();
    TREE.get_or_init(|| {
        RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))
            .expect("the demo region tree loads")
    })
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Every row of every dataset file in `dir`, through the real import.
fn load_rows(dir: &Path) -> Vec<Row> {
    let tree = tree();
    let mut rows = Vec::new();
    for kind in DatasetKind::ALL {
        let name = format!("{kind}.csv");
        let Ok(bytes) = std::fs::read(dir.join(&name)) else {
            continue;
        };
        match parse_dataset(kind, &name, &bytes, &|code| tree.get(code).is_some()) {
            Ok(dataset) => rows.extend(dataset.rows),
            Err(errors) => panic!("{}: {name} does not import:\n{errors}", dir.display()),
        }
    }
    rows
}

/// The case's settings and data.
fn load_case(name: &str) -> (Case, Data) {
    let dir = fixtures().join(name);
    let text = std::fs::read_to_string(dir.join("case.toml"))
        .unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
    let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
    let data = Data::from_rows(case.as_of, load_rows(&dir));
    (case, data)
}

/// Runs the case `name` and compares the outcome with its `expected.json`.
fn check_case(name: &str) {
    let (case, data) = load_case(name);
    let codes: Vec<&str> = case.rules.iter().map(String::as_str).collect();
    let mut catalogue = Catalogue::builtin()
        .only(&codes)
        .expect("the case's rules exist");
    for (rule, overrides) in &case.params {
        catalogue = catalogue
            .with_params(rule, overrides)
            .unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
    }
    let reports = scan(&catalogue, &data);
    check_invariants(&data, &reports);
    let actual = outcome(&reports);
    let path = fixtures().join(name).join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let expected: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if actual != expected {
        let shown = serde_json::to_string_pretty(&actual).unwrap_or_default();
        panic!("case {name}: the outcome differs from expected.json; actual:\n{shown}");
    }
}

/// What `expected.json` holds: counts per rule and the findings' keys, sorted.
fn outcome(reports: &[RuleReport]) -> Value {
    let counts: serde_json::Map<String, Value> = reports
        .iter()
        .map(|r| {
            let counts =
                json!({"checked": r.checked, "flagged": r.flagged, "not_judged": r.not_judged});
            (r.rule.clone(), counts)
        })
        .collect();
    let mut findings: Vec<(&str, &str, &str)> = reports
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| (f.rule.as_str(), f.subject.as_str(), f.region.as_str()))
        .collect();
    findings.sort();
    let findings: Vec<Value> = findings
        .into_iter()
        .map(|(rule, subject, region)| json!({"rule": rule, "subject": subject, "region": region}))
        .collect();
    json!({"counts": counts, "findings": findings})
}

/// Every resident ID in the data, which no title, summary or evidence may show in full.
fn resident_ids(data: &Data) -> BTreeSet<String> {
    let mut ids: Vec<&str> = Vec::new();
    ids.extend(
        data.welfare_payments
            .iter()
            .map(|r| r.recipient_id.as_str()),
    );
    ids.extend(data.vehicles.iter().map(|r| r.owner_id.as_str()));
    for company in &data.companies {
        ids.push(company.legal_rep_id.as_str());
        ids.extend(company.shareholder_ids.iter().map(|id| id.as_str()));
    }
    ids.extend(data.public_employees.iter().map(|r| r.person_id.as_str()));
    ids.extend(data.cadres.iter().map(|r| r.person_id.as_str()));
    for pair in &data.relatives {
        ids.extend([pair.person_id.as_str(), pair.relative_id.as_str()]);
    }
    ids.extend(data.deaths.iter().map(|r| r.person_id.as_str()));
    let parties = data.contracts.iter().map(|c| &c.counterparty_id);
    let parties = parties.chain(data.village_payments.iter().map(|p| &p.payee_id));
    for party in parties {
        if let PartyId::Person(id) = party {
            ids.push(id.as_str());
        }
    }
    ids.into_iter().map(str::to_owned).collect()
}

/// What holds for every report whatever the case: counts agree with the findings, the
/// evidence has its four parts, no resident ID is shown unmasked, and nothing a screen
/// shows of it is in English.
fn check_invariants(data: &Data, reports: &[RuleReport]) {
    let ids = resident_ids(data);
    for report in reports {
        assert_eq!(
            report.flagged as usize,
            report.findings.len(),
            "{}",
            report.rule
        );
        for finding in &report.findings {
            assert_eq!(finding.rule, report.rule);
            let evidence = &finding.evidence;
            let compared = evidence["compared"].as_array().map_or(0, Vec::len);
            assert!(compared > 0, "{}: nothing compared", finding.subject);
            assert!(evidence["values"].is_object() && evidence["threshold"].is_object());
            assert!(evidence["basis"].as_str().is_some_and(|b| !b.is_empty()));
            let shown = format!("{} {} {}", finding.title, finding.summary, evidence);
            if let Some(id) = ids.iter().find(|id| shown.contains(id.as_str())) {
                panic!(
                    "{}: shows the resident ID {id} in full: {shown}",
                    report.rule
                );
            }
            let english = super::screen_words::english_on_screen(finding);
            assert!(
                english.is_empty(),
                "{}: English on a screen: {english:#?}",
                finding.subject
            );
        }
    }
}

/// One test per case directory; [`every_case_directory_has_a_test`] keeps the list whole.
macro_rules! cases {
    ($($name:ident,)*) => {
        const CASES: &[&str] = &[$(stringify!($name),)*];
        $(#[test] fn $name() { check_case(stringify!($name)); })*
    };
}

cases! {
    contract_payment_overdue_flags,
    contract_payment_overdue_clear,
    payment_before_approval_flags,
    payment_before_approval_clear,
    payment_over_limit_flags,
    payment_over_limit_clear,
    lease_over_limit_flags,
    lease_over_limit_clear,
    tender_required_flags,
    tender_required_clear,
    disclosure_late_flags,
    disclosure_late_clear,
    lease_expiring_flags,
    lease_expiring_clear,
    welfare_vehicle_flags,
    welfare_vehicle_clear,
    welfare_vehicle_not_judged,
    welfare_company_flags,
    welfare_company_clear,
    welfare_public_employee_flags,
    welfare_public_employee_clear,
    welfare_cadre_relative_flags,
    welfare_cadre_relative_clear,
    welfare_deceased_flags,
    welfare_deceased_clear,
    welfare_duplicate_flags,
    welfare_duplicate_clear,
    bid_win_outlier_flags,
    bid_win_outlier_clear,
    bid_ring_flags,
    bid_ring_clear,
    cover_bidder_flags,
    cover_bidder_clear,
}

#[test]
fn every_case_directory_has_a_test() {
    let mut dirs: Vec<String> = std::fs::read_dir(fixtures())
        .expect("the fixtures directory exists")
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
        .collect();
    dirs.sort();
    let mut listed: Vec<&str> = CASES.to_vec();
    listed.sort();
    assert_eq!(dirs, listed);
}

#[test]
fn every_rule_has_a_case_that_flags_and_one_that_does_not() {
    // A public report is never found in the datasets: no fixture can flag it.
    let from_datasets = CODES
        .iter()
        .filter(|code| super::RuleParams::domain_of(code) != Some(crate::rules::Domain::Public));
    for code in from_datasets {
        let flagged = |name: &&str| {
            let path = fixtures().join(name).join("expected.json");
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let expected: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            expected["counts"][code]["flagged"].as_u64()
        };
        let outcomes: Vec<u64> = CASES.iter().filter_map(flagged).collect();
        assert!(outcomes.iter().any(|&n| n > 0), "{code}: no case flags");
        assert!(outcomes.contains(&0), "{code}: no case stays clear");
    }
}

#[test]
fn every_rule_runs_on_all_fixtures_at_once() {
    let rows = CASES
        .iter()
        .flat_map(|name| load_rows(&fixtures().join(name)));
    let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
    let data = Data::from_rows(date, rows);
    let reports = scan(&Catalogue::builtin(), &data);
    let codes: Vec<&str> = reports.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(codes, CODES);
    check_invariants(&data, &reports);
}

#[test]
fn no_data_gives_no_findings() {
    let reports = scan(&Catalogue::builtin(), &Data::default());
    for report in reports {
        assert!(
            report.findings.is_empty() && report.checked == 0,
            "{}",
            report.rule
        );
        assert_eq!(report.not_judged, 0, "{}", report.rule);
    }
}

#[test]
fn a_welfare_finding_reads_as_one_masked_sentence_with_its_evidence() {
    let (_, data) = load_case("welfare_vehicle_flags");
    let catalogue = Catalogue::builtin().only(&["welfare_vehicle"]).unwrap();
    let report = scan(&catalogue, &data).remove(0);
    let finding = &report.findings[0];
    assert_eq!(finding.title, "低保对象名下有车辆");
    assert_eq!(
        finding.summary,
        "赵六（990102********0077）2024-03领取低保1300.00元，\
         发放时名下有车辆清A12345（2021-06-18登记）。"
    );
    assert_eq!(
        finding.evidence["compared"],
        json!([
            {"dataset": "welfare_payments", "key": "DB-1", "row": 2},
            {"dataset": "welfare_payments", "key": "DB-2", "row": 3},
            {"dataset": "vehicles", "key": "清A12345", "row": 2},
        ])
    );
    assert_eq!(
        finding.evidence["threshold"]["funds"],
        json!(["低保", "特困供养"])
    );
    assert!(
        finding.evidence["basis"]
            .as_str()
            .unwrap()
            .contains("民发〔2021〕57号")
    );
}

#[test]
fn a_cadre_finding_shows_english_codes_as_chinese_words() {
    // The fixture's cadres file says `secretary` and its relatives file `mother` and
    // `spouse`, as a file filled in from codes does.
    let (_, data) = load_case("welfare_cadre_relative_flags");
    let catalogue = Catalogue::builtin()
        .only(&["welfare_cadre_relative"])
        .unwrap();
    let report = scan(&catalogue, &data).remove(0);
    let summaries: Vec<&str> = report.findings.iter().map(|f| f.summary.as_str()).collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("本人为村干部（村党支部书记）"))
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("（村党支部书记）系亲属（母亲）"))
    );
    assert!(summaries.iter().any(|s| s.contains("系亲属（配偶）")));
    let ties = &report.findings[0].evidence["values"]["cadre_ties"][0];
    assert_eq!(
        (&ties["role"], &ties["relation"]),
        (&json!("村党支部书记"), &json!("母亲"))
    );
}
