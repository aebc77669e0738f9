//! The notification outbox: one `delivery:⟨key⟩` record per message (or per message that
//! could not be addressed), the claims that make each attempt one instance's, and the
//! position of the log planned so far.
//!
//! Exactly once per event and recipient rests on two record ids. Planning writes each
//! message under its deterministic key with `INSERT IGNORE`, so instances planning the
//! same events write one record. Sending an attempt first creates
//! `delivery_claim:[key, attempt]` in the same transaction that marks the record
//! `sending`: a second instance's create of the same claim fails, so only one sends it.
//! An attempt claimed and never finished (the instance died mid-send) is found by its
//! lease and marked `uncertain`, never sent again on its own: the gateway may have taken
//! it. The city office sees it with the dead letters and may resend it.

use surrealdb::types::{RecordId, SurrealValue};

use super::{Store, StoreError};

/// A delivery as stored. Times are milliseconds since the epoch, which order and compare
/// in queries without conversions.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, SurrealValue)]
pub struct DeliveryRecord {
    pub key: String,
    pub warning: String,
    pub event: String,
    pub recipient: String,
    pub contact: Option<String>,
    pub channel: String,
    /// `notify::Address` as JSON; `None` when unaddressed.
    pub address: Option<String>,
    /// `notify::Rendered` as JSON; `None` when unaddressed.
    pub rendered: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_at: i64,
    pub lease_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
}

/// What an attempt came to.
#[derive(Clone, Debug, PartialEq, serde::Serialize, SurrealValue)]
pub struct DeliveryResult {
    pub key: String,
    pub status: String,
    pub next_at: i64,
    pub at: i64,
    pub error: Option<String>,
    pub provider_id: Option<String>,
}

const FIELDS: &str = "key, warning, event, recipient, contact, channel, address, rendered, \
                      status, attempts, next_at, lease_until, created_at, updated_at, \
                      last_error, provider_id";

/// The statuses a delivery waits in to be sent.
pub const WAITING: [&str; 2] = ["pending", "retrying"];

fn delivery_id(key: &str) -> RecordId {
    RecordId::new("delivery", key)
}

