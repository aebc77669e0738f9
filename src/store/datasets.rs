//! Imported dataset rows, stored in hash buckets.
//!
//! # Layout
//!
//! One table per dataset kind (`ds_contracts`, `ds_welfare_payments`, ...). A row's bucket
//! is the FNV-1a hash of its natural key modulo [`BUCKETS`]; each non-empty bucket is one
//! record `ds_<kind>:⟨bucket⟩ {rows: string}` whose text holds the bucket's rows, one per
//! line, sorted by key:
//!
//! ```text
//! "KEY"<TAB>{row json}\n
//! ```
//!
//! The key is written as a JSON string, so it never contains a raw tab or newline and the
//! first tab of a line ends it; the row is compact JSON, which never contains a raw newline.
//!
//! # Why buckets
//!
//! SurrealDB pays a fixed cost per record on every write and read (key encoding, document
//! processing, value conversion) that dwarfs the cost of the bytes of a small row: a
//! million one-row records took over ten seconds to read back. A thousand bucket records
//! of a thousand rows each cost one string copy apiece.
//!
//! # Keeping re-imports idempotent
//!
//! A row's key always hashes to the same bucket, so writing rows is a read-merge-write of
//! the buckets they fall into: the bucket's rows are read, rows with the same key are
//! replaced, new keys are added, and the bucket is written back. All the buckets of one
//! import are read and written inside one interactive transaction: an import that fails
//! part-way writes nothing, and an import running at the same time cannot lose the other's
//! rows (the database refuses the later commit instead).
//! [`BUCKETS`] is part of the stored format: changing it would scatter existing keys into
//! other buckets, so it never changes without a migration.

use std::collections::BTreeMap;

use surrealdb::engine::any::Any;
use surrealdb::method::Transaction;
use surrealdb::types::SurrealValue;

use super::{Store, StoreError};

/// How many buckets each dataset kind is hashed into. A million-row dataset makes about a
/// thousand rows (a few hundred kilobytes) per bucket; a small one makes many buckets of
/// a row or two, which costs nothing.
pub const BUCKETS: u64 = 1024;

/// Buckets read, merged and written per query of an import's one transaction, so that no
/// single message to a SurrealDB server carries more than tens of megabytes.
const BUCKETS_PER_QUERY: usize = 128;

/// Range reads a whole dataset is loaded with, run at once.
const LOAD_RANGES: u64 = 4;

#[derive(Clone, Debug, SurrealValue)]
pub(super) struct BucketRecord {
    pub(super) id: i64,
    pub(super) rows: String,
}

/// The stored text of one bucket of rows; [`RowBucket::rows`] walks its rows' JSON.
#[derive(Clone, Debug, Default)]
pub struct RowBucket {
    text: String,
}

impl RowBucket {
    /// The JSON text of each row in the bucket, in key order.
    pub fn rows(&self) -> impl Iterator<Item = Result<&str, StoreError>> {
        lines(&self.text).map(|line| line.map(|(_, row)| row))
    }

