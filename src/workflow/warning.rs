//! The warning aggregate: everything the lifecycle knows about one warning, folded from its
//! events. Which events are legal in which state is decided by the state machine
//! (`machine.rs`); this file records the values the events carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::evidence::Evidence;
use super::fact::{Fact, Origin, Rung, Severity, SupervisionLevel};
use super::notice::NoticeMark;
use super::outcome::CaseRecord;
use crate::domain::region::RegionCode;

/// Where a warning stands in its lifecycle.
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
pub enum Step {
    /// A yellow reminder (到期提醒): opened by a rule whose catalogue level is yellow.
    Reminder,
    Raised,
    Notified,
    Acknowledged,
    Rectifying,
    Submitted,
    Observation,
    Closed,
    Dismissed,
    Investigation,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Reminder,
        Step::Raised,
        Step::Notified,
        Step::Acknowledged,
        Step::Rectifying,
        Step::Submitted,
        Step::Observation,
        Step::Closed,
        Step::Dismissed,
        Step::Investigation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Reminder => "reminder",
            Step::Raised => "raised",
            Step::Notified => "notified",
            Step::Acknowledged => "acknowledged",
            Step::Rectifying => "rectifying",
            Step::Submitted => "submitted",
            Step::Observation => "observation",
            Step::Closed => "closed",
            Step::Dismissed => "dismissed",
            Step::Investigation => "investigation",
        }
    }

    /// The colour a wall shows. Only a verified rectification turns red into yellow
    /// ("整改不完成，预警不变色"); a reminder is yellow from the start and turns red only when
    /// its deadline passes; a dismissed warning is closed green as a false positive; a
    /// warning transferred to investigation stays red because nothing was rectified.
    pub fn colour(self) -> Colour {
        match self {
            Step::Reminder | Step::Observation => Colour::Yellow,
            Step::Closed | Step::Dismissed => Colour::Green,
            _ => Colour::Red,
        }
    }

    /// Steps in which the responsible village is still working against a deadline.
    pub fn is_working(self) -> bool {
        matches!(
            self,
            Step::Raised | Step::Notified | Step::Acknowledged | Step::Rectifying
        )
    }
}

/// The red / yellow / green level of a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Red,
    Yellow,
    Green,
}

impl Colour {
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Red => "red",
            Colour::Yellow => "yellow",
            Colour::Green => "green",
        }
    }
}

/// The timer a warning needs next: a deadline to watch, a reminder to expire or an
/// observation to end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextTimer {
    pub kind: TimerKind,
    pub due: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerKind {
    Deadline,
    ReminderDue,
    ObservationEnd,
}

impl TimerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::Deadline => "deadline",
            TimerKind::ReminderDue => "reminder_due",
            TimerKind::ObservationEnd => "observation_end",
        }
    }

    pub fn parse(text: &str) -> Option<TimerKind> {
        match text {
            "deadline" => Some(TimerKind::Deadline),
            "reminder_due" => Some(TimerKind::ReminderDue),
            "observation_end" => Some(TimerKind::ObservationEnd),
            _ => None,
        }
    }
}

/// How many urges and supervision notices one warning may get in 24 hours: pressing the
/// same village more often than this is noise, not supervision, and each one is an event
/// (and, once officials are notified, a message).
pub const MAX_PRESSES_PER_DAY: usize = 3;

/// The rule whose warnings come from the public's reports (我要反映).
pub const PUBLIC_REPORT_RULE: &str = "public_report";

impl Warning {
    /// True for a warning a public report raised.
    pub fn is_public_report(&self) -> bool {
        matches!(&self.origin, Origin::Rule { rule, .. } if rule == PUBLIC_REPORT_RULE)
    }

    /// How many urges and supervision notices were sent in the 24 hours before `now`.
    pub fn presses_in_the_last_day(&self, now: DateTime<Utc>) -> usize {
        let since = now - chrono::Duration::hours(24);
        self.pressed_at.iter().filter(|at| **at > since).count()
    }
}

