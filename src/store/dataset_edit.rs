//! Removing one row of a dataset by its key (a contact the city office deletes). Rows are
//! kept in hash buckets (see `datasets`), so a removal rewrites the one bucket the key
//! falls in, inside a transaction.

use super::datasets::{BucketRecord, bucket_of, lines, table_name};
use super::{Store, StoreError};

impl Store {
    /// Removes the row of `kind` with natural key `key`; false if there was none.
    pub async fn delete_row(&self, kind: &str, key: &str) -> Result<bool, StoreError> {
        let table = table_name(kind)?;
        let encoded = serde_json::to_string(key).expect("a string serializes");
        let bucket = bucket_of(&encoded) as i64;
        let transaction = self.db.clone().begin().await?;
        let mut response = transaction
            .query(format!(
                "SELECT meta::id(id) AS id, rows FROM ONLY type::record('{table}', $bucket);"
            ))
            .bind(("bucket", bucket))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            let _ = transaction.cancel().await;
            return Err(error);
        }
        let record: Option<BucketRecord> = response.take(0)?;
        let old = record.map(|r| r.rows).unwrap_or_default();
        let mut kept = String::with_capacity(old.len());
        let mut found = false;
        for line in old.split_terminator('\n') {
            let (line_key, _) = lines(line).next().transpose()?.unwrap_or_default();
            if line_key == encoded {
                found = true;
            } else {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        if !found {
            let _ = transaction.cancel().await;
            return Ok(false);
        }
        let mut response = transaction
            .query(format!(
                "UPSERT type::record('{table}', $bucket) SET rows = $rows RETURN NONE;"
            ))
            .bind(("bucket", bucket))
            .bind(("rows", kept))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            let _ = transaction.cancel().await;
            return Err(error);
        }
        transaction.commit().await?;
        Ok(true)
    }
}
