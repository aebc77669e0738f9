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
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryResult {
    pub status: &'static str,
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

    /// Claims attempt `attempt` of a delivery for `instance`: true if this call made the
    /// claim (and marked the delivery `sending` until `lease_until`), false if another
    /// instance holds it or the delivery is no longer waiting.
    pub async fn claim_delivery(
        &self,
        key: &str,
        attempt: i64,
        instance: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        let claim = RecordId::new(
            "delivery_claim",
            surrealdb::types::Array::from(vec![key.to_string().into_value(), attempt.into_value()]),
        );
        let mut response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 LET $claimed = (UPDATE $delivery SET status = 'sending', attempts = $attempt,
                     lease_until = $lease, updated_at = $now
                     WHERE status IN $waiting AND attempts = $attempt - 1 RETURN VALUE key);
                 IF array::len($claimed) = 0 { THROW 'not waiting' };
                 CREATE $claim SET instance = $instance, at = $now RETURN NONE;
                 COMMIT TRANSACTION;",
            )
            .bind(("delivery", delivery_id(key)))
            .bind(("claim", claim))
            .bind(("attempt", attempt))
            .bind(("instance", instance.to_string()))
            .bind(("now", now))
            .bind(("lease", lease_until))
            .bind(("waiting", WAITING.map(str::to_owned).to_vec()))
            .await?;
        Ok(super::first_error(&mut response).is_none())
    }

    /// Records what an attempt came to. Only the claimer writes it, but another
    /// instance's read of the record (a due list, a lease check) can make the commit
    /// conflict, so it is tried again a few times.
    pub async fn finish_delivery(
        &self,
        key: &str,
        result: DeliveryResult,
    ) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            match self.finish_delivery_once(key, &result).await {
                Err(error) if error.is_write_conflict() && attempt < 5 => {
                    attempt += 1;
                    super::pause_before_retry(attempt, std::time::Duration::from_millis(5)).await;
                }
                other => return other,
            }
        }
    }

    async fn finish_delivery_once(
        &self,
        key: &str,
        result: &DeliveryResult,
    ) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query(
                "UPDATE $delivery SET status = $status, next_at = $next, updated_at = $at,
                     last_error = $error, provider_id = $provider RETURN NONE",
            )
            .bind(("delivery", delivery_id(key)))
            .bind(("status", result.status.to_string()))
            .bind(("next", result.next_at))
            .bind(("at", result.at))
            .bind(("error", result.error.clone()))
            .bind(("provider", result.provider_id.clone()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
    }

    /// Moves a waiting delivery's next attempt to `next_at` without using an attempt (a
    /// rate limit or quiet hours held it back).
    pub async fn defer_delivery(&self, key: &str, next_at: i64) -> Result<(), StoreError> {
        match self.defer_delivery_once(key, next_at).await {
            // Another instance claimed it meanwhile: nothing to defer.
            Err(error) if error.is_write_conflict() => Ok(()),
            other => other,
        }
    }

    async fn defer_delivery_once(&self, key: &str, next_at: i64) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query("UPDATE $delivery SET next_at = $next WHERE status IN $waiting RETURN NONE")
            .bind(("delivery", delivery_id(key)))
            .bind(("next", next_at))
            .bind(("waiting", WAITING.map(str::to_owned).to_vec()))
            .await?;
        super::first_error(&mut response).map_or(Ok(()), Err)
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
