//! The vocabulary the notification settings are written in: what happened (`EventKind`),
//! who is told (`Recipient`), by which channel (`ChannelKind`), and the `Occasion` a route
//! is matched against.

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::workflow::fact::{Fact, Origin, Severity, SupervisionLevel};
use crate::workflow::warning::{Colour, PUBLIC_REPORT_RULE};

/// What a notification is about. Closed: a route naming anything else is refused at load.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A warning was opened (or reopened red: a relapse, an expired reminder).
    Raised,
    /// A deadline is `days_before` days away. No event records this: the outbox's timer
    /// decides it, which is why a route for it names the days.
    DueSoon,
    /// A deadline passed and the warning climbed the secondary-supervision ladder.
    Overdue,
    /// 催办.
    Urged,
    /// 督办.
    Supervised,
    /// 查办: transferred to investigation.
    Transferred,
    RectificationRejected,
    /// The rectification was verified: red turned yellow (observation).
    Downgraded,
    /// Closed green: observation ended, or a reminder was closed.
    Closed,
    /// A warning opened by a report from the public pages (我要反映).
    PublicReport,
}

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        EventKind::Raised,
        EventKind::DueSoon,
        EventKind::Overdue,
        EventKind::Urged,
        EventKind::Supervised,
        EventKind::Transferred,
        EventKind::RectificationRejected,
        EventKind::Downgraded,
        EventKind::Closed,
        EventKind::PublicReport,
    ];

    /// The snake_case name used in `workflows/notifications.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Raised => "raised",
            EventKind::DueSoon => "due_soon",
            EventKind::Overdue => "overdue",
            EventKind::Urged => "urged",
            EventKind::Supervised => "supervised",
            EventKind::Transferred => "transferred",
            EventKind::RectificationRejected => "rectification_rejected",
            EventKind::Downgraded => "downgraded",
            EventKind::Closed => "closed",
            EventKind::PublicReport => "public_report",
        }
    }

    /// The words a message shows for it (the `{event}` placeholder).
    pub fn label_zh(self) -> &'static str {
        match self {
            EventKind::Raised => "新预警",
            EventKind::DueSoon => "整改即将到期",
            EventKind::Overdue => "整改逾期",
            EventKind::Urged => "催办",
            EventKind::Supervised => "督办",
            EventKind::Transferred => "转查办",
            EventKind::RectificationRejected => "整改未通过",
            EventKind::Downgraded => "整改通过，转黄色观察",
            EventKind::Closed => "已销号",
            EventKind::PublicReport => "群众反映",
        }
    }

    /// The notification a committed event calls for, if any. A relapse and an expired
    /// reminder reopen a red warning with a fresh deadline, so the village hears of them
    /// as it hears of a new warning; a warning the public's report opened is its own
    /// kind, because the offices answer those differently. `DueSoon` comes from no event.
    pub fn of_fact(fact: &Fact) -> Option<EventKind> {
        match fact {
            Fact::Raised {
                origin: Origin::Rule { rule, .. },
                ..
            } if rule == PUBLIC_REPORT_RULE => Some(EventKind::PublicReport),
            Fact::Raised { .. } | Fact::Relapsed { .. } | Fact::ReminderExpired { .. } => {
                Some(EventKind::Raised)
            }
            Fact::DeadlinePassed { .. } => Some(EventKind::Overdue),
            Fact::Urged { .. } => Some(EventKind::Urged),
            Fact::Supervised { .. } => Some(EventKind::Supervised),
            Fact::TransferredToInvestigation { .. } => Some(EventKind::Transferred),
            Fact::RectificationRejected { .. } => Some(EventKind::RectificationRejected),
            Fact::RectificationVerified { .. } => Some(EventKind::Downgraded),
            Fact::ObservationEnded | Fact::ReminderClosed { .. } => Some(EventKind::Closed),
            Fact::Notified { .. }
            | Fact::Acknowledged { .. }
            | Fact::RectificationStarted { .. }
            | Fact::RectificationSubmitted { .. }
            | Fact::DeadlineExtended { .. }
            | Fact::Dismissed { .. }
            | Fact::Reinstated { .. }
            | Fact::RepliedPublicly { .. }
            | Fact::OutcomeRecorded { .. }
            | Fact::RecoveryRecorded { .. } => None,
        }
    }
}