impl Store {
    /// The log position planned so far (0 before the first plan).
    pub async fn outbox_cursor(&self) -> Result<u64, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE position FROM ONLY outbox_cursor:current")
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        let position: Option<i64> = response.take(0)?;
        Ok(position.unwrap_or(0).max(0) as u64)
    }

    /// Writes planned deliveries that are not stored yet and moves the cursor to
    /// `through` (never back), in one transaction.
    pub async fn plan_deliveries(
        &self,
        records: Vec<DeliveryRecord>,
        through: u64,
    ) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 INSERT IGNORE INTO delivery
                     (SELECT *, type::record('delivery', key) AS id FROM $rows) RETURN NONE;
                 UPSERT outbox_cursor:current SET position =
                     math::max([position ?? 0, $through]) RETURN NONE;
                 COMMIT TRANSACTION;",
            )
            .bind(("rows", records))
            .bind(("through", through as i64))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Deliveries waiting to be sent whose time has come, soonest first.
    pub async fn due_deliveries(
        &self,
        now: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "SELECT {FIELDS} FROM delivery WHERE status IN $waiting AND next_at <= $now
                 ORDER BY next_at LIMIT $limit"
            ))
            .bind(("waiting", WAITING.map(str::to_owned).to_vec()))
            .bind(("now", now))
            .bind(("limit", limit as i64))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }

    /// Claims the next attempt of each of `keys` that is still waiting and due, for
    /// `instance` until `lease_until`; returns the keys this call claimed. It is one
    /// statement in one transaction: two instances claiming the same delivery write the
    /// same record, and SurrealDB refuses the later commit (a write conflict), so a
    /// delivery is claimed by one of them or by neither (tried again at the next step).
    pub async fn claim_deliveries(
        &self,
        keys: &[String],
        instance: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Vec<String>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<RecordId> = keys.iter().map(|k| delivery_id(k)).collect();
        let mut response = self
            .db
            .query(
                "UPDATE $ids SET status = 'sending', attempts += 1, lease_until = $lease,
                     updated_at = $now, claimed_by = $instance
                 WHERE status IN $waiting AND next_at <= $now RETURN VALUE key",
            )
            .bind(("ids", ids))
            .bind(("instance", instance.to_string()))
            .bind(("now", now))
            .bind(("lease", lease_until))
            .bind(("waiting", WAITING.map(str::to_owned).to_vec()))
            .await?;
        match super::first_error(&mut response) {
            Some(error) if error.is_write_conflict() => Ok(Vec::new()),
            Some(error) => Err(error),
            None => Ok(response.take(0)?),
        }
    }

    /// Records what each claimed attempt came to, in one transaction. Only the claimer
    /// writes these records, but another instance's read of them (a due list, a lease
    /// check) can make the commit conflict, so it is tried again a few times.
    pub async fn finish_deliveries(&self, results: Vec<DeliveryResult>) -> Result<(), StoreError> {
        if results.is_empty() {
            return Ok(());
        }
        let mut attempt = 0;
        loop {
            match self.finish_deliveries_once(&results).await {
                Err(error) if error.is_write_conflict() && attempt < 5 => {
                    attempt += 1;
                    super::pause_before_retry(attempt, std::time::Duration::from_millis(5)).await;
                }
                other => return other,
            }
        }
    }

    async fn finish_deliveries_once(&self, results: &[DeliveryResult]) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 FOR $r IN $results {
                     UPDATE type::record('delivery', $r.key) SET status = $r.status,
                         next_at = $r.next_at, updated_at = $r.at, last_error = $r.error,
                         provider_id = $r.provider_id RETURN NONE;
                 };
                 COMMIT TRANSACTION;",
            )
            .bind(("results", results.to_vec()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Moves the next attempt of those of `keys` still waiting to `next_at`, without
    /// using an attempt (a rate limit or quiet hours held them back).
    pub async fn defer_deliveries(&self, keys: &[String], next_at: i64) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let ids: Vec<RecordId> = keys.iter().map(|k| delivery_id(k)).collect();
        let mut response = self
            .db
            .query("UPDATE $ids SET next_at = $next WHERE status IN $waiting RETURN NONE")
            .bind(("ids", ids))
            .bind(("next", next_at))
            .bind(("waiting", WAITING.map(str::to_owned).to_vec()))
            .await?;
        match super::first_error(&mut response) {
            // Another instance claimed some meanwhile: they are not waiting any more.
            Some(error) if error.is_write_conflict() => Ok(()),
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Marks `uncertain` every delivery whose sender's lease ran out before it recorded
    /// an answer; returns how many.
    pub async fn expire_delivery_leases(&self, now: i64) -> Result<usize, StoreError> {
        let mut response = self
            .db
            .query(
                "UPDATE delivery SET status = 'uncertain', updated_at = $now,
                     last_error = 'the sending instance stopped before the gateway answered'
                 WHERE status = 'sending' AND lease_until < $now RETURN VALUE key",
            )
            .bind(("now", now))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        let keys: Vec<String> = response.take(0)?;
        Ok(keys.len())
    }

    /// The deliveries of one warning, in the order they were planned.
    pub async fn deliveries_of(&self, warning: &str) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "SELECT {FIELDS} FROM delivery WHERE warning = $warning
                 ORDER BY created_at, key LIMIT 500"
            ))
            .bind(("warning", warning.to_string()))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }

    /// Deliveries in any of `statuses`, newest first, at most `limit`.
    pub async fn deliveries_in(
        &self,
        statuses: &[&str],
        limit: usize,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
        let mut response = self
            .db
            .query(format!(
                "SELECT {FIELDS} FROM delivery WHERE status IN $statuses
                 ORDER BY updated_at DESC LIMIT $limit"
            ))
            .bind(("statuses", statuses))
            .bind(("limit", limit as i64))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }

    /// Puts a dead or uncertain delivery back in the queue, due at `now`; false if it is
    /// not (or no longer) dead or uncertain.
    pub async fn resend_delivery(&self, key: &str, now: i64) -> Result<bool, StoreError> {
        let mut response = self
            .db
            .query(
                "UPDATE $delivery SET status = 'pending', next_at = $now, updated_at = $now
                 WHERE status IN ['dead', 'uncertain'] RETURN VALUE key",
            )
            .bind(("delivery", delivery_id(key)))
            .bind(("now", now))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        let keys: Vec<String> = response.take(0)?;
        Ok(!keys.is_empty())
    }

    /// One delivery by key.
    pub async fn delivery(&self, key: &str) -> Result<Option<DeliveryRecord>, StoreError> {
        let mut response = self
            .db
            .query(format!("SELECT {FIELDS} FROM ONLY $delivery"))
            .bind(("delivery", delivery_id(key)))
            .await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        Ok(response.take(0)?)
    }
}
