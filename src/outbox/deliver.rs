//! Sending what is due: per channel, within its rate limit (what the limit would hold
//! back goes as one digest, except SMS, which only sends approved templates), SMS held in
//! quiet hours, each attempt claimed first so that no two instances send it.

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

/// Messages in flight at once per step.
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
        let delivery = self.settings.channels.delivery(kind);
        let (Some(delivery), Some(_)) = (delivery, self.channels.get(kind)) else {
            // Routed to a channel this server has not configured: the settings check
            // refuses that at start, so only a changed file meets it. Kept waiting.
            return Ok(());
        };
        if let Some(end) = delivery.quiet_hours.and_then(|q| q.ends_at(now)) {
            for record in &records {
                store
                    .defer_delivery(&record.key, end.timestamp_millis())
                    .await?;
            }
            report.deferred += records.len();
            return Ok(());
        }
        let instant = self.instant(now);
        let available = {
            let mut limiters = self.limiters.lock().expect("limiter lock");
            let limiter = limiters
                .entry(kind)
                .or_insert_with(|| crate::notify::RateLimiter::new(delivery.rate_per_minute));
            limiter.available(instant) as usize
        };
        if available == 0 {
            let later = (now + chrono::Duration::seconds(5)).timestamp_millis();
            for record in &records {
                store.defer_delivery(&record.key, later).await?;
            }
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
        let results = futures::stream::iter(records)
            .map(|record| self.attempt(kind, record, delivery, now))
            .buffer_unordered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await;
        for result in results {
            tally(report, result?);
        }
        Ok(())
    }

    /// One attempt of one message: claim, acquire a place in the window, send, record.
    async fn attempt(
        &self,
        kind: ChannelKind,
        record: DeliveryRecord,
        delivery: Delivery,
        now: DateTime<Utc>,
    ) -> Result<Option<&'static str>, StoreError> {
        let store = self.engine.store();
        let attempt = record.attempts + 1;
        let at = now.timestamp_millis();
        if !store
            .claim_delivery(&record.key, attempt, &self.instance, at, at + LEASE_MS)
            .await?
        {
            return Ok(None);
        }
        let Some(outgoing) = outgoing(&record) else {
            let result = dead("the stored message is unreadable", at);
            store.finish_delivery(&record.key, result).await?;
            return Ok(Some("dead"));
        };
        self.take_place(kind, now);
        let sent = self.send(kind, &outgoing).await;
        let result = self.result_of(kind, attempt, sent, delivery, now);
        let status = result.status;
        store.finish_delivery(&record.key, result).await?;
        Ok(Some(status))
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
        let store = self.engine.store();
        records.truncate(DIGEST_MAX);
        let at = now.timestamp_millis();
        let mut claimed = Vec::new();
        for record in records {
            let attempt = record.attempts + 1;
            if store
                .claim_delivery(&record.key, attempt, &self.instance, at, at + LEASE_MS)
                .await?
            {
                claimed.push(record);
            }
        }
        let messages: Vec<Rendered> = claimed
            .iter()
            .filter_map(|r| r.rendered.as_deref())
            .filter_map(|text| serde_json::from_str(text).ok())
            .collect();
        let Some(rendered) = crate::notify::digest(&messages) else {
            return Ok(());
        };
        let outgoing = Outgoing {
            key: format!("digest.{}", claimed[0].key),
            recipient: Address::Group,
            rendered,
        };
        self.take_place(kind, now);
        let sent = self.send(kind, &outgoing).await;
        for record in claimed {
            let attempt = record.attempts + 1;
            let mut result = self.result_of(kind, attempt, sent.clone(), delivery, now);
            if result.status == "sent" {
                result.provider_id = Some(outgoing.key.clone());
            }
            tally(report, Some(result.status));
            store.finish_delivery(&record.key, result).await?;
        }
        Ok(())
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
        attempt: i64,
        sent: Result<Receipt, SendError>,
        delivery: Delivery,
        now: DateTime<Utc>,
    ) -> DeliveryResult {
        let at = now.timestamp_millis();
        let error = match sent {
            Ok(receipt) => {
                return DeliveryResult {
                    status: "sent",
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
                    status: "retrying",
                    next_at: (now + wait).timestamp_millis(),
                    at,
                    error: Some(error.to_string()),
                    provider_id: None,
                }
            }
            Retry::GiveUp => dead(&error.to_string(), at),
        }
    }
}

/// A dead letter: the city office sees it and may resend it.
fn dead(error: &str, at: i64) -> DeliveryResult {
    DeliveryResult {
        status: "dead",
        next_at: at,
        at,
        error: Some(error.to_owned()),
        provider_id: None,
    }
}

fn tally(report: &mut StepReport, status: Option<&'static str>) {
    match status {
        Some("sent") => report.sent += 1,
        Some("retrying") => report.retrying += 1,
        Some("dead") => report.dead += 1,
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