    /// How many rows the bucket holds.
    pub fn len(&self) -> usize {
        self.text.bytes().filter(|&b| b == b'\n').count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl Store {
    /// Writes rows of dataset `kind` as `(key, json)` pairs, replacing rows with the same key.
    /// Returns how many rows were given. All of them are written in one transaction, so an
    /// import that fails part-way (a store error, the process stopped) leaves nothing.
    pub async fn put_rows(
        &self,
        kind: &str,
        rows: impl IntoIterator<Item = (String, String)>,
    ) -> Result<usize, StoreError> {
        self.put_rows_failing_after(kind, rows, None).await
    }

    /// [`Store::put_rows`], failing after `fail_after` groups of buckets have been written
    /// inside the transaction: how tests show that a failure part-way writes nothing.
    #[doc(hidden)]
    pub async fn put_rows_failing_after(
        &self,
        kind: &str,
        rows: impl IntoIterator<Item = (String, String)>,
        fail_after: Option<usize>,
    ) -> Result<usize, StoreError> {
        let table = table_name(kind)?;
        let (count, buckets) = into_buckets(kind, rows)?;
        self.db
            .query(format!("DEFINE TABLE IF NOT EXISTS {table} SCHEMALESS;"))
            .await?
            .check()?;
        let transaction = self.db.clone().begin().await?;
        for (done, group) in buckets.chunks(BUCKETS_PER_QUERY).enumerate() {
            let merged = match fail_after {
                Some(after) if done >= after => Err(StoreError::Database(format!(
                    "failing on purpose after {after} groups of buckets"
                ))),
                _ => merge_buckets(&transaction, &table, group).await,
            };
            if let Err(error) = merged {
                let _ = transaction.cancel().await;
                return Err(error);
            }
        }
        transaction.commit().await?;
        Ok(count)
    }

    /// Every bucket of dataset `kind`, in bucket order. The bucket range is read as
    /// [`LOAD_RANGES`] range reads at once, so the database decodes them on several cores.
    pub async fn load_row_buckets(&self, kind: &str) -> Result<Vec<RowBucket>, StoreError> {
        let table = table_name(kind)?;
        self.db
            .query(format!("DEFINE TABLE IF NOT EXISTS {table} SCHEMALESS;"))
            .await?
            .check()?;
        let span = BUCKETS.div_ceil(LOAD_RANGES);
        let reads = (0..LOAD_RANGES).map(|part| {
            let query = format!("SELECT VALUE rows FROM type::record('{table}', $first..$end);");
            let first = (part * span) as i64;
            let end = ((part + 1) * span).min(BUCKETS) as i64;
            async move {
                let mut response = self
                    .db
                    .query(query)
                    .bind(("first", first))
                    .bind(("end", end))
                    .await?;
                if let Some(error) = super::first_error(&mut response) {
                    return Err(error);
                }
                let texts: Vec<String> = response.take(0)?;
                Ok::<_, StoreError>(texts)
            }
        });
        let parts = futures::future::try_join_all(reads).await?;
        Ok(parts
            .into_iter()
            .flatten()
            .map(|text| RowBucket { text })
            .collect())
    }

    /// Every row of dataset `kind` as JSON text, in no particular order.
    pub async fn load_rows(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        let mut rows = Vec::new();
        for bucket in self.load_row_buckets(kind).await? {
            for row in bucket.rows() {
                rows.push(row?.to_owned());
            }
        }
        Ok(rows)
    }
}

/// Rows grouped by bucket (in bucket order), and how many there are.
type Buckets = Vec<(u64, Vec<(String, String)>)>;

fn into_buckets(
    kind: &str,
    rows: impl IntoIterator<Item = (String, String)>,
) -> Result<(usize, Buckets), StoreError> {
    let mut count = 0;
    let mut buckets: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
    for (key, row) in rows {
        if row.contains('\n') {
            return Err(StoreError::Database(format!(
                "a {kind} row must be one line of JSON; the row of key {key:?} is not"
            )));
        }
        let key = serde_json::to_string(&key).expect("a string serializes");
        buckets.entry(bucket_of(&key)).or_default().push((key, row));
        count += 1;
    }
    Ok((count, buckets.into_iter().collect()))
}

/// Reads, merges and writes back one group of buckets inside `transaction`.
async fn merge_buckets(
    transaction: &Transaction<Any>,
    table: &str,
    group: &[(u64, Vec<(String, String)>)],
) -> Result<(), StoreError> {
    // The group's buckets are in order, so one range read finds every one that exists.
    let first = group.first().map_or(0, |(b, _)| *b as i64);
    let last = group.last().map_or(0, |(b, _)| *b as i64);
    let mut response = transaction
        .query(format!(
            "SELECT meta::id(id) AS id, rows FROM type::record('{table}', $first..=$last);"
        ))
        .bind(("first", first))
        .bind(("last", last))
        .await?;
    if let Some(error) = super::first_error(&mut response) {
        return Err(error);
    }
    let existing: Vec<BucketRecord> = response.take(0)?;
    let mut existing: BTreeMap<i64, String> =
        existing.into_iter().map(|r| (r.id, r.rows)).collect();
    let mut merged = Vec::with_capacity(group.len());
    for (bucket, new_rows) in group {
        let id = *bucket as i64;
        let old = existing.remove(&id).unwrap_or_default();
        let rows = merge(&old, new_rows)?;
        merged.push(BucketRecord { id, rows });
    }
    let mut response = transaction
        .query(format!(
            "INSERT INTO {table} $buckets ON DUPLICATE KEY UPDATE rows = $input.rows \
             RETURN NONE;"
        ))
        .bind(("buckets", merged))
        .await?;
    if let Some(error) = super::first_error(&mut response) {
        return Err(error);
    }
    Ok(())
}

/// The bucket of an encoded key: FNV-1a, a hash fixed by its definition (unlike the
/// standard library's, which may change between Rust releases).
pub(super) fn bucket_of(encoded_key: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in encoded_key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash % BUCKETS
}

/// The `(encoded key, row)` of each line of a bucket's text.
pub(super) fn lines(text: &str) -> impl Iterator<Item = Result<(&str, &str), StoreError>> {
    text.split_terminator('\n').map(|line| {
        line.split_once('\t').ok_or_else(|| {
            StoreError::Database("a stored dataset bucket has a line without a key".into())
        })
    })
}

/// A bucket's text with `new_rows` (encoded key, row) replacing or joining its rows.
fn merge(old: &str, new_rows: &[(String, String)]) -> Result<String, StoreError> {
    let mut rows: BTreeMap<&str, &str> = BTreeMap::new();
    for line in lines(old) {
        let (key, row) = line?;
        rows.insert(key, row);
    }
    for (key, row) in new_rows {
        rows.insert(key, row);
    }
    let size: usize = rows.iter().map(|(k, r)| k.len() + r.len() + 2).sum();
    let mut text = String::with_capacity(size);
    for (key, row) in rows {
        text.push_str(key);
        text.push('\t');
        text.push_str(row);
        text.push('\n');
    }
    Ok(text)
}

/// The table of a dataset kind. Kinds are a closed set of snake_case names; anything else
/// is refused so that no caller's text is ever formatted into SurrealQL.
pub(super) fn table_name(kind: &str) -> Result<String, StoreError> {
    let plain = !kind.is_empty()
        && kind.len() <= 40
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !plain {
        return Err(StoreError::Database(format!(
            "{kind:?} is not a dataset kind"
        )));
    }
    Ok(format!("ds_{kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all_rows(store: &Store, kind: &str) -> Vec<String> {
        let mut rows = store.load_rows(kind).await.unwrap();
        rows.sort();
        rows
    }

    #[tokio::test]
    async fn reimporting_the_same_keys_replaces_rows_instead_of_duplicating_them() {
        let store = Store::connect("mem://").await.unwrap();
        assert!(store.load_row_buckets("vehicles").await.unwrap().is_empty());
        let rows = |n: u32, v: u32| {
            (0..n).map(move |i| (format!("k{i}"), format!("{{\"v\":{i},\"w\":{v}}}")))
        };
        assert_eq!(
            store.put_rows("vehicles", rows(12_000, 1)).await.unwrap(),
            12_000
        );
        assert_eq!(store.put_rows("vehicles", rows(10, 2)).await.unwrap(), 10);
        let loaded = all_rows(&store, "vehicles").await;
        assert_eq!(loaded.len(), 12_000);
        assert_eq!(
            loaded.iter().filter(|r| r.ends_with(",\"w\":2}")).count(),
            10
        );
        assert!(loaded.contains(&"{\"v\":3,\"w\":2}".to_owned()));
        assert!(loaded.contains(&"{\"v\":11,\"w\":1}".to_owned()));
        assert!(store.put_rows("ds; DELETE user", rows(1, 1)).await.is_err());
    }

    #[tokio::test]
    async fn keys_with_tabs_quotes_and_newlines_stay_distinct_and_rows_with_newlines_are_refused() {
        let store = Store::connect("mem://").await.unwrap();
        let keys = ["a\tb", "a\"b", "a\nb", "a b", "a\\b", "甲\t乙"];
        let rows = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ((*k).to_owned(), format!("{{\"i\":{i},\"t\":\"x\ty\"}}")));
        assert_eq!(store.put_rows("deaths", rows).await.unwrap(), keys.len());
        let again = [("a\tb".to_owned(), "{\"i\":9}".to_owned())];
        store.put_rows("deaths", again).await.unwrap();
        let loaded = all_rows(&store, "deaths").await;
        assert_eq!(loaded.len(), keys.len(), "{loaded:?}");
        assert!(loaded.contains(&"{\"i\":9}".to_owned()));
        assert!(!loaded.contains(&"{\"i\":0,\"t\":\"x\ty\"}".to_owned()));
        let bad = [("k".to_owned(), "{\n}".to_owned())];
        assert!(store.put_rows("deaths", bad).await.is_err());
        assert_eq!(all_rows(&store, "deaths").await.len(), keys.len());
    }

    #[tokio::test]
    async fn an_import_that_fails_part_way_writes_nothing() {
        let store = Store::connect("mem://").await.unwrap();
        let rows = |v: u32| (0..20_000).map(move |i| (format!("k{i}"), format!("{{\"v\":{v}}}")));
        store.put_rows("deaths", rows(1)).await.unwrap();
        // Every bucket is touched, so the rows are written in several groups; the failure
        // comes after three of them were written inside the transaction.
        let failed = store
            .put_rows_failing_after("deaths", rows(2), Some(3))
            .await;
        assert!(failed.is_err());
        let loaded = all_rows(&store, "deaths").await;
        assert_eq!(loaded.len(), 20_000);
        assert!(
            loaded.iter().all(|row| row == "{\"v\":1}"),
            "a row of the failed import"
        );
        let fresh = store
            .put_rows_failing_after("vehicles", rows(3), Some(1))
            .await;
        assert!(fresh.is_err());
        assert!(all_rows(&store, "vehicles").await.is_empty());
    }

    #[test]
    fn the_bucket_hash_is_fixed_by_its_definition() {
        // FNV-1a of "\"k1\"" (the encoded key) — a changed hash would strand stored rows.
        assert_eq!(bucket_of("\"k1\""), 0x9cd3_2883_d938_2379_u64 % BUCKETS);
        assert!((0..10_000).all(|i| bucket_of(&format!("\"{i}\"")) < BUCKETS));
    }
}
