//! Sending what is due: per channel, within its rate limit (what the limit would hold
//! back goes as one digest, except SMS, which only sends approved templates), SMS held in
//! quiet hours. Each batch is claimed in one statement before anything is sent, so no two
//! instances send the same attempt, and its answers are recorded in one transaction: a
//! step costs a handful of store commits however many messages it sends, which keeps the
//! outbox from crowding the commands' own commits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::{Outbox, StepReport};
use crate::notify::backoff::Retry;
use crate::notify::{Address, ChannelKind, Delivery, Outgoing, Receipt, Rendered, SendError};
use crate::store::StoreError;
use crate::store::outbox::{DeliveryRecord, DeliveryResult};

/// Deliveries read per step.
const DUE_BATCH: usize = 500;

/// Messages in flight at once per channel.
const IN_FLIGHT: usize = 32;

/// How long a claim holds before its delivery is taken for lost mid-send: well over the
/// gateways' timeouts.
const LEASE_MS: i64 = 120_000;

/// Messages combined into one digest at most; the rest wait for the next window.
const DIGEST_MAX: usize = 50;

impl Outbox {
    pub(super) async fn deliver_due(
        &self,
        now: DateTime<Utc>,
        report: &mut StepReport,
    ) -> Result<(), StoreError> {
        let due = self
            .engine
            .store()
            .due_deliveries(now.timestamp_millis(), DUE_BATCH)
            .await?;
        let mut by_channel: BTreeMap<ChannelKind, Vec<DeliveryRecord>> = BTreeMap::new();
        for record in due {
            match channel_kind(&record.channel) {
                Some(kind) => by_channel.entry(kind).or_default().push(record),
                None => tracing::warn!(key = %record.key, "delivery of an unknown channel"),
            }
        }
        for (kind, records) in by_channel {
            self.deliver_channel(kind, records, now, report).await?;
        }
        Ok(())
    }

    async fn deliver_channel(
        &self,
        kind: ChannelKind,
        mut records: Vec<DeliveryRecord>,
        now: DateTime<Utc>,
        report: &mut StepReport,
    ) -> Result<(), StoreError> {
        let store = self.engine.store();
        let (Some(delivery), Some(_)) = (
            self.settings.channels.delivery(kind),
            self.channels.get(kind),
        ) else {
            // Routed to a channel this server has not configured: the settings check
            // refuses that at start, so only a changed file meets it. Kept waiting.
            return Ok(());
        };
        let keys = |records: &[DeliveryRecord]| -> Vec<String> {
            records.iter().map(|r| r.key.clone()).collect()
        };
        if let Some(end) = delivery.quiet_hours.and_then(|q| q.ends_at(now)) {
            store
                .defer_deliveries(&keys(&records), end.timestamp_millis())
                .await?;
            report.deferred += records.len();
            return Ok(());
        }
        let available = self.available(kind, delivery, now);
        if available == 0 {
            let later = (now + chrono::Duration::seconds(5)).timestamp_millis();
            store.defer_deliveries(&keys(&records), later).await?;
            report.deferred += records.len();
            return Ok(());
        }
        if records.len() > available && kind != ChannelKind::Sms {
            // Keep one place in the window for the digest of the rest.
            let rest = records.split_off(available - 1);
            self.send_digest(kind, rest, delivery, now, report).await?;
        } else {
            records.truncate(available);
        }
        let claimed = self.claim(&records, now).await?;
        let results = futures::stream::iter(claimed)
            .map(|record| self.attempt(kind, record, delivery, now))
            .buffer_unordered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await;
        for result in &results {
            tally(report, &result.status);
        }
        store.finish_deliveries(results).await
    }

    /// How many messages the channel's window has room for now.
    fn available(&self, kind: ChannelKind, delivery: Delivery, now: DateTime<Utc>) -> usize {
        let instant = self.instant(now);
        let mut limiters = self.limiters.lock().expect("limiter lock");
        limiters
            .entry(kind)
            .or_insert_with(|| crate::notify::RateLimiter::new(delivery.rate_per_minute))
            .available(instant) as usize
    }

    /// The records of `records` this instance claimed for their next attempt.
    async fn claim(
        &self,
        records: &[DeliveryRecord],
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let keys: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
        let at = now.timestamp_millis();
        let claimed = self
            .engine
            .store()
            .claim_deliveries(&keys, &self.instance, at, at + LEASE_MS)
            .await?;
        Ok(records
            .iter()
            .filter(|r| claimed.contains(&r.key))
            .cloned()
            .collect())
    }

    /// One claimed attempt of one message: take a place in the window, send.
    async fn attempt(
        &self,
        kind: ChannelKind,
        record: DeliveryRecord,
        delivery: Delivery,
        now: DateTime<Utc>,
    ) -> DeliveryResult {
        let attempt = record.attempts + 1;
        let Some(outgoing) = outgoing(&record) else {
            return dead(record.key, "the stored message is unreadable", now);
        };
        self.take_place(kind, now);
        let sent = self.send(kind, &outgoing).await;
        self.result_of(kind, record.key, attempt, sent, delivery, now)
    }

