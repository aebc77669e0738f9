//! The decision that turns a command into events. A command is checked in a fixed order: may
//! this actor ever issue it here (403), are its fields well formed (422), does it apply in the
//! warning's current state (409). Nothing is silently ignored.

use chrono::{DateTime, Duration, Utc};

use super::command::{Command, CommandKind, Rejection, SystemCommand};
use super::fact::Fact;
use super::outcome::{check_outcome, check_recovery};
use super::settings::LifecycleSettings;
use super::warning::{MAX_PRESSES_PER_DAY, Warning};
use crate::auth::{Actor, Role, can_write};
use crate::domain::date::shanghai_day;
use crate::domain::region::{Level, RegionCode};

/// Who may issue a command on a warning in region `warning`, by role. Region scope is
/// checked separately with `can_write`.
fn role_may(role: Role, kind: CommandKind, warning: &Warning) -> bool {
    let office = matches!(role, Role::TownOffice | Role::CityOffice);
    // The responsible party: the village steward for a village's warning, the town or
    // city office for a warning raised on a town or the city itself.
    let responsible = if warning.region.level() == Level::Village {
        role == Role::VillageSteward
    } else {
        office
    };
    match kind {
        "acknowledge" | "start_rectification" | "submit_rectification" => responsible,
        // A reminder is closed by whoever saw to it: the responsible party or an office.
        "close_reminder" => responsible || office,
        "reinstate" => role == Role::CityOffice,
        _ => office,
    }
}

/// Whether `actor` may raise a warning by hand in `region`: a town or city office within
/// its own region (stewards report through their office; the public through 我要反映).
pub fn decide_raise(actor: &Actor, region: &RegionCode) -> Result<(), Rejection> {
    if can_write(actor, region) && matches!(actor.role(), Role::TownOffice | Role::CityOffice) {
        return Ok(());
    }
    Err(Rejection::Forbidden {
        reason: format!(
            "a {} of {} may not raise a warning in {}",
            actor.role().as_str(),
            actor.region(),
            region
        ),
    })
}

/// Decides a user command against a warning: the events to append, or why not.
pub fn decide(
    warning: &Warning,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
    settings: &LifecycleSettings,
) -> Result<Vec<Fact>, Rejection> {
    let kind = command.kind();
    if !can_write(actor, &warning.region) || !role_may(actor.role(), kind, warning) {
        return Err(Rejection::Forbidden {
            reason: format!(
                "a {} of {} may not {} a warning of region {}",
                actor.role().as_str(),
                actor.region().as_str(),
                kind,
                warning.region.as_str()
            ),
        });
    }
    let fact = fact_for(command, warning, now, settings).map_err(|rejection| match rejection {
        Rejection::NotApplicable {
            command,
            state,
            reason,
            ..
        } => Rejection::NotApplicable {
            command,
            state,
            allowed: allowed_commands(warning, now, settings),
            reason,
        },
        other => other,
    })?;
    check_applies(warning, kind, fact.clone(), now, settings)?;
    Ok(vec![fact])
}

/// Decides a system command (timers, notifications, rule relapses).
pub fn decide_system(
    warning: &Warning,
    command: &SystemCommand,
    now: DateTime<Utc>,
    settings: &LifecycleSettings,
) -> Result<Vec<Fact>, Rejection> {
    let fact = match command {
        SystemCommand::Notify { recipients } => Fact::Notified {
            recipients: recipients.clone(),
        },
        SystemCommand::MissDeadline => {
            let misses = warning.misses + 1;
            let step = settings.rung_for(misses);
            let respond_by = match (settings.is_top(misses), step.respond_days) {
                (false, Some(days)) => Some(now + Duration::days(i64::from(days))),
                _ => None,
            };
            Fact::DeadlinePassed {
                missed: warning.next_timer().map(|t| t.due).unwrap_or(now),
                misses,
                rung: step.rung,
                level: step.level,
                respond_by,
            }
        }
        SystemCommand::ExpireReminder => Fact::ReminderExpired {
            missed: warning.deadline,
            deadline: now + settings.deadline(warning.severity),
        },
        SystemCommand::EndObservation => Fact::ObservationEnded,
        SystemCommand::Relapse { note, evidence } => Fact::Relapsed {
            note: note.clone(),
            evidence: evidence.clone(),
            deadline: now + settings.deadline(warning.severity),
        },
    };
    let kind = fact.kind();
    check_applies(warning, kind, fact.clone(), now, settings)?;
    Ok(vec![fact])
}

