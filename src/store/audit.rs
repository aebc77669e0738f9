//! The audit log's records (`src/audit.rs` says what they are and how they chain).
//!
//! Record `n` is `audit:⟨n⟩`, holding its `seq` and every field as text, exactly as hashed.
//! Beside the records, `counter:audit` holds the head: the newest `seq` (`n`) and its hash.
//! An append reads the head, seals the next record against it and, in one transaction,
//! checks the head has not moved, creates the record and moves the head. Two appends that
//! read the same head both try to create the same record id and write the same head, so one
//! of them fails at commit; it reads the new head and tries again. Within one process the
//! appends take turns (`audit_lock`), so retries only happen between processes sharing a
//! server. Nothing here updates or deletes a record, except the test-only tampering below.

use std::time::Duration;

use surrealdb::types::{RecordId, SurrealValue};

use super::{Store, StoreError, first_error, pause_before_retry};
use crate::audit::{AuditEntry, AuditFilter, AuditHead, AuditRecord, StoredAudit, format_at};

/// How many times an append is tried when it collides with another process's.
const APPEND_ATTEMPTS: u32 = 8;
/// The longest pause before the second attempt; each further attempt may wait this much more.
const APPEND_BACKOFF: Duration = Duration::from_millis(5);
/// The most records one page of the API may ask for.
pub const MAX_AUDIT_PAGE: usize = 500;
/// How many records one query of a listing looks at: a range of record ids.
const WINDOW: u64 = 5_000;
/// How many records one listing looks at before it answers with what it found and a cursor,
/// so a filter that matches nothing in a long log still answers quickly.
const MAX_SCANNED: u64 = 50_000;

const FIELDS: &str = "seq, at, actor, client, action, target, detail, prev_hash, hash";

