//! Timers: at most one pending per stream, changed only together with an append.
//!
//! Each timer change is a new record `timer:[stream, version]`, written by the writer in the
//! same transaction as the events that decided it (`version` is the stream's version right
//! after them), so a timer can never precede or outlive the state that explains it. A stream's
//! pending timer is its newest timer record, unless that record is a clearing (`cleared`).
//! Nothing is overwritten or deleted on the way in, because adding a record is much cheaper for
//! SurrealDB than changing one; the records a newer one superseded are removed when they come
//! due, by [`Store::due_timers`], which never returns them.

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use super::{MAX_ID, Store, StoreError, first_error, stream_record_id};

/// What an append does to its stream's timer.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TimerChange {
    /// Leave the timer as it is (or absent).
    #[default]
    Keep,
    /// Set (or replace) the stream's timer.
    Set { kind: String, due: DateTime<Utc> },
    /// Remove the stream's timer, if any.
    Clear,
}

/// A pending timer.
#[derive(Clone, Debug, PartialEq, SurrealValue)]
pub struct Timer {
    pub stream: String,
    /// What to do when it fires, e.g. "escalate".
    pub kind: String,
    pub due: DateTime<Utc>,
    /// The stream's version right after the append that set it. Appends that leave the timer
    /// as it was do not rewrite it, so this names the timer (for the scheduler's idempotency
    /// key); it is not the stream's current version.
    pub version: u64,
}

/// A timer record as the writer adds it.
#[derive(SurrealValue)]
pub(super) struct TimerWrite {
    id: RecordId,
    stream: String,
    kind: String,
    /// A clearing is due at once (the epoch), so the next look for due timers finds it and
    /// removes it together with the timers it cleared.
    due: DateTime<Utc>,
    version: u64,
    cleared: bool,
}

impl TimerWrite {
    /// The record for an append that moves `stream` from version `from` to `version`; `None`
    /// when there is nothing to write: the timer is kept, or a new stream clears the timer it
    /// cannot have.
    pub(super) fn new(
        stream: &str,
        from: u64,
        version: u64,
        change: &TimerChange,
    ) -> Option<TimerWrite> {
        let (kind, due, cleared) = match change {
            TimerChange::Keep => return None,
            TimerChange::Clear if from == 0 => return None,
            TimerChange::Set { kind, due } => (kind.clone(), *due, false),
            TimerChange::Clear => (String::new(), DateTime::<Utc>::UNIX_EPOCH, true),
        };
        Some(TimerWrite {
            id: stream_record_id("timer", stream, version),
            stream: stream.to_string(),
            kind,
            due,
            version,
            cleared,
        })
    }
}

/// A timer record as read back.
#[derive(SurrealValue)]
struct TimerRow {
    stream: String,
    kind: String,
    due: DateTime<Utc>,
    version: u64,
    cleared: Option<bool>,
}

impl Store {
    /// Pending timers with `due <= now`, oldest first, at most `limit`.
    ///
    /// Records that a newer one superseded, and clearings, are removed on the way (each in a
    /// transaction of its own; a superseded record stays superseded, so removing it late is
    /// harmless) and never returned.
    pub async fn due_timers(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError> {
        loop {
            let mut response = self
                .db
                .query(
                    "SELECT stream, kind, due, version, cleared FROM timer \
                     WHERE due <= $now ORDER BY due ASC LIMIT $limit",
                )
                .bind(("now", now))
                .bind(("limit", limit as i64))
                .await?;
            let rows: Vec<TimerRow> = response.take(0)?;
            let superseded = self.superseded(&rows).await?;
            if !superseded.iter().any(|s| *s) {
                return Ok(rows.into_iter().map(into_timer).collect());
            }
            let stale: Vec<&TimerRow> = rows
                .iter()
                .zip(&superseded)
                .filter(|(_, superseded)| **superseded)
                .map(|(row, _)| row)
                .collect();
            self.remove_timers(&stale).await?;
        }
    }

    /// For each row: whether it is a clearing or a newer record of its stream exists.
    async fn superseded(&self, rows: &[TimerRow]) -> Result<Vec<bool>, StoreError> {
        let mut query = String::new();
        for index in 0..rows.len() {
            query.push_str(&format!(
                "SELECT VALUE version FROM timer:[$s{index}, $v{index}]..=[$s{index}, {MAX_ID}] LIMIT 1;\n"
            ));
        }
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut pending = self.db.query(query);
        for (index, row) in rows.iter().enumerate() {
            pending = pending
                .bind((format!("s{index}"), row.stream.clone()))
                .bind((format!("v{index}"), row.version as i64 + 1));
        }
        let mut response = pending.await?;
        if let Some(error) = first_error(&mut response) {
            return Err(error);
        }
        let mut superseded = Vec::with_capacity(rows.len());
        for (index, row) in rows.iter().enumerate() {
            let newer: Vec<u64> = response.take(index)?;
            superseded.push(row.cleared == Some(true) || !newer.is_empty());
        }
        Ok(superseded)
    }

    /// Removes superseded records: a clearing takes every older record of its stream with it.
    async fn remove_timers(&self, rows: &[&TimerRow]) -> Result<(), StoreError> {
        let mut query = String::new();
        for (index, row) in rows.iter().enumerate() {
            let statement = if row.cleared == Some(true) {
                format!("DELETE timer:[$s{index}, 0]..=[$s{index}, $v{index}] RETURN NONE;\n")
            } else {
                format!("DELETE timer:[$s{index}, $v{index}] RETURN NONE;\n")
            };
            query.push_str(&statement);
        }
        let mut pending = self.db.query(query);
        for (index, row) in rows.iter().enumerate() {
            pending = pending
                .bind((format!("s{index}"), row.stream.clone()))
                .bind((format!("v{index}"), row.version as i64));
        }
        let mut response = pending.await?;
        first_error(&mut response).map_or(Ok(()), Err)
    }
}

fn into_timer(row: TimerRow) -> Timer {
    Timer {
        stream: row.stream,
        kind: row.kind,
        due: row.due,
        version: row.version,
    }
}
