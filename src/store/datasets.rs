//! Imported dataset rows. One table per dataset kind (`ds_contracts`, `ds_welfare_payments`,
//! ...), one record per row keyed by the row's natural key, so importing the same rows again
//! replaces them instead of adding duplicates. Rows are stored as JSON text: the store never
//! queries inside them; the rules read whole datasets into memory.

use surrealdb::types::SurrealValue;

use super::{Store, StoreError};

/// Rows committed per transaction: large enough that commits (and their fsyncs) are few,
/// small enough that a transaction's memory stays bounded on a million-row file.
const ROWS_PER_COMMIT: usize = 5_000;

#[derive(Clone, Debug, serde::Serialize, SurrealValue)]
struct RowRecord {
    id: String,
    row: String,
}

impl Store {
    /// Writes rows of dataset `kind` as `(key, json)` pairs, replacing rows with the same key.
    /// Returns how many rows were written. The rows are committed in chunks; a caller that
    /// must not be half-applied checks the whole file first (as `import` does), and a
    /// re-import of the same file after a crash completes it without duplicates.
    pub async fn put_rows(
        &self,
        kind: &str,
        rows: impl IntoIterator<Item = (String, String)>,
    ) -> Result<usize, StoreError> {
        let table = table_name(kind)?;
        let rows: Vec<RowRecord> = rows
            .into_iter()
            .map(|(id, row)| RowRecord { id, row })
            .collect();
        let query = format!(
            "DEFINE TABLE IF NOT EXISTS {table} SCHEMALESS; \
             INSERT INTO {table} $rows ON DUPLICATE KEY UPDATE row = $input.row RETURN NONE;"
        );
        for chunk in rows.chunks(ROWS_PER_COMMIT) {
            let mut response = self
                .db
                .query(format!("BEGIN; {query} COMMIT;"))
                .bind(("rows", chunk.to_vec()))
                .await?;
            if let Some(error) = super::first_error(&mut response) {
                return Err(error);
            }
        }
        Ok(rows.len())
    }

    /// Every row of dataset `kind`, as JSON text, in no particular order.
    pub async fn load_rows(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        let table = table_name(kind)?;
        let mut response = self
            .db
            .query(format!(
                "DEFINE TABLE IF NOT EXISTS {table} SCHEMALESS; SELECT VALUE row FROM {table};"
            ))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(1)?)
    }
}

/// The table of a dataset kind. Kinds are a closed set of snake_case names; anything else
/// is refused so that no caller's text is ever formatted into SurrealQL.
fn table_name(kind: &str) -> Result<String, StoreError> {
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

    #[tokio::test]
    async fn reimporting_the_same_keys_replaces_rows_instead_of_duplicating_them() {
        let store = Store::connect("mem://").await.unwrap();
        assert!(store.load_rows("vehicles").await.unwrap().is_empty());
        let rows = |n: u32| (0..n).map(move |i| (format!("k{i}"), format!("{{\"v\":{i}}}")));
        assert_eq!(
            store.put_rows("vehicles", rows(12_000)).await.unwrap(),
            12_000
        );
        assert_eq!(store.put_rows("vehicles", rows(10)).await.unwrap(), 10);
        let loaded = store.load_rows("vehicles").await.unwrap();
        assert_eq!(loaded.len(), 12_000);
        assert!(store.put_rows("ds; DELETE user", rows(1)).await.is_err());
    }
}