/// Who a route tells. Three are the sign-in roles of the same name (`auth::Role`); the
/// village secretary (村党组织书记) signs in to nothing and is reached only through the
/// contacts the outbox keeps.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    VillageSteward,
    VillageSecretary,
    TownOffice,
    CityOffice,
}

impl Recipient {
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::VillageSteward => "village_steward",
            Recipient::VillageSecretary => "village_secretary",
            Recipient::TownOffice => "town_office",
            Recipient::CityOffice => "city_office",
        }
    }

    /// The sign-in role of the same name, where there is one.
    pub fn role(self) -> Option<Role> {
        match self {
            Recipient::VillageSteward => Some(Role::VillageSteward),
            Recipient::VillageSecretary => None,
            Recipient::TownOffice => Some(Role::TownOffice),
            Recipient::CityOffice => Some(Role::CityOffice),
        }
    }
}

/// A kind of channel. Each is configured at most once, under `[channels.KIND]`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Sms,
    #[serde(rename = "dingtalk")]
    DingTalk,
    #[serde(rename = "wecom")]
    WeCom,
    Email,
    Log,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Sms,
        ChannelKind::DingTalk,
        ChannelKind::WeCom,
        ChannelKind::Email,
        ChannelKind::Log,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Sms => "sms",
            ChannelKind::DingTalk => "dingtalk",
            ChannelKind::WeCom => "wecom",
            ChannelKind::Email => "email",
            ChannelKind::Log => "log",
        }
    }
}

/// What a route is matched against: the event and the warning as the event left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occasion {
    pub event: EventKind,
    pub severity: Severity,
    /// The warning's colour after the event (a reminder is raised yellow).
    pub level: Colour,
    /// Which office holds the warning on the secondary-supervision ladder, for `Overdue`
    /// (the `level` of `Fact::DeadlinePassed`); `None` for other events.
    pub held_by: Option<SupervisionLevel>,
    /// For `DueSoon`: how many days before the deadline this reminder is.
    pub days_before: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn raised(origin: Origin) -> Fact {
        Fact::Raised {
            region: "990102100201".parse().unwrap(),
            title: "t".into(),
            severity: Severity::High,
            subject: "s".into(),
            origin,
            evidence: serde_json::Value::Null,
            deadline: Utc.with_ymd_and_hms(2026, 3, 9, 1, 0, 0).unwrap(),
            reminder: false,
        }
    }

    #[test]
    fn a_public_report_is_told_apart_from_other_warnings() {
        let report = raised(Origin::Rule {
            rule: PUBLIC_REPORT_RULE.into(),
            subject: "report:x".into(),
        });
        assert_eq!(EventKind::of_fact(&report), Some(EventKind::PublicReport));
        let rule = raised(Origin::Rule {
            rule: "welfare_vehicle".into(),
            subject: "x".into(),
        });
        assert_eq!(EventKind::of_fact(&rule), Some(EventKind::Raised));
        assert_eq!(
            EventKind::of_fact(&raised(Origin::Manual)),
            Some(EventKind::Raised)
        );
    }

    #[test]
    fn the_events_map_to_their_notifications() {
        let at = Utc.with_ymd_and_hms(2026, 3, 9, 1, 0, 0).unwrap();
        let cases = [
            (
                Fact::RectificationVerified {
                    note: String::new(),
                    observation_until: at,
                },
                Some(EventKind::Downgraded),
            ),
            (Fact::ObservationEnded, Some(EventKind::Closed)),
            (
                Fact::Acknowledged {
                    note: String::new(),
                },
                None,
            ),
            (
                Fact::ReminderExpired {
                    missed: at,
                    deadline: at,
                },
                Some(EventKind::Raised),
            ),
        ];
        for (fact, expected) in cases {
            assert_eq!(EventKind::of_fact(&fact), expected, "{fact:?}");
        }
    }

    #[test]
    fn names_are_the_serde_names() {
        for kind in EventKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
        }
        for kind in ChannelKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(
            Recipient::TownOffice.role().unwrap().as_str(),
            "town_office"
        );
        assert_eq!(
            Recipient::VillageSteward.role().unwrap().as_str(),
            Recipient::VillageSteward.as_str()
        );
    }
}