    /// Sends `records` as one digest to the channel's group; each delivery is claimed and
    /// recorded as itself, with the digest's answer.
    async fn send_digest(
        &self,
        kind: ChannelKind,
        mut records: Vec<DeliveryRecord>,
        delivery: Delivery,
        now: DateTime<Utc>,
        report: &mut StepReport,
    ) -> Result<(), StoreError> {
        records.truncate(DIGEST_MAX);
        let claimed = self.claim(&records, now).await?;
        let messages: Vec<Rendered> = claimed
            .iter()
            .filter_map(|r| r.rendered.as_deref())
            .filter_map(|text| serde_json::from_str(text).ok())
            .collect();
        let (Some(rendered), Some(first)) = (crate::notify::digest(&messages), claimed.first())
        else {
            return Ok(());
        };
        let outgoing = Outgoing {
            key: format!("digest.{}", first.key),
            recipient: Address::Group,
            rendered,
        };
        self.take_place(kind, now);
        let sent = self.send(kind, &outgoing).await;
        let mut results = Vec::with_capacity(claimed.len());
        for record in claimed {
            let attempt = record.attempts + 1;
            let mut result = self.result_of(kind, record.key, attempt, sent.clone(), delivery, now);
            if result.status == "sent" {
                result.provider_id = Some(outgoing.key.clone());
            }
            tally(report, &result.status);
            results.push(result);
        }
        self.engine.store().finish_deliveries(results).await
    }

    async fn send(&self, kind: ChannelKind, outgoing: &Outgoing) -> Result<Receipt, SendError> {
        match self.channels.get(kind) {
            Some(channel) => channel.send(outgoing).await,
            None => Err(SendError::permanent("the channel is not configured")),
        }
    }

    fn take_place(&self, kind: ChannelKind, now: DateTime<Utc>) {
        let instant = self.instant(now);
        let mut limiters = self.limiters.lock().expect("limiter lock");
        if let Some(limiter) = limiters.get_mut(&kind) {
            // `available` said there was room; a full window here only means another
            // attempt of this step took the place first, which the count allowed for.
            let _ = limiter.try_acquire(instant);
        }
    }

    fn result_of(
        &self,
        kind: ChannelKind,
        key: String,
        attempt: i64,
        sent: Result<Receipt, SendError>,
        delivery: Delivery,
        now: DateTime<Utc>,
    ) -> DeliveryResult {
        let at = now.timestamp_millis();
        let error = match sent {
            Ok(receipt) => {
                return DeliveryResult {
                    key,
                    status: "sent".to_owned(),
                    next_at: at,
                    at,
                    error: None,
                    provider_id: receipt.provider_id,
                };
            }
            Err(error) => error,
        };
        if let SendError::RateLimited {
            retry_after: Some(wait),
        } = &error
        {
            let mut limiters = self.limiters.lock().expect("limiter lock");
            if let Some(limiter) = limiters.get_mut(&kind) {
                limiter.hold(self.instant(now) + *wait);
            }
        }
        let failures = u32::try_from(attempt).unwrap_or(u32::MAX);
        let retry = {
            let mut rng = self.rng.lock().expect("rng lock");
            delivery.retry.after_failure(failures, &error, &mut *rng)
        };
        match retry {
            Retry::After(wait) => {
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                DeliveryResult {
                    key,
                    status: "retrying".to_owned(),
                    next_at: (now + wait).timestamp_millis(),
                    at,
                    error: Some(error.to_string()),
                    provider_id: None,
                }
            }
            Retry::GiveUp => dead(key, &error.to_string(), now),
        }
    }
}

/// A dead letter: the city office sees it and may resend it.
fn dead(key: String, error: &str, now: DateTime<Utc>) -> DeliveryResult {
    let at = now.timestamp_millis();
    DeliveryResult {
        key,
        status: "dead".to_owned(),
        next_at: at,
        at,
        error: Some(error.to_owned()),
        provider_id: None,
    }
}

fn tally(report: &mut StepReport, status: &str) {
    match status {
        "sent" => report.sent += 1,
        "retrying" => report.retrying += 1,
        "dead" => report.dead += 1,
        _ => {}
    }
}

fn outgoing(record: &DeliveryRecord) -> Option<Outgoing> {
    Some(Outgoing {
        key: record.key.clone(),
        recipient: serde_json::from_str(record.address.as_deref()?).ok()?,
        rendered: serde_json::from_str(record.rendered.as_deref()?).ok()?,
    })
}

fn channel_kind(name: &str) -> Option<ChannelKind> {
    ChannelKind::ALL.into_iter().find(|k| k.as_str() == name)
}
