//! Importing files into the store: check every file completely, then write the rows keyed
//! by their natural key (so a re-import replaces rather than duplicates), and read whole
//! datasets back for the rules.

use crate::domain::region::RegionCode;
use crate::regions::RegionTree;
use crate::store::{RowBucket, Store, StoreError};

use super::limits::ImportLimits;
use super::rows::Row;
use super::validate::{ErrorList, parse_dataset_within};
use super::{DatasetKind, ImportErrors, ImportWarning};
use rayon::prelude::*;

/// What an import did.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub kind: DatasetKind,
    pub files: usize,
    pub rows: usize,
    /// What the uploader should know, though it did not stop the import (a credit code
    /// whose check character fails, an ignored column), each naming file, row and column.
    pub warnings: Vec<ImportWarning>,
}

/// Why an import was refused: bad files (nothing was written) or a store failure.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{0}")]
    Invalid(ImportErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportFailure {
    /// The limit a refused file crossed, if that is why it was refused.
    pub fn limit(&self) -> Option<super::limits::Limit> {
        match self {
            ImportFailure::Invalid(errors) => errors.errors().iter().find_map(|e| e.limit),
            ImportFailure::Store(_) => None,
        }
    }
}

/// Checks every file within the default [`ImportLimits`]; only if all of them are valid
/// are any rows written.
pub async fn import_files(
    store: &Store,
    regions: &RegionTree,
    kind: DatasetKind,
    files: &[(String, Vec<u8>)],
) -> Result<ImportReport, ImportFailure> {
    import_files_within(store, regions, kind, files, &ImportLimits::default()).await
}

/// Checks every file within `limits`; only if all of them are valid are any rows written,
/// and then all of them in one transaction. A file over a limit is refused with that one
/// error ([`ImportFailure::is_too_large`]).
pub async fn import_files_within(
    store: &Store,
    regions: &RegionTree,
    kind: DatasetKind,
    files: &[(String, Vec<u8>)],
    limits: &ImportLimits,
) -> Result<ImportReport, ImportFailure> {
    let (rows, warnings) = off_the_workers(|| parse_files(regions, kind, files, limits))?;
    // Serializing a million rows takes a second of CPU; spread it over the cores, off the
    // async workers.
    let records = tokio::task::spawn_blocking(move || {
        rows.par_iter()
            .with_min_len(4096)
            .map(|row| {
                let json = serde_json::to_string(row).expect("rows serialize");
                (row_key(row), json)
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("serializing rows does not panic");
    let written = store.put_rows(kind.as_str(), records).await?;
    Ok(ImportReport {
        kind,
        files: files.len(),
        rows: written,
        warnings,
    })
}

/// Reads and checks every file: the rows of all, or every problem (at most
/// `limits.max_errors` listed).
fn parse_files(
    regions: &RegionTree,
    kind: DatasetKind,
    files: &[(String, Vec<u8>)],
    limits: &ImportLimits,
) -> Result<(Vec<Row>, Vec<ImportWarning>), ImportFailure> {
    let known = |code: &RegionCode| regions.get(code).is_some();
    let first = files.first().map_or("", |(name, _)| name.as_str());
    let mut errors = ErrorList::new(first, limits.max_errors);
    let mut rows = Vec::new();
    let mut warnings: Vec<ImportWarning> = Vec::new();
    for (name, bytes) in files {
        match parse_dataset_within(kind, name, bytes, &known, limits) {
            Ok(dataset) => {
                rows.extend(dataset.rows);
                warnings.extend(dataset.warnings);
            }
            Err(bad) => errors.extend(bad.errors().iter().cloned()),
        }
    }
    if errors.is_empty() {
        Ok((rows, warnings))
    } else {
        Err(ImportFailure::Invalid(errors.finish()))
    }
}

/// Runs CPU-heavy work (reading and checking a file takes seconds for a big one) so that
/// the async worker it was called on hands its other tasks to the rest of the runtime
/// meanwhile; on a single-threaded runtime (unit tests) it simply runs.
fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// Every stored row of a kind. A stored row that no longer reads is a store fault.
pub async fn load_dataset(store: &Store, kind: DatasetKind) -> Result<Vec<Row>, StoreError> {
    let pieces = load_datasets(store, &[kind]).await?;
    Ok(pieces.into_iter().flatten().collect())
}

/// Every stored row of the given kinds, in pieces (one per stored bucket). The kinds'
/// buckets are read all at once and parsed on every core: reading a city's two million
/// rows is mostly JSON parsing. The pieces are not joined into one vector because that
/// vector alone would be over half a gigabyte of fresh memory for a city, and the caller
/// sorts the rows into per-kind vectors anyway.
pub async fn load_datasets(
    store: &Store,
    kinds: &[DatasetKind],
) -> Result<Vec<Vec<Row>>, StoreError> {
    let reads = kinds
        .iter()
        .map(|kind| store.load_row_buckets(kind.as_str()));
    let buckets: Vec<(DatasetKind, RowBucket)> = futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .zip(kinds)
        .flat_map(|(buckets, kind)| buckets.into_iter().map(|b| (*kind, b)))
        .collect();
    tokio::task::spawn_blocking(move || {
        buckets
            .par_iter()
            .with_max_len(1)
            .map(|(kind, bucket)| parse_bucket(*kind, bucket))
            .collect()
    })
    .await
    .expect("parsing rows does not panic")
}

/// The rows of one stored bucket. Each stored row carries its `kind` tag, but the bucket's
/// kind is known, so the row is read straight into its struct (the tag is skipped): going
/// through the tagged enum would buffer every row before reading it, which doubles the
/// time a scan spends loading.
fn parse_bucket(kind: DatasetKind, bucket: &RowBucket) -> Result<Vec<Row>, StoreError> {
    bucket
        .rows()
        .map(|text| {
            parse_row(kind, text?).map_err(|e| {
                StoreError::Database(format!("a stored {} row is unreadable: {e}", kind.as_str()))
            })
        })
        .collect()
}

fn parse_row(kind: DatasetKind, text: &str) -> Result<Row, serde_json::Error> {
    use serde_json::from_str;
    Ok(match kind {
        DatasetKind::Contracts => Row::Contract(from_str(text)?),
        DatasetKind::ContractPayments => Row::ContractPayment(from_str(text)?),
        DatasetKind::VillagePayments => Row::VillagePayment(from_str(text)?),
        DatasetKind::Projects => Row::Project(from_str(text)?),
        DatasetKind::WelfarePayments => Row::WelfarePayment(from_str(text)?),
        DatasetKind::Vehicles => Row::Vehicle(from_str(text)?),
        DatasetKind::Companies => Row::Company(from_str(text)?),
        DatasetKind::PublicEmployees => Row::PublicEmployee(from_str(text)?),
        DatasetKind::Cadres => Row::Cadre(from_str(text)?),
        DatasetKind::Relatives => Row::Relative(from_str(text)?),
        DatasetKind::Deaths => Row::Death(from_str(text)?),
        DatasetKind::Bids => Row::Bid(from_str(text)?),
        DatasetKind::Contacts => Row::Contact(from_str(text)?),
    })
}

/// The natural key of a row: the same columns that make a duplicate within a file.
pub fn row_key(row: &Row) -> String {
    match row {
        Row::Contract(r) => r.contract_id.clone(),
        Row::ContractPayment(r) => format!("{}|{}", r.contract_id, r.due_on),
        Row::VillagePayment(r) => r.payment_id.clone(),
        Row::Project(r) => r.project_id.clone(),
        Row::WelfarePayment(r) => r.payment_id.clone(),
        Row::Vehicle(r) => r.plate.as_str().to_string(),
        Row::Company(r) => r.uscc.as_str().to_string(),
        Row::PublicEmployee(r) => r.person_id.as_str().to_string(),
        Row::Cadre(r) => format!("{}|{}", r.person_id.as_str(), r.village_code),
        Row::Relative(r) => format!("{}|{}", r.person_id.as_str(), r.relative_id.as_str()),
        Row::Death(r) => r.person_id.as_str().to_string(),
        Row::Contact(r) => r.contact.contact_id.clone(),
        Row::Bid(r) => format!("{}|{}", r.tender_id, r.bidder_uscc.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::parse_dataset;

    fn regions() -> RegionTree {
        RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv")).unwrap()
    }

    fn template(kind: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/seeds/templates/{kind}.csv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn a_valid_file_is_stored_once_even_when_imported_twice() {
        let store = Store::connect("mem://").await.unwrap();
        let files = vec![("vehicles.csv".to_string(), template("vehicles"))];
        let report = import_files(&store, &regions(), DatasetKind::Vehicles, &files)
            .await
            .unwrap();
        assert_eq!(report.rows, 2);
        import_files(&store, &regions(), DatasetKind::Vehicles, &files)
            .await
            .unwrap();
        let rows = load_dataset(&store, DatasetKind::Vehicles).await.unwrap();
        assert_eq!(rows.len(), 2);
    }

    #[tokio::test]
    async fn every_kind_reads_back_from_the_store_as_it_was_imported() {
        let store = Store::connect("mem://").await.unwrap();
        let tree = regions();
        let known = |code: &RegionCode| tree.get(code).is_some();
        for kind in DatasetKind::ALL {
            let name = format!("{}.csv", kind.as_str());
            let bytes = template(kind.as_str());
            let parsed = parse_dataset(kind, &name, &bytes, &known).unwrap().rows;
            assert!(!parsed.is_empty(), "{kind}");
            import_files(&store, &tree, kind, &[(name, bytes)])
                .await
                .unwrap();
            let mut loaded = load_dataset(&store, kind).await.unwrap();
            loaded.sort_by_key(Row::source_row);
            assert_eq!(loaded, parsed, "{kind}");
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/imports/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn an_early_credit_code_is_stored_and_reported_as_a_warning() {
        let store = Store::connect("mem://").await.unwrap();
        let name = "companies_early_code.csv";
        let files = vec![(name.to_string(), fixture(name))];
        let report = import_files(&store, &regions(), DatasetKind::Companies, &files)
            .await
            .unwrap();
        assert_eq!(report.rows, 2);
        assert_eq!(
            report.warnings,
            [ImportWarning {
                file: name.into(),
                row: 2,
                column: "uscc".into(),
                value: "91990102MA0000001E".into(),
                message: "unified social credit code 91990102MA0000001E: \
                          check character E, expected D; early codes may fail the check"
                    .into(),
            }]
        );
        // The stored row reads back with its code as given, for the rules to use.
        let rows = load_dataset(&store, DatasetKind::Companies).await.unwrap();
        let early = rows.iter().find_map(|row| match row {
            Row::Company(c) if !c.uscc.check_ok() => Some(c.uscc.as_str().to_owned()),
            _ => None,
        });
        assert_eq!(early.as_deref(), Some("91990102MA0000001E"));
    }

    #[tokio::test]
    async fn a_malformed_credit_code_refuses_the_file() {
        let store = Store::connect("mem://").await.unwrap();
        let name = "companies_malformed_code.csv";
        let files = vec![(name.to_string(), fixture(name))];
        let err = import_files(&store, &regions(), DatasetKind::Companies, &files)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "companies_malformed_code.csv row 2 column uscc: unified social credit code \
             91990102MA000001D: must be 18 characters, found 17"
        );
        assert!(
            load_dataset(&store, DatasetKind::Companies)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn one_bad_file_refuses_the_whole_import_and_writes_nothing() {
        let store = Store::connect("mem://").await.unwrap();
        let good = template("vehicles");
        let bad = String::from_utf8(good.clone()).unwrap().replace("99", "98");
        let files = vec![
            ("good.csv".to_string(), good),
            ("bad.csv".to_string(), bad.into_bytes()),
        ];
        let err = import_files(&store, &regions(), DatasetKind::Vehicles, &files)
            .await
            .unwrap_err();
        let ImportFailure::Invalid(errors) = err else {
            panic!("{err}")
        };
        assert!(
            errors.errors().iter().all(|e| e.file == "bad.csv"),
            "{errors}"
        );
        assert!(
            load_dataset(&store, DatasetKind::Vehicles)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
