//! Tests of the catalogue loader: the shipped files load, and every kind of mistake in
//! a file is refused with the file, the rule and the key named.

use super::*;
use crate::rules::CODES;

const WELFARE: &str = include_str!("../../../workflows/rules/welfare.toml");
const BIDDING: &str = include_str!("../../../workflows/rules/bidding.toml");

/// The error message of loading `text` as the welfare file.
fn welfare_error(text: &str) -> String {
    let result = Catalogue::from_files([("workflows/rules/welfare.toml", text)]);
    result.unwrap_err().to_string()
}

#[test]
fn the_shipped_catalogue_enables_every_registered_rule() {
    let catalogue = Catalogue::builtin();
    let codes: Vec<&str> = catalogue
        .entries()
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    assert_eq!(codes, CODES);
    let reminder = catalogue.get("lease_expiring").unwrap();
    assert_eq!(reminder.level, WarningLevel::Yellow);
    let others = catalogue
        .entries()
        .iter()
        .filter(|e| e.code != "lease_expiring");
    assert!(others.into_iter().all(|e| e.level == WarningLevel::Red));
}

#[test]
fn loading_the_directory_gives_the_builtin_catalogue() {
    let loaded = Catalogue::load_dir(Path::new("workflows/rules")).unwrap();
    assert_eq!(loaded, Catalogue::builtin());
}

#[test]
fn the_readme_documents_every_rule() {
    let readme = include_str!("../../../workflows/rules/README.md");
    for code in CODES {
        assert!(readme.contains(&format!("`{code}`")), "{code} missing");
    }
}

#[test]
fn a_misspelt_parameter_is_refused_with_file_rule_and_key() {
    let text = WELFARE.replace("grace_days = 0", "grace_dayz = 0");
    assert_eq!(
        welfare_error(&text),
        "workflows/rules/welfare.toml: rule welfare_deceased: params: \
         unknown field `grace_dayz`, expected `grace_days`"
    );
}

#[test]
fn a_misspelt_entry_key_is_refused_with_its_name() {
    let text = WELFARE.replacen("severity = ", "serverity = ", 1);
    let message = welfare_error(&text);
    assert!(
        message.starts_with("workflows/rules/welfare.toml: rule welfare_vehicle: "),
        "{message}"
    );
    assert!(message.contains("unknown field `serverity`"), "{message}");
}

#[test]
fn a_missing_parameter_is_refused_not_defaulted() {
    let text = WELFARE.replace("include_shareholders = true", "");
    let message = welfare_error(&text);
    assert!(
        message.contains("rule welfare_company: params:"),
        "{message}"
    );
    assert!(
        message.contains("missing field `include_shareholders`"),
        "{message}"
    );
}

#[test]
fn a_value_of_the_wrong_type_names_its_key() {
    let text = WELFARE.replace("grace_days = 0", "grace_days = \"none\"");
    let message = welfare_error(&text);
    assert!(
        message.contains("rule welfare_deceased: params:"),
        "{message}"
    );
    assert!(message.contains("grace_days"), "{message}");
}

#[test]
fn an_unknown_rule_code_lists_the_known_ones() {
    let text = format!("{WELFARE}\n[rules.welfare_yacht]\nname_zh = \"x\"\n");
    let message = welfare_error(&text);
    assert!(
        message.contains("rule welfare_yacht: unknown rule code"),
        "{message}"
    );
    assert!(message.contains("welfare_vehicle"), "{message}");
}

#[test]
fn a_rule_declared_twice_names_both_files() {
    let result = Catalogue::from_files([("a.toml", WELFARE), ("b.toml", WELFARE)]);
    let message = result.unwrap_err().to_string();
    assert!(message.starts_with("b.toml: rule welfare_"), "{message}");
    assert!(message.contains("already declared in a.toml"), "{message}");
}

#[test]
fn a_rule_in_the_wrong_domain_is_refused() {
    let text = WELFARE.replacen("domain = \"welfare\"", "domain = \"bidding\"", 1);
    let message = welfare_error(&text);
    assert!(
        message.contains("domain is bidding but the rule belongs to welfare"),
        "{message}"
    );
}

#[test]
fn parameters_out_of_range_are_refused() {
    let text = BIDDING.replace("min_ratio = 2.0", "min_ratio = 0.5");
    let result = Catalogue::from_files([("bidding.toml", text.as_str())]);
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("rule bid_win_outlier: params: min_ratio:"),
        "{message}"
    );
    let text = BIDDING.replace("max_members = 6", "max_members = 2");
    let result = Catalogue::from_files([("bidding.toml", text.as_str())]);
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("rule bid_ring: params: min_members and max_members"),
        "{message}"
    );
    let text = BIDDING.replace("fdr = 0.05 ", "fdr = 0.0 ");
    let result = Catalogue::from_files([("bidding.toml", text.as_str())]);
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("fdr: must be above 0")
    );
    let text = BIDDING.replace("max_win_rate = 0.1", "max_win_rate = 1.5");
    let result = Catalogue::from_files([("bidding.toml", text.as_str())]);
    assert!(result.unwrap_err().to_string().contains("max_win_rate"));
}

#[test]
fn an_unknown_top_level_key_or_bad_syntax_names_the_file() {
    let message = welfare_error("[rule.welfare_vehicle]\n");
    assert!(
        message.contains("unknown top-level key `rule`"),
        "{message}"
    );
    let message = welfare_error("[rules.welfare_vehicle\n");
    assert!(
        message.starts_with("workflows/rules/welfare.toml: "),
        "{message}"
    );
}

#[test]
fn a_rule_is_off_when_its_table_is_absent() {
    let catalogue = Catalogue::from_files([("bidding.toml", BIDDING)]).unwrap();
    assert!(catalogue.get("bid_ring").is_some());
    assert!(catalogue.get("welfare_vehicle").is_none());
    assert_eq!(crate::rules::build_rules(&catalogue).len(), 3);
}

#[test]
fn overrides_replace_parameters_and_are_checked_as_strictly() {
    let catalogue = Catalogue::builtin();
    let overrides: toml::Table = toml::from_str("min_wins = 4").unwrap();
    let changed = catalogue
        .with_params("bid_win_outlier", &overrides)
        .unwrap();
    let RuleParams::BidWinOutlier(params) = &changed.get("bid_win_outlier").unwrap().params else {
        panic!("wrong parameter type");
    };
    assert_eq!((params.min_wins, params.min_ratio), (4, 2.0));
    let typo: toml::Table = toml::from_str("min_winz = 4").unwrap();
    let message = catalogue
        .with_params("bid_win_outlier", &typo)
        .unwrap_err()
        .to_string();
    assert!(message.contains("unknown field `min_winz`"), "{message}");
    assert!(catalogue.only(&["no_such_rule"]).is_err());
}