/// One warning, as its events left it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub id: String,
    pub region: RegionCode,
    pub title: String,
    pub severity: Severity,
    pub subject: String,
    pub origin: Origin,
    pub evidence: Evidence,
    pub step: Step,
    /// The number of events in the stream; the expected version of the next append.
    pub version: u64,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The current rectification deadline.
    pub deadline: DateTime<Utc>,
    /// Set while a missed deadline has not been answered by an urge, a supervision notice
    /// or an extension.
    pub overdue_since: Option<DateTime<Utc>>,
    /// When the office holding an overdue warning must have acted before it climbs again.
    pub respond_by: Option<DateTime<Utc>>,
    /// Missed deadlines in the current red episode; zero means not under secondary supervision.
    pub misses: u32,
    pub rung: Option<Rung>,
    pub holder: Option<SupervisionLevel>,
    pub extensions: u32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_on_time: Option<bool>,
    pub verified_at: Option<DateTime<Utc>>,
    pub observation_until: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub before_dismissal: Option<Step>,
    pub last_reason: Option<String>,
    pub relapses: u32,
    /// On the reminder track: opened as a yellow reminder and not (yet) turned red. Stays
    /// set when the reminder is closed or dismissed, so a closed reminder is told apart
    /// from a warning closed after observation.
    #[serde(default)]
    pub reminder: bool,
    /// When the responsible party acknowledged the reminder.
    #[serde(default)]
    pub reminder_acknowledged_at: Option<DateTime<Utc>>,
    /// When the latest urges and supervision notices were sent (at most
    /// [`MAX_PRESSES_PER_DAY`] kept), so that repeating them can be limited per day.
    #[serde(default)]
    pub pressed_at: Vec<DateTime<Utc>>,
    /// The office's latest public reply (public reports only).
    #[serde(default)]
    pub public_reply: Option<String>,
    /// The outcome and the returns of money, once recorded (`outcome.rs`).
    #[serde(default)]
    pub case: Option<Box<CaseRecord>>,
    /// The notices (urges, supervision notices, transfers) sent, marked by the projection
    /// with their log positions, which number them (`notice.rs`).
    #[serde(default)]
    pub notices: Vec<NoticeMark>,
    /// Set by the state machine when the event being handled does not apply; never stored.
    #[serde(skip)]
    pub(super) rejection: Option<String>,
}

impl Warning {
    /// Starts an aggregate from the first event of its stream, which must be `Raised`.
    pub fn from_raised(id: &str, fact: &Fact, at: DateTime<Utc>) -> Option<Warning> {
        let Fact::Raised {
            region,
            title,
            severity,
            subject,
            origin,
            evidence,
            deadline,
            reminder,
        } = fact
        else {
            return None;
        };
        Some(Warning {
            id: id.to_string(),
            region: *region,
            title: title.clone(),
            severity: *severity,
            subject: subject.clone(),
            origin: origin.clone(),
            evidence: Evidence::from_value(evidence),
            step: if *reminder {
                Step::Reminder
            } else {
                Step::Raised
            },
            version: 1,
            raised_at: at,
            updated_at: at,
            deadline: *deadline,
            overdue_since: None,
            respond_by: None,
            misses: 0,
            rung: None,
            holder: None,
            extensions: 0,
            submitted_at: None,
            submitted_on_time: None,
            verified_at: None,
            observation_until: None,
            closed_at: None,
            before_dismissal: None,
            last_reason: None,
            relapses: 0,
            reminder: *reminder,
            reminder_acknowledged_at: None,
            pressed_at: Vec::new(),
            public_reply: None,
            case: None,
            notices: Vec::new(),
            rejection: None,
        })
    }

    pub fn colour(&self) -> Colour {
        self.step.colour()
    }

    pub fn is_overdue(&self) -> bool {
        self.overdue_since.is_some() && self.step.colour() == Colour::Red
    }

    /// Under secondary supervision: red and has missed at least one deadline.
    pub fn under_supervision(&self) -> bool {
        self.misses > 0 && self.step.colour() == Colour::Red && self.step != Step::Investigation
    }

    /// A reminder its responsible party closed (not a warning closed after observation):
    /// the same finding does not open it again.
    pub fn is_closed_reminder(&self) -> bool {
        self.reminder && self.step == Step::Closed
    }

    /// The rule that raised the warning, if a rule did.
    pub fn rule(&self) -> Option<&str> {
        match &self.origin {
            Origin::Rule { rule, .. } => Some(rule),
            Origin::Manual => None,
        }
    }

