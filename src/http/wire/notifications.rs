//! The wire shapes of notifications: one delivery as a warning's history and the dead
//! letters list show it (the address masked), and the list itself.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::notify::{Address, Rendered};
use crate::store::outbox::DeliveryRecord;

/// One message to one official on one channel, and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The delivery's key: the event's log position (or `due{days}.{deadline}`), the
    /// recipient, the contact and the channel.
    pub key: String,
    pub warning: String,
    /// What it notifies: `raised`, `due_soon`, `overdue`, `urged`, `supervised`,
    /// `transferred`, `rectification_rejected`, `downgraded`, `closed`, `public_report`.
    pub event: String,
    /// `village_steward`, `village_secretary`, `town_office` or `city_office`.
    pub recipient: String,
    /// The contact's id; null when nobody holds the role for the warning's region.
    pub contact: Option<String>,
    /// `sms`, `dingtalk`, `wecom`, `email` or `log`.
    pub channel: String,
    /// The address, masked (`138****8000`, `z***@example.gov.cn`).
    pub address: Option<String>,
    /// The message's title or SMS template code.
    pub headline: Option<String>,
    /// `pending`, `sending`, `retrying`, `sent`, `dead` (gave up: resend by hand),
    /// `uncertain` (the sender stopped mid-send: it may have arrived) or `unaddressed`.
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (waiting), or of the last change.
    pub next_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the gateway answered last, when it failed.
    pub last_error: Option<String>,
}

/// A contact as the city office writes it (`PUT /api/contacts/{id}`); blank addresses
/// are absent, and at least one address is required.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    pub role: crate::notify::Recipient,
    /// The region the role is held for (12 digits).
    pub region_code: String,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub dingtalk_user_id: Option<String>,
    #[serde(default)]
    pub wecom_user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A page of contacts, by id.
#[derive(Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<crate::notify::contacts::Contact>,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<String>,
}

/// Deliveries, newest change first.
#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

impl DeliveryView {
    pub fn of(record: &DeliveryRecord) -> DeliveryView {
        let time = |ms: i64| Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
        let address = record
            .address
            .as_deref()
            .and_then(|text| serde_json::from_str::<Address>(text).ok())
            .map(|a| a.masked());
        let headline = record
            .rendered
            .as_deref()
            .and_then(|text| serde_json::from_str::<Rendered>(text).ok())
            .map(|r| r.headline().to_owned());
        DeliveryView {
            key: record.key.clone(),
            warning: record.warning.clone(),
            event: record.event.clone(),
            recipient: record.recipient.clone(),
            contact: record.contact.clone(),
            channel: record.channel.clone(),
            address,
            headline,
            status: record.status.clone(),
            attempts: record.attempts,
            next_at: time(record.next_at),
            created_at: time(record.created_at),
            updated_at: time(record.updated_at),
            last_error: record.last_error.clone(),
        }
    }
}