/// The longest note or reason a command may carry, in characters (a page of text), so a
/// client cannot grow a warning's history without bound.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Refuses a text longer than [`MAX_TEXT_CHARS`], naming the field.
fn bounded(field: &'static str, text: &str) -> Result<String, Rejection> {
    let found = text.chars().count();
    if found > MAX_TEXT_CHARS {
        return Err(Rejection::Invalid {
            field,
            reason: format!("{field} must be at most {MAX_TEXT_CHARS} characters, found {found}"),
        });
    }
    Ok(text.to_string())
}

/// Builds the event a command asks for, checking its fields and the settings' limits.
fn fact_for(
    command: &Command,
    warning: &Warning,
    now: DateTime<Utc>,
    settings: &LifecycleSettings,
) -> Result<Fact, Rejection> {
    let required = |field: &'static str, text: &str| {
        bounded(field, text)?;
        if text.trim().is_empty() {
            Err(Rejection::Invalid {
                field,
                reason: format!("{field} must not be empty"),
            })
        } else {
            Ok(text.trim().to_string())
        }
    };
    let grace = || {
        let misses = warning.misses.max(1);
        now + Duration::days(i64::from(settings.rung_for(misses).grace_days))
    };
    Ok(match command {
        Command::Acknowledge { note } => Fact::Acknowledged {
            note: bounded("note", note)?,
        },
        Command::StartRectification { note } => Fact::RectificationStarted {
            note: bounded("note", note)?,
        },
        Command::SubmitRectification { note, attachments } => Fact::RectificationSubmitted {
            note: required("note", note)?,
            attachments: attachments.clone(),
        },
        Command::VerifyRectification { note } => Fact::RectificationVerified {
            note: bounded("note", note)?,
            observation_until: now + settings.observation(),
        },
        Command::RejectRectification { reason } => Fact::RectificationRejected {
            reason: required("reason", reason)?,
        },
        Command::Urge { note } => {
            not_pressed_too_often(warning, "urge", now)?;
            Fact::Urged {
                note: bounded("note", note)?,
                deadline: grace(),
            }
        }
        Command::Supervise { note } => {
            not_pressed_too_often(warning, "supervise", now)?;
            Fact::Supervised {
                note: bounded("note", note)?,
                deadline: grace(),
            }
        }
        Command::ExtendDeadline { reason, days } => {
            extension(warning, reason, *days, now, settings).and_then(|deadline| {
                Ok(Fact::DeadlineExtended {
                    reason: required("reason", reason)?,
                    deadline,
                })
            })?
        }
        Command::TransferToInvestigation { reason } => Fact::TransferredToInvestigation {
            reason: required("reason", reason)?,
        },
        Command::Dismiss { reason } => Fact::Dismissed {
            reason: required("reason", reason)?,
        },
        Command::Reinstate { reason } => Fact::Reinstated {
            reason: required("reason", reason)?,
        },
        Command::ReportRelapse { note } => Fact::Relapsed {
            note: required("note", note)?,
            evidence: serde_json::Value::Null,
            deadline: now + settings.deadline(warning.severity),
        },
        Command::CloseReminder { note } => Fact::ReminderClosed {
            note: required("note", note)?,
        },
        Command::ReplyPublicly { text } => {
            if !warning.is_public_report() {
                return Err(Rejection::NotApplicable {
                    command: "reply_publicly",
                    state: warning.step,
                    allowed: Vec::new(),
                    reason: format!(
                        "warning {} was not reported by the public; only a public report gets a public reply",
                        warning.id
                    ),
                });
            }
            Fact::RepliedPublicly {
                text: required("text", text)?,
            }
        }
        Command::RecordOutcome {
            finding,
            handling,
            people,
            amount_due_fen,
            note,
        } => {
            let amount_due = check_outcome(*finding, handling, *people, *amount_due_fen)?;
            Fact::OutcomeRecorded {
                finding: *finding,
                handling: handling.clone(),
                people: *people,
                amount_due,
                note: bounded("note", note.trim())?,
            }
        }
        Command::RecordRecovery {
            amount_fen,
            date,
            receipt,
        } => {
            let (amount, date, receipt) =
                check_recovery(*amount_fen, date, receipt, shanghai_day(now))?;
            Fact::RecoveryRecorded {
                amount,
                date,
                receipt,
            }
        }
    })
}