    /// The one timer this warning needs now, derived from its state so that the store can
    /// keep it in the same transaction as the events that changed it.
    pub fn next_timer(&self) -> Option<NextTimer> {
        if self.step == Step::Observation {
            let due = self.observation_until?;
            return Some(NextTimer {
                kind: TimerKind::ObservationEnd,
                due,
            });
        }
        if self.step == Step::Reminder {
            return Some(NextTimer {
                kind: TimerKind::ReminderDue,
                due: self.deadline,
            });
        }
        if !self.step.is_working() {
            return None;
        }
        let due = if self.overdue_since.is_some() {
            self.respond_by?
        } else {
            self.deadline
        };
        Some(NextTimer {
            kind: TimerKind::Deadline,
            due,
        })
    }

    /// Records the values an accepted event carries. The state machine has already decided
    /// that the event applies and moved `step`.
    pub(super) fn absorb(&mut self, fact: &Fact, at: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = at;
        match fact {
            Fact::RectificationSubmitted { .. } => {
                self.submitted_at = Some(at);
                self.submitted_on_time = Some(at <= self.deadline && self.misses == 0);
            }
            Fact::RectificationVerified {
                observation_until, ..
            } => {
                self.verified_at = Some(at);
                self.observation_until = Some(*observation_until);
                self.overdue_since = None;
                self.respond_by = None;
            }
            Fact::RectificationRejected { reason } => {
                self.last_reason = Some(reason.clone());
                self.submitted_at = None;
                self.submitted_on_time = None;
            }
            Fact::DeadlinePassed {
                missed,
                misses,
                rung,
                level,
                respond_by,
            } => {
                self.overdue_since.get_or_insert(*missed);
                self.misses = *misses;
                self.rung = Some(*rung);
                self.holder = Some(*level);
                self.respond_by = *respond_by;
            }
            Fact::Urged { deadline, .. } | Fact::Supervised { deadline, .. } => {
                self.answer_overdue(*deadline);
                self.pressed_at.push(at);
                let excess = self.pressed_at.len().saturating_sub(MAX_PRESSES_PER_DAY);
                self.pressed_at.drain(..excess);
            }
            Fact::DeadlineExtended { reason, deadline } => {
                self.extensions += 1;
                self.last_reason = Some(reason.clone());
                self.answer_overdue(*deadline);
            }
            Fact::Dismissed { reason }
            | Fact::Reinstated { reason }
            | Fact::TransferredToInvestigation { reason } => {
                self.last_reason = Some(reason.clone());
            }
            Fact::ObservationEnded => self.closed_at = Some(at),
            Fact::Relapsed { deadline, .. } => self.reopen(*deadline),
            Fact::Acknowledged { .. } if self.step == Step::Reminder => {
                self.reminder_acknowledged_at = Some(at);
            }
            Fact::ReminderClosed { note } => {
                self.closed_at = Some(at);
                self.last_reason = Some(note.clone());
            }
            Fact::ReminderExpired { deadline, .. } => {
                self.reminder = false;
                self.deadline = *deadline;
            }
            Fact::RepliedPublicly { text } => self.public_reply = Some(text.clone()),
            Fact::OutcomeRecorded { .. } | Fact::RecoveryRecorded { .. } => {
                self.absorb_case(fact, at)
            }
            Fact::Raised { .. }
            | Fact::Notified { .. }
            | Fact::Acknowledged { .. }
            | Fact::RectificationStarted { .. } => {}
        }
    }

    /// A new deadline answers an overdue warning; the ladder position is kept, so a further
    /// miss climbs from where it stands.
    fn answer_overdue(&mut self, deadline: DateTime<Utc>) {
        self.deadline = deadline;
        self.overdue_since = None;
        self.respond_by = None;
    }

    /// A relapse during observation starts a new red episode with a fresh deadline.
    fn reopen(&mut self, deadline: DateTime<Utc>) {
        self.relapses += 1;
        self.deadline = deadline;
        self.overdue_since = None;
        self.respond_by = None;
        self.misses = 0;
        self.rung = None;
        self.holder = None;
        self.extensions = 0;
        self.submitted_at = None;
        self.submitted_on_time = None;
        self.verified_at = None;
        self.observation_until = None;
    }
}
