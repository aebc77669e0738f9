//! The events of a warning's stream (what happened, in the past tense). They are the only
//! serialized domain type: the store keeps them, replay folds them. Every value an event's
//! effect depends on (a new deadline, an observation end) is written into the event itself,
//! so replay never consults settings that may have changed since.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::outcome::{Finding, Handling};
use crate::domain::money::Fen;
use crate::domain::region::RegionCode;

/// How serious a warning is; picks the rectification deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }
}

/// A rung of the secondary-supervision ladder: 催办 → 督办 → 查办.
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
pub enum Rung {
    Urge,
    Supervise,
    Investigate,
}

/// Which office holds a warning under secondary supervision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    Town,
    City,
}

/// Where a warning came from: raised by hand (a petition, an inspection) or by a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    Manual,
    /// Raised by a rule; `subject` is the rule's stable key of what it flagged, so the same
    /// finding never opens a second warning while one is open.
    Rule {
        rule: String,
        #[serde(default)]
        subject: String,
    },
}

/// One event of a warning's stream. The serde tag is the stored event kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    Raised {
        region: RegionCode,
        title: String,
        severity: Severity,
        subject: String,
        origin: Origin,
        #[serde(default)]
        evidence: serde_json::Value,
        deadline: DateTime<Utc>,
        /// Opened as a yellow reminder (提醒) rather than a red warning: nothing is wrong
        /// yet, but the responsible party must act before `deadline`. Absent in events
        /// stored before reminders existed, which all opened red.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reminder: bool,
    },
    Notified {
        recipients: Vec<String>,
    },
    Acknowledged {
        note: String,
    },
    RectificationStarted {
        note: String,
    },
    RectificationSubmitted {
        note: String,
        #[serde(default)]
        attachments: Vec<String>,
    },
    RectificationVerified {
        note: String,
        observation_until: DateTime<Utc>,
    },
    RectificationRejected {
        reason: String,
    },
    /// The deadline passed without a submitted rectification: the warning climbs to `rung`
    /// (held by `level`) and whoever holds it must act before `respond_by`, if any.
    DeadlinePassed {
        missed: DateTime<Utc>,
        misses: u32,
        rung: Rung,
        level: SupervisionLevel,
        respond_by: Option<DateTime<Utc>>,
    },
    Urged {
        note: String,
        deadline: DateTime<Utc>,
    },
    Supervised {
        note: String,
        deadline: DateTime<Utc>,
    },
    DeadlineExtended {
        reason: String,
        deadline: DateTime<Utc>,
    },
    TransferredToInvestigation {
        reason: String,
    },
    Dismissed {
        reason: String,
    },
    Reinstated {
        reason: String,
    },
    ObservationEnded,
    Relapsed {
        note: String,
        #[serde(default)]
        evidence: serde_json::Value,
        deadline: DateTime<Utc>,
    },
    /// The responsible party closed a reminder: it was seen to (a re-tender scheduled, a
    /// renewal signed) before its deadline.
    ReminderClosed {
        note: String,
    },
    /// A reminder's deadline passed while it was still open: it becomes an ordinary red
    /// warning with a fresh rectification `deadline`, and the escalation ladder applies.
    ReminderExpired {
        missed: DateTime<Utc>,
        deadline: DateTime<Utc>,
    },
    /// The office's answer to the people who reported it, shown on their receipt page
    /// (only a warning a public report raised gets one). Changes nothing else.
    RepliedPublicly {
        text: String,
    },
    /// What came of the warning (see `outcome.rs`); a later one supersedes it.
    OutcomeRecorded {
        finding: Finding,
        handling: Vec<Handling>,
        people: u32,
        amount_due: Fen,
        #[serde(default)]
        note: String,
    },
    /// One return of money against the outcome (退缴).
    RecoveryRecorded {
        amount: Fen,
        date: NaiveDate,
        receipt: String,
    },
}

impl Fact {
    /// The stored event kind, e.g. `"deadline_passed"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::Raised { .. } => "raised",
            Fact::Notified { .. } => "notified",
            Fact::Acknowledged { .. } => "acknowledged",
            Fact::RectificationStarted { .. } => "rectification_started",
            Fact::RectificationSubmitted { .. } => "rectification_submitted",
            Fact::RectificationVerified { .. } => "rectification_verified",
            Fact::RectificationRejected { .. } => "rectification_rejected",
            Fact::DeadlinePassed { .. } => "deadline_passed",
            Fact::Urged { .. } => "urged",
            Fact::Supervised { .. } => "supervised",
            Fact::DeadlineExtended { .. } => "deadline_extended",
            Fact::TransferredToInvestigation { .. } => "transferred_to_investigation",
            Fact::Dismissed { .. } => "dismissed",
            Fact::Reinstated { .. } => "reinstated",
            Fact::ObservationEnded => "observation_ended",
            Fact::Relapsed { .. } => "relapsed",
            Fact::ReminderClosed { .. } => "reminder_closed",
            Fact::ReminderExpired { .. } => "reminder_expired",
            Fact::RepliedPublicly { .. } => "replied_publicly",
            Fact::OutcomeRecorded { .. } => "outcome_recorded",
            Fact::RecoveryRecorded { .. } => "recovery_recorded",
        }
    }
}