/// Refuses an urge or a supervision notice beyond [`MAX_PRESSES_PER_DAY`] in 24 hours.
fn not_pressed_too_often(
    warning: &Warning,
    command: CommandKind,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    if warning.presses_in_the_last_day(now) < MAX_PRESSES_PER_DAY {
        return Ok(());
    }
    Err(Rejection::NotApplicable {
        command,
        state: warning.step,
        // `allowed` is filled in by `decide`, as for an extension.
        allowed: Vec::new(),
        reason: format!(
            "warning {} was urged or supervised {MAX_PRESSES_PER_DAY} times in the last 24 hours, \
             the most allowed; wait for the village to answer",
            warning.id
        ),
    })
}

/// The new deadline an extension grants, within the settings' limits.
fn extension(
    warning: &Warning,
    reason: &str,
    days: u32,
    now: DateTime<Utc>,
    settings: &LifecycleSettings,
) -> Result<DateTime<Utc>, Rejection> {
    let limits = &settings.extension;
    if days == 0 || days > limits.max_days {
        return Err(Rejection::Invalid {
            field: "days",
            reason: format!("days must be between 1 and {}", limits.max_days),
        });
    }
    if warning.extensions >= limits.max_extensions {
        // `allowed` is filled in by `decide`; computing it here would recurse.
        return Err(Rejection::NotApplicable {
            command: "extend_deadline",
            state: warning.step,
            allowed: Vec::new(),
            reason: format!(
                "the deadline was already extended {} time(s), the most allowed ({reason:?} not granted)",
                warning.extensions
            ),
        });
    }
    Ok(warning.deadline.max(now) + Duration::days(i64::from(days)))
}

/// Checks on a copy whether the event applies in the warning's state.
fn check_applies(
    warning: &Warning,
    kind: CommandKind,
    fact: Fact,
    now: DateTime<Utc>,
    settings: &LifecycleSettings,
) -> Result<(), Rejection> {
    let mut probe = warning.clone();
    probe
        .apply(fact, now)
        .map_err(|reason| Rejection::NotApplicable {
            command: kind,
            state: warning.step,
            allowed: allowed_commands(warning, now, settings),
            reason,
        })
}

/// The user commands that apply to the warning in its current state (whoever asks).
pub fn allowed_commands(
    warning: &Warning,
    now: DateTime<Utc>,
    settings: &LifecycleSettings,
) -> Vec<CommandKind> {
    Command::KINDS
        .into_iter()
        .filter(|kind| {
            let command = Command::example(kind, 1);
            let Ok(fact) = fact_for(&command, warning, now, settings) else {
                return false;
            };
            warning.clone().apply(fact, now).is_ok()
        })
        .collect()
}

/// The commands this actor may issue on the warning right now: those that apply in its
/// state and that the actor's role and region permit. Screens show exactly these buttons.
pub fn allowed_for(
    warning: &Warning,
    actor: &Actor,
    now: DateTime<Utc>,
    settings: &LifecycleSettings,
) -> Vec<CommandKind> {
    if !can_write(actor, &warning.region) {
        return Vec::new();
    }
    allowed_commands(warning, now, settings)
        .into_iter()
        .filter(|kind| role_may(actor.role(), kind, warning))
        .collect()
}
