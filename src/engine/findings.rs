//! Rule findings into warnings. A finding raises a warning (or, for a rule whose catalogue
//! level is yellow, a reminder) unless one is already open for the same rule and subject;
//! a finding during observation is a relapse that reopens the warning; a subject the town
//! office dismissed as a false positive stays dismissed until the city reinstates it; a
//! reminder its responsible party closed is not raised again for the same subject.

use chrono::Duration;
use serde::Serialize;

use super::{Engine, EngineError};
use crate::domain::region::RegionCode;
use crate::workflow::{Fact, Issuer, Origin, Severity, Step, SystemCommand};

/// What a rule found, with the catalogue's policy for it.
#[derive(Clone, Debug)]
pub struct RuleFinding {
    pub rule: String,
    pub subject: String,
    pub region: RegionCode,
    pub title: String,
    pub summary: String,
    pub evidence: serde_json::Value,
    pub severity: Severity,
    /// Days until the deadline: to rectify a red warning, or to see to a reminder.
    pub deadline_days: u32,
    /// Open a yellow reminder rather than a red warning (the catalogue's `level`).
    pub reminder: bool,
}

/// What a finding did to the warnings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "warning", rename_all = "snake_case")]
pub enum FindingOutcome {
    Raised(String),
    Relapsed(String),
    AlreadyOpen(String),
    Dismissed(String),
    /// A reminder for the subject was closed by its responsible party.
    ReminderClosed(String),
}

impl Engine {
    /// Applies one finding. Idempotent: a scan run twice, or on two instances at once,
    /// raises one warning per subject.
    pub async fn apply_finding(&self, finding: RuleFinding) -> Result<FindingOutcome, EngineError> {
        let _busy = self.load.enter();
        let existing = self.read(|p| {
            p.by_subject
                .get(&finding.rule, &finding.subject)
                .and_then(|id| p.warnings.get(id))
                .map(|w| crate::workflow::Warning::clone(w))
        });
        let previous_version = match &existing {
            Some(w) if w.step == Step::Observation => {
                let command = SystemCommand::Relapse {
                    note: finding.summary.clone(),
                    evidence: finding.evidence.clone(),
                };
                let idempotency =
                    format!("relapse:{}:{}:{}", finding.rule, finding.subject, w.version);
                self.execute_system(&w.id, &command, w.version, &idempotency)
                    .await?;
                return Ok(FindingOutcome::Relapsed(w.id.clone()));
            }
            Some(w) if w.step == Step::Dismissed => {
                return Ok(FindingOutcome::Dismissed(w.id.clone()));
            }
            Some(w) if w.is_closed_reminder() => {
                return Ok(FindingOutcome::ReminderClosed(w.id.clone()));
            }
            Some(w) if w.step != Step::Closed => {
                return Ok(FindingOutcome::AlreadyOpen(w.id.clone()));
            }
            Some(w) => w.version,
            None => 0,
        };
        // The key names the subject and the warning it follows, so concurrent scans agree
        // on one raise and a later recurrence after close-out raises a new one.
        let previous = existing.as_ref().map(|w| w.id.as_str()).unwrap_or("-");
        let idempotency = format!(
            "finding:{}:{}:{previous}:{previous_version}",
            finding.rule, finding.subject
        );
        let prepared = self
            .prepare_key(
                Issuer::System,
                Some(&idempotency),
                &serde_json::json!(idempotency),
            )
            .await?;
        if let Some(prior) = prepared.as_ref().and_then(|k| k.replay.clone()) {
            return Ok(FindingOutcome::AlreadyOpen(prior.warning.id));
        }
        let now = self.clock.now();
        let raised = Fact::Raised {
            region: finding.region,
            title: finding.title,
            severity: finding.severity,
            subject: finding.summary,
            origin: Origin::Rule {
                rule: finding.rule,
                subject: finding.subject,
            },
            evidence: finding.evidence,
            deadline: now + Duration::days(i64::from(finding.deadline_days)),
            reminder: finding.reminder,
        };
        let outcome = self
            .open_stream(Issuer::System, raised, prepared, now)
            .await?;
        Ok(FindingOutcome::Raised(outcome.warning.id))
    }
}