/// A record as stored.
#[derive(Clone, Debug, SurrealValue)]
struct AuditRow {
    /// The number of the record id, when a read asks for it (`record::id(id) AS place`);
    /// never written (a `NONE` field is not stored).
    place: Option<u64>,
    seq: u64,
    at: String,
    actor: String,
    client: Option<String>,
    action: String,
    target: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl From<StoredAudit> for AuditRow {
    fn from(s: StoredAudit) -> AuditRow {
        AuditRow {
            place: None,
            seq: s.seq,
            at: s.at,
            actor: s.actor,
            client: s.client,
            action: s.action,
            target: s.target,
            detail: s.detail,
            prev_hash: s.prev_hash,
            hash: s.hash,
        }
    }
}

impl From<AuditRow> for StoredAudit {
    fn from(r: AuditRow) -> StoredAudit {
        StoredAudit {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            client: r.client,
            action: r.action,
            target: r.target,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(SurrealValue)]
struct HeadRow {
    n: u64,
    hash: String,
}

/// One page of a listing, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditPage {
    pub records: Vec<StoredAudit>,
    /// The cursor of the next page (records with a smaller `seq`), or `None` at the oldest.
    pub next: Option<u64>,
}

const APPEND: &str = "BEGIN TRANSACTION;
    IF (counter:audit.n ?? 0) != $previous {
        THROW 'the audit log moved on since its head was read; retry'
    };
    CREATE $id CONTENT $record RETURN NONE;
    UPSERT counter:audit SET n = $seq, hash = $hash RETURN NONE;
    COMMIT TRANSACTION;";

fn audit_id(seq: u64) -> RecordId {
    RecordId::new("audit", seq as i64)
}

impl Store {
    /// Appends `entry` as the next record of the chain and returns it sealed.
    pub async fn append_audit(&self, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let mut attempt = 1;
        loop {
            match self.try_append_audit(entry.clone()).await {
                Err(error) if attempt < APPEND_ATTEMPTS => {
                    tracing::debug!(%error, attempt, "retrying an audit append");
                    pause_before_retry(attempt, APPEND_BACKOFF).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn try_append_audit(&self, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
        let head = self.audit_head().await?;
        let record = AuditRecord::next_after(head.as_ref(), entry);
        let mut response = self
            .db
            .query(APPEND)
            .bind(("previous", head.map_or(0, |h| h.seq) as i64))
            .bind(("id", audit_id(record.seq)))
            .bind(("record", AuditRow::from(record.to_stored())))
            .bind(("seq", record.seq as i64))
            .bind(("hash", record.hash.clone()))
            .await?;
        first_error(&mut response).map_or(Ok(record), Err)
    }

    /// The newest record's `seq` and hash; `None` before the first record.
    pub async fn audit_head(&self) -> Result<Option<AuditHead>, StoreError> {
        let mut response = self
            .db
            .query("SELECT n, hash FROM ONLY counter:audit")
            .await?;
        let row: Option<HeadRow> = response.take(0)?;
        Ok(row.map(|row| AuditHead {
            seq: row.n,
            hash: row.hash,
        }))
    }

    /// Up to `limit` records stored after place `after`, in the order of their places (the
    /// record id `audit:⟨place⟩`, which is the `seq` the record was appended with): the pages
    /// `audit verify` reads the log in. Each comes with its place, so a record moved to
    /// another place is seen there.
    pub async fn audit_in_order(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, StoredAudit)>, StoreError> {
        let query = format!(
            "SELECT record::id(id) AS place, {FIELDS} FROM type::record('audit', $first..=$max) LIMIT $limit"
        );
        let mut response = self
            .db
            .query(query)
            .bind(("first", after as i64 + 1))
            .bind(("max", super::MAX_ID))
            .bind(("limit", limit as i64))
            .await?;
        if let Some(error) = first_error(&mut response) {
            return Err(error);
        }
        let rows: Vec<AuditRow> = response.take(0)?;
        Ok(rows
            .into_iter()
            .map(|row| (row.place.unwrap_or(row.seq), StoredAudit::from(row)))
            .collect())
    }

    /// Records matching `filter`, newest first: at most `limit` (capped at
    /// [`MAX_AUDIT_PAGE`]) with `seq` below `before` (the previous page's `next`). A page
    /// looks at no more than 50,000 records, so it may hold fewer than `limit` and still have
    /// a `next`; the listing is over when `next` is `None`.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        before: Option<u64>,
        limit: usize,
    ) -> Result<AuditPage, StoreError> {
        let limit = limit.clamp(1, MAX_AUDIT_PAGE);
        let mut high = match before {
            Some(before) => before.saturating_sub(1),
            None => self.audit_top().await?,
        };
        let mut records = Vec::new();
        let mut scanned = 0;
        while high > 0 && scanned < MAX_SCANNED {
            let low = high.saturating_sub(WINDOW - 1).max(1);
            let mut window = self.audit_window(filter, low, high).await?;
            window.reverse();
            for record in window {
                records.push(record);
                if records.len() == limit {
                    let next = records.last().map(|r| r.seq).filter(|seq| *seq > 1);
                    return Ok(AuditPage { records, next });
                }
            }
            scanned += high - low + 1;
            high = low - 1;
        }
        let next = (high > 0).then_some(high + 1);
        Ok(AuditPage { records, next })
    }

    /// The highest `seq` to list from: the head's, or, if the head is gone, the largest
    /// record id found by a scan (a tampered store should still be readable).
    async fn audit_top(&self) -> Result<u64, StoreError> {
        if let Some(head) = self.audit_head().await? {
            return Ok(head.seq);
        }
        let mut response = self
            .db
            .query("SELECT VALUE record::id(id) FROM audit ORDER BY id DESC LIMIT 1")
            .await?;
        let top: Option<i64> = response.take(0)?;
        Ok(top.map_or(0, |top| top.max(0) as u64))
    }

    /// The records with ids `low..=high` that match `filter`, in `seq` order.
    async fn audit_window(
        &self,
        filter: &AuditFilter,
        low: u64,
        high: u64,
    ) -> Result<Vec<StoredAudit>, StoreError> {
        let mut conditions = Vec::new();
        if filter.action.is_some() {
            conditions.push("action = $action");
        }
        if filter.actor.is_some() {
            conditions.push("actor = $actor");
        }
        // `at` is stored in one fixed-width UTC spelling, so text order is time order.
        if filter.from.is_some() {
            conditions.push("at >= $from");
        }
        if filter.until.is_some() {
            conditions.push("at < $until");
        }
        let filter_clause = match conditions.is_empty() {
            true => String::new(),
            false => format!(" WHERE {}", conditions.join(" AND ")),
        };
        let query =
            format!("SELECT {FIELDS} FROM type::record('audit', $low..=$high){filter_clause}");
        let mut response = self
            .db
            .query(query)
            .bind(("low", low as i64))
            .bind(("high", high as i64))
            .bind(("action", filter.action.map(|a| a.as_str().to_string())))
            .bind(("actor", filter.actor.clone()))
            .bind(("from", filter.from.map(format_at)))
            .bind(("until", filter.until.map(format_at)))
            .await?;
        if let Some(error) = first_error(&mut response) {
            return Err(error);
        }
        let mut rows: Vec<AuditRow> = response.take(0)?;
        rows.sort_by_key(|row| row.seq);
        Ok(rows.into_iter().map(StoredAudit::from).collect())
    }
}

/// A change to the audit log made behind the application's back, for tests of `verify`.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum AuditTamper {
    /// Sets a record's `detail`, leaving its hash as it was.
    Edit { seq: u64, detail: String },
    /// Sets a record's `detail` and recomputes its own hash (but not its successors').
    Reseal { seq: u64, detail: String },
    /// Removes a record (the head stays).
    Delete { seq: u64 },
    /// Swaps the contents of two records (each keeps the other's `seq` field).
    Swap { a: u64, b: u64 },
}

impl Store {
    /// Tampers with the audit log directly, for tests: the application never changes or
    /// removes a record.
    #[doc(hidden)]
    pub async fn tamper_audit_for_tests(&self, tamper: AuditTamper) -> Result<(), StoreError> {
        match tamper {
            AuditTamper::Edit { seq, detail } => {
                let mut row = self.audit_row(seq).await?;
                row.detail = detail;
                self.replace_audit_rows(&[(seq, row)]).await
            }
            AuditTamper::Reseal { seq, detail } => {
                let row = self.audit_row(seq).await?;
                let record =
                    AuditRecord::try_from(StoredAudit::from(row)).map_err(StoreError::Database)?;
                let entry = record.entry.with_detail(&detail);
                let resealed = AuditRecord::seal(seq, entry, &record.prev_hash);
                self.replace_audit_rows(&[(seq, resealed.to_stored().into())])
                    .await
            }
            AuditTamper::Delete { seq } => self.run_tamper("DELETE $id", seq).await,
            AuditTamper::Swap { a, b } => {
                let (row_a, row_b) = (self.audit_row(a).await?, self.audit_row(b).await?);
                self.replace_audit_rows(&[(a, row_b), (b, row_a)]).await
            }
        }
    }

    async fn audit_row(&self, seq: u64) -> Result<AuditRow, StoreError> {
        let query = format!("SELECT {FIELDS} FROM ONLY $id");
        let mut response = self.db.query(query).bind(("id", audit_id(seq))).await?;
        let row: Option<AuditRow> = response.take(0)?;
        row.ok_or_else(|| StoreError::Database(format!("no audit record {seq}")))
    }

    async fn replace_audit_rows(&self, rows: &[(u64, AuditRow)]) -> Result<(), StoreError> {
        for (seq, _) in rows {
            self.run_tamper("DELETE $id", *seq).await?;
        }
        for (seq, row) in rows {
            let mut response = self
                .db
                .query("CREATE $id CONTENT $record RETURN NONE")
                .bind(("id", audit_id(*seq)))
                .bind(("record", row.clone()))
                .await?;
            if let Some(error) = first_error(&mut response) {
                return Err(error);
            }
        }
        Ok(())
    }

    async fn run_tamper(&self, statement: &'static str, seq: u64) -> Result<(), StoreError> {
        let mut response = self.db.query(statement).bind(("id", audit_id(seq))).await?;
        first_error(&mut response).map_or(Ok(()), Err)
    }
}
