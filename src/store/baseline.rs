//! The plain-SurrealDB baseline a benchmark prints beside the store's own throughput.

use std::time::Instant;

use super::{Store, StoreError};

impl Store {
    /// Runs `n` sequential single-row `CREATE`s into the scratch table `baseline`, each its own
    /// transaction (so each its own fsync on `surrealkv://`), and returns inserts per second.
    ///
    /// This is what one durable write per command would cost without group commit.
    pub async fn bench_baseline_inserts(&self, n: usize) -> Result<f64, StoreError> {
        let started = Instant::now();
        for i in 0..n {
            let mut response = self
                .db
                .query("CREATE baseline SET n = $n, at = time::now() RETURN NONE")
                .bind(("n", i as i64))
                .await?;
            if let Some(error) = super::first_error(&mut response) {
                return Err(error);
            }
        }
        let seconds = started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE);
        Ok(n as f64 / seconds)
    }
}
