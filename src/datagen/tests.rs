//! The generator against the real importer and the shipped rule catalogue: clean cities
//! raise nothing, planted cities raise exactly their plants, and the committed demo files
//! are what the generator makes.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::{GenConfig, Generated, Sizes, demo, generate, table, villages};
use crate::import::{DatasetKind, parse_dataset};
use crate::regions::RegionTree;
use crate::rules::{Catalogue, Data, scan};

fn tree() -> &'static RegionTree {
    static TREE: OnceLock<RegionTree> = OnceLock::new();
    TREE.get_or_init(|| {
        RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv"))
            .expect("the demo region tree loads")
    })
}

fn config(seed: u64, sizes: Sizes, plant: bool) -> GenConfig {
    GenConfig {
        seed,
        as_of: demo::as_of(),
        villages: villages(tree()),
        sizes,
        plant,
    }
}

/// Every file through the real import, as the rules receive it. A generated file
/// imports without a warning (every credit code passes its check).
fn import(generated: &Generated, as_of: chrono::NaiveDate) -> Data {
    let known = |code: &_| tree().get(code).is_some();
    let mut rows = Vec::new();
    for (kind, text) in &generated.files {
        let name = format!("{kind}.csv");
        match parse_dataset(*kind, &name, text.as_bytes(), &known) {
            Ok(dataset) => {
                assert!(
                    dataset.warnings.is_empty(),
                    "{name}: {:?}",
                    dataset.warnings
                );
                rows.extend(dataset.rows);
            }
            Err(errors) => panic!("{name} does not import:\n{errors}"),
        }
    }
    Data::from_rows(as_of, rows)
}

type Keys = BTreeSet<(String, String)>;

/// The (rule, subject) of every finding of the shipped catalogue.
fn found(generated: &Generated, as_of: chrono::NaiveDate) -> Keys {
    let data = import(generated, as_of);
    let reports = scan(&Catalogue::builtin(), &data);
    let findings = reports.into_iter().flat_map(|r| r.findings);
    findings.map(|f| (f.rule, f.subject)).collect()
}

fn planted(generated: &Generated) -> Keys {
    generated.truth.iter().map(|p| p.key()).collect()
}

/// Fails listing what was flagged but not planted and what was planted but not flagged.
fn assert_same(found: &Keys, planted: &Keys, what: &str) {
    let extra: Vec<_> = found.difference(planted).collect();
    let missed: Vec<_> = planted.difference(found).collect();
    assert!(
        extra.is_empty() && missed.is_empty(),
        "{what}: flagged but not planted: {extra:#?}\nplanted but not flagged: {missed:#?}"
    );
}

#[test]
fn the_same_config_gives_byte_identical_files() {
    let config = config(11, Sizes::demo(), true);
    assert_eq!(generate(&config), generate(&config));
    let other = GenConfig {
        seed: 12,
        ..config.clone()
    };
    assert_ne!(generate(&config).files, generate(&other).files);
}

#[test]
fn every_file_has_the_header_of_its_template() {
    let generated = generate(&config(3, Sizes::city(2_000), true));
    for (kind, text) in &generated.files {
        let path = format!("{}/seeds/templates/{kind}.csv", env!("CARGO_MANIFEST_DIR"));
        let template = std::fs::read_to_string(path).expect("the template exists");
        let first = |text: &str| text.lines().next().unwrap_or_default().to_owned();
        assert_eq!(first(text), first(&template), "{kind}");
        assert_eq!(first(text), table::header(*kind).join(","));
    }
}

#[test]
fn a_clean_city_triggers_no_rule() {
    for seed in [1, 2, 3] {
        let config = config(seed, Sizes::demo(), false);
        let generated = generate(&config);
        assert!(generated.truth.is_empty());
        let found = found(&generated, config.as_of);
        assert_same(&found, &Keys::new(), &format!("clean city, seed {seed}"));
    }
}

#[test]
fn every_planted_anomaly_is_found_and_nothing_else() {
    for seed in [1, 2, 3] {
        let config = config(seed, Sizes::demo(), true);
        let generated = generate(&config);
        let found = found(&generated, config.as_of);
        assert_same(&found, &planted(&generated), &format!("seed {seed}"));
    }
}

#[test]
fn a_city_of_another_size_also_raises_exactly_its_plants() {
    let config = config(5, Sizes::city(20_000), true);
    let generated = generate(&config);
    let found = found(&generated, config.as_of);
    assert_same(&found, &planted(&generated), "a city of 20,000 payments");
}

#[test]
fn every_rule_of_the_catalogue_has_at_least_two_plants_with_a_note() {
    let generated = generate(&config(1, Sizes::demo(), true));
    // Reports from the public are not in any dataset, so nothing can be planted for them.
    let catalogue = Catalogue::builtin();
    let from_datasets = catalogue
        .entries()
        .iter()
        .filter(|e| e.domain != crate::rules::Domain::Public);
    for entry in from_datasets {
        let plants: Vec<_> = generated
            .truth
            .iter()
            .filter(|p| p.rule == entry.code)
            .collect();
        assert!(plants.len() >= 2, "{}: {} plants", entry.code, plants.len());
        assert!(
            plants
                .iter()
                .all(|p| p.note.chars().any(|c| c > '\u{4E00}'))
        );
    }
}

#[test]
fn a_committed_demo_dataset_matches_its_generator() {
    let generated = generate(&demo::config(tree()));
    let dir = demo::dir();
    let bless = std::env::var("QINGFENG_BLESS_DEMO").is_ok_and(|v| v == "1");
    for (name, text) in demo::files(&generated) {
        let path = dir.join(&name);
        if bless {
            std::fs::create_dir_all(&dir).expect("seeds/demo can be created");
            std::fs::write(&path, &text).expect("the demo file can be written");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "seeds/demo/{name} differs from what the generator makes; if the change is \
             intended, regenerate with `QINGFENG_BLESS_DEMO=1 cargo test --lib datagen`"
        );
    }
    let expected: BTreeSet<String> = DatasetKind::ALL
        .iter()
        .map(|k| format!("{k}.csv"))
        .chain([demo::TRUTH_FILE.to_owned()])
        .collect();
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("seeds/demo exists")
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
        .filter(|name| name.ends_with(".csv"))
        .collect();
    assert_eq!(
        present, expected,
        "seeds/demo holds exactly the generated CSV files"
    );
}

#[test]
fn nothing_a_screen_shows_of_the_demo_s_findings_is_in_english() {
    let config = demo::config(tree());
    let data = import(&generate(&config), config.as_of);
    let reports = scan(&Catalogue::builtin(), &data);
    let findings: Vec<_> = reports.iter().flat_map(|r| &r.findings).collect();
    assert!(!findings.is_empty());
    for finding in findings {
        let english = crate::rules::screen_words::english_on_screen(finding);
        assert!(
            english.is_empty(),
            "{} {}: English on a screen: {english:#?}",
            finding.rule,
            finding.subject
        );
    }
}

/// The benchmark's city; slow in a debug build, so run on demand:
/// `cargo test --release --lib datagen -- --ignored`.
#[test]
#[ignore]
fn a_city_of_a_million_payments_raises_exactly_its_plants() {
    let config = config(1, Sizes::city(1_000_000), true);
    let generated = generate(&config);
    let found = found(&generated, config.as_of);
    assert_same(&found, &planted(&generated), "a city of 1,000,000 payments");
}
