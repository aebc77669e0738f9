//! Commands: what someone (or the system) asks for, the closed set of them, and why one may
//! be refused. The decision that turns a command into events is in `decide.rs`.

use serde::{Deserialize, Serialize};

use super::outcome::{Finding, Handling};
use super::warning::Step;
use crate::auth::Actor;

pub use super::decide::{allowed_commands, allowed_for, decide, decide_raise, decide_system};

/// A command a user may send about an existing warning. The closed set of what can be
/// asked; the `type` tag is its name on the wire.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Acknowledge {
        #[serde(default)]
        note: String,
    },
    StartRectification {
        #[serde(default)]
        note: String,
    },
    SubmitRectification {
        note: String,
        /// Ids of photos uploaded to `POST /api/warnings/{id}/attachments`; screens send
        /// them as `photos`, older clients as `attachments`.
        #[serde(default, alias = "photos")]
        attachments: Vec<String>,
    },
    VerifyRectification {
        #[serde(default)]
        note: String,
    },
    RejectRectification {
        reason: String,
    },
    Urge {
        #[serde(default)]
        note: String,
    },
    Supervise {
        #[serde(default)]
        note: String,
    },
    ExtendDeadline {
        reason: String,
        days: u32,
    },
    TransferToInvestigation {
        reason: String,
    },
    Dismiss {
        reason: String,
    },
    Reinstate {
        reason: String,
    },
    /// The problem came back during observation (found by an inspection).
    ReportRelapse {
        note: String,
    },
    /// Closes a yellow reminder: what was done about it (a re-tender scheduled, a renewal
    /// signed) is required.
    CloseReminder {
        note: String,
    },
    /// Answers the people who reported the warning (rule `public_report`); the text is
    /// public, shown on their receipt page.
    ReplyPublicly {
        text: String,
    },
    /// Records what came of a warning once it was verified, dismissed, closed or
    /// transferred: the finding, the handling, how many people, the money to return (fen).
    /// Recorded again, it corrects the outcome (the history keeps both).
    RecordOutcome {
        finding: Finding,
        #[serde(default)]
        handling: Vec<Handling>,
        #[serde(default)]
        people: u32,
        #[serde(default)]
        amount_due_fen: i64,
        #[serde(default)]
        note: String,
    },
    /// Records one return of money (退缴) against the outcome: fen, the date paid
    /// (`YYYY-MM-DD`, Beijing) and the receipt number, unique within the warning.
    RecordRecovery {
        amount_fen: i64,
        date: String,
        receipt: String,
    },
}

/// The name of a command, for errors and for the list of allowed commands.
pub type CommandKind = &'static str;

/// Commands only the system issues: notifications and the scheduler's timers. Serialized
/// only to fingerprint a command for its idempotency key.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SystemCommand {
    Notify {
        recipients: Vec<String>,
    },
    MissDeadline,
    /// A reminder's deadline passed while it was open.
    ExpireReminder,
    EndObservation,
    Relapse {
        note: String,
        evidence: serde_json::Value,
    },
}

/// Who issues a command.
#[derive(Clone, Copy, Debug)]
pub enum Issuer<'a> {
    User(&'a Actor),
    System,
}

impl Issuer<'_> {
    pub fn name(&self) -> &str {
        match self {
            Issuer::User(actor) => actor.username(),
            Issuer::System => "system",
        }
    }
}

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// The actor may not issue this command on this warning (role or region).
    Forbidden { reason: String },
    /// A field is missing or malformed.
    Invalid { field: &'static str, reason: String },
    /// The command does not apply in the warning's current state.
    NotApplicable {
        command: CommandKind,
        state: Step,
        allowed: Vec<CommandKind>,
        reason: String,
    },
}

impl Command {
    pub const KINDS: [CommandKind; 16] = [
        "acknowledge",
        "start_rectification",
        "submit_rectification",
        "verify_rectification",
        "reject_rectification",
        "urge",
        "supervise",
        "extend_deadline",
        "transfer_to_investigation",
        "dismiss",
        "reinstate",
        "report_relapse",
        "close_reminder",
        "reply_publicly",
        "record_outcome",
        "record_recovery",
    ];

    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Acknowledge { .. } => "acknowledge",
            Command::StartRectification { .. } => "start_rectification",
            Command::SubmitRectification { .. } => "submit_rectification",
            Command::VerifyRectification { .. } => "verify_rectification",
            Command::RejectRectification { .. } => "reject_rectification",
            Command::Urge { .. } => "urge",
            Command::Supervise { .. } => "supervise",
            Command::ExtendDeadline { .. } => "extend_deadline",
            Command::TransferToInvestigation { .. } => "transfer_to_investigation",
            Command::Dismiss { .. } => "dismiss",
            Command::Reinstate { .. } => "reinstate",
            Command::ReportRelapse { .. } => "report_relapse",
            Command::CloseReminder { .. } => "close_reminder",
            Command::ReplyPublicly { .. } => "reply_publicly",
            Command::RecordOutcome { .. } => "record_outcome",
            Command::RecordRecovery { .. } => "record_recovery",
        }
    }

    /// A well-formed example of each command (an extension asks for `days`), used to work
    /// out which commands apply in a state without anyone's input, and by the model tests.
    pub(crate) fn example(kind: CommandKind, days: u32) -> Command {
        let text = || "-".to_string();
        match kind {
            "acknowledge" => Command::Acknowledge { note: text() },
            "start_rectification" => Command::StartRectification { note: text() },
            "submit_rectification" => Command::SubmitRectification {
                note: text(),
                attachments: vec![],
            },
            "verify_rectification" => Command::VerifyRectification { note: text() },
            "reject_rectification" => Command::RejectRectification { reason: text() },
            "urge" => Command::Urge { note: text() },
            "supervise" => Command::Supervise { note: text() },
            "extend_deadline" => Command::ExtendDeadline {
                reason: text(),
                days,
            },
            "transfer_to_investigation" => Command::TransferToInvestigation { reason: text() },
            "dismiss" => Command::Dismiss { reason: text() },
            "reinstate" => Command::Reinstate { reason: text() },
            "close_reminder" => Command::CloseReminder { note: text() },
            "reply_publicly" => Command::ReplyPublicly { text: text() },
            "record_outcome" => Command::RecordOutcome {
                finding: Finding::Unsubstantiated,
                handling: vec![],
                people: 0,
                amount_due_fen: 0,
                note: text(),
            },
            // A receipt no one writes, one fen dated long ago: applies exactly when
            // something is still to be returned.
            "record_recovery" => Command::RecordRecovery {
                amount_fen: 1,
                date: "2000-01-01".into(),
                receipt: "\u{2063}example".into(),
            },
            _ => Command::ReportRelapse { note: text() },
        }
    }
}
