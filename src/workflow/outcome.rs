//! What came of a warning (疑似问题线索的处置结果): the finding of the verification, how the
//! people responsible were handled, the money to be returned and each return (退缴) as it
//! is paid. Recorded by the town or city office as events (`outcome_recorded`,
//! `recovery_recorded`) once the warning was verified, dismissed, closed or transferred to
//! investigation; a later `outcome_recorded` corrects the earlier one (the history keeps
//! both). Pure values and their checks; the state rules are in `machine.rs`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::command::Rejection;
use super::fact::Fact;
use super::warning::Step;
use super::warning::Warning;
use crate::domain::money::Fen;

/// What the verification found (核实结果).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// 属实
    Substantiated,
    /// 部分属实
    PartlySubstantiated,
    /// 不属实: the rule's finding was a false positive.
    Unsubstantiated,
}

impl Finding {
    pub const ALL: [Finding; 3] = [
        Finding::Substantiated,
        Finding::PartlySubstantiated,
        Finding::Unsubstantiated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Substantiated => "substantiated",
            Finding::PartlySubstantiated => "partly_substantiated",
            Finding::Unsubstantiated => "unsubstantiated",
        }
    }

    pub fn parse(text: &str) -> Option<Finding> {
        Finding::ALL.into_iter().find(|f| f.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Finding::Substantiated => "属实",
            Finding::PartlySubstantiated => "部分属实",
            Finding::Unsubstantiated => "不属实",
        }
    }

    /// 属实 or 部分属实: the funnel's "verified true".
    pub fn is_true(self) -> bool {
        self != Finding::Unsubstantiated
    }
}

/// How the people responsible were handled (处理方式); an outcome may record several.
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
pub enum Handling {
    /// 批评教育
    Criticism,
    /// 诫勉谈话
    Admonition,
    /// 党纪政务处分
    Discipline,
    /// 移送司法机关
    Judicial,
    /// 其他 (the note says what)
    Other,
}

impl Handling {
    pub fn label(self) -> &'static str {
        match self {
            Handling::Criticism => "批评教育",
            Handling::Admonition => "诫勉谈话",
            Handling::Discipline => "党纪政务处分",
            Handling::Judicial => "移送司法机关",
            Handling::Other => "其他",
        }
    }
}

/// The most people one outcome may name as handled: a village's committee and then some.
pub const MAX_PEOPLE: u32 = 500;
/// The most money one outcome may ask back (一亿元): beyond any village's books, so a typo
/// of extra digits is refused rather than put on the city's wall.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000_000;
/// A receipt number (票据号) is at most this many characters.
pub const MAX_RECEIPT_CHARS: usize = 64;
/// The most returns one warning may record.
pub const MAX_RECOVERIES: usize = 200;
/// The earliest date a return may carry.
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();

/// The outcome as it stands (the latest `outcome_recorded`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub finding: Finding,
    pub handling: Vec<Handling>,
    pub people: u32,
    /// 应退缴: what is to be returned.
    pub amount_due: Fen,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
    /// How many times the outcome was recorded (1 = never corrected).
    pub revisions: u32,
}

/// One return of money (退缴).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    pub amount: Fen,
    pub date: NaiveDate,
    pub receipt: String,
    pub recorded_at: DateTime<Utc>,
}

/// A warning's case record: its outcome and the returns paid against it. Boxed in the
/// warning (most warnings never get one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    pub outcome: Outcome,
    #[serde(default)]
    pub recoveries: Vec<Recovery>,
}

impl CaseRecord {
    /// 已退缴: the sum of the returns (bounded by `MAX_RECOVERIES × MAX_AMOUNT_FEN`).
    pub fn recovered(&self) -> Fen {
        Fen::from_fen(self.recoveries.iter().map(|r| r.amount.fen()).sum())
    }

    /// What is still to be returned.
    pub fn outstanding(&self) -> Fen {
        Fen::from_fen((self.outcome.amount_due.fen() - self.recovered().fen()).max(0))
    }

    /// 办结时间: the case is concluded when its outcome is recorded and everything due is
    /// returned; the time is the later of the outcome and the return that completed it.
    pub fn concluded_at(&self) -> Option<DateTime<Utc>> {
        if self.outstanding() > Fen::ZERO {
            return None;
        }
        let mut running = 0;
        let mut completed = None;
        for recovery in &self.recoveries {
            running += recovery.amount.fen();
            if completed.is_none() && running >= self.outcome.amount_due.fen() {
                completed = Some(recovery.recorded_at);
            }
        }
        Some(completed.map_or(self.outcome.recorded_at, |at| {
            at.max(self.outcome.recorded_at)
        }))
    }
}

/// Steps in which an outcome may first be recorded: verified (observation and the close
/// after it), dismissed, a closed reminder, transferred to investigation.
pub fn outcome_may_be_recorded(step: Step) -> bool {
    matches!(
        step,
        Step::Observation | Step::Closed | Step::Dismissed | Step::Investigation
    )
}

fn invalid(field: &'static str, reason: String) -> Rejection {
    Rejection::Invalid { field, reason }
}

/// Checks an outcome's fields together (422 naming the field).
pub fn check_outcome(
    finding: Finding,
    handling: &[Handling],
    people: u32,
    amount_due_fen: i64,
) -> Result<Fen, Rejection> {
    if people > MAX_PEOPLE {
        return Err(invalid(
            "people",
            format!("people must be at most {MAX_PEOPLE}, found {people}"),
        ));
    }
    if !(0..=MAX_AMOUNT_FEN).contains(&amount_due_fen) {
        return Err(invalid(
            "amount_due_fen",
            format!(
                "amount_due_fen must be between 0 and {MAX_AMOUNT_FEN} fen, found {amount_due_fen}"
            ),
        ));
    }
    let mut seen = handling.to_vec();
    seen.sort();
    seen.dedup();
    if seen.len() != handling.len() {
        return Err(invalid("handling", "handling names a measure twice".into()));
    }
    if !finding.is_true() {
        if !handling.is_empty() || people > 0 || amount_due_fen > 0 {
            let field = if !handling.is_empty() {
                "handling"
            } else if people > 0 {
                "people"
            } else {
                "amount_due_fen"
            };
            return Err(invalid(
                field,
                format!(
                    "an unsubstantiated finding handles no one and recovers nothing ({field} must be empty or 0)"
                ),
            ));
        }
    } else if handling.is_empty() {
        return Err(invalid(
            "handling",
            "a substantiated finding names at least one handling (other, with a note, if none applies)".into(),
        ));
    } else if people == 0 && handling.iter().any(|h| *h != Handling::Other) {
        return Err(invalid(
            "people",
            "people must be at least 1 when someone is criticised, admonished, disciplined or referred".into(),
        ));
    }
    Ok(Fen::from_fen(amount_due_fen))
}

/// Checks a return's fields (422 naming the field): a positive bounded amount, a date from
/// 2000 to `today`, a receipt number of printable characters.
pub fn check_recovery(
    amount_fen: i64,
    date: &str,
    receipt: &str,
    today: NaiveDate,
) -> Result<(Fen, NaiveDate, String), Rejection> {
    if !(1..=MAX_AMOUNT_FEN).contains(&amount_fen) {
        return Err(invalid(
            "amount_fen",
            format!("amount_fen must be between 1 and {MAX_AMOUNT_FEN} fen, found {amount_fen}"),
        ));
    }
    let parsed = (date.len() == 10)
        .then(|| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
            invalid(
                "date",
                format!("date must be YYYY-MM-DD, found {:?}", clip(date)),
            )
        })?;
    if parsed < EARLIEST || parsed > today {
        return Err(invalid(
            "date",
            format!("date must be between {EARLIEST} and today ({today}), found {parsed}"),
        ));
    }
    let receipt = receipt.trim();
    let chars = receipt.chars().count();
    if chars == 0 || chars > MAX_RECEIPT_CHARS || receipt.chars().any(char::is_control) {
        return Err(invalid(
            "receipt",
            format!("receipt must be 1 to {MAX_RECEIPT_CHARS} printable characters"),
        ));
    }
    Ok((Fen::from_fen(amount_fen), parsed, receipt.to_string()))
}

/// The start of a client's text, for an error message (never the whole of a huge value).
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

impl Warning {
    /// Why an outcome or a return does not apply now (409), if it does not: an outcome
    /// before the warning was disposed of (unless correcting one), a return without an
    /// outcome, beyond what is still due, or with a receipt number already recorded; a
    /// correction below what was already returned.
    pub(super) fn case_rejection(&self, fact: &Fact) -> Option<String> {
        match (fact, self.case.as_deref()) {
            (Fact::OutcomeRecorded { .. }, None) if !outcome_may_be_recorded(self.step) => {
                Some(format!(
                    "an outcome is recorded once the warning is verified, dismissed, closed or transferred to investigation; it is {}",
                    self.step.as_str()
                ))
            }
            (Fact::OutcomeRecorded { amount_due, .. }, Some(case))
                if *amount_due < case.recovered() =>
            {
                Some(format!(
                    "{} fen were already returned; the amount due cannot be less",
                    case.recovered().fen()
                ))
            }
            (Fact::RecoveryRecorded { .. }, None) => {
                Some("record the outcome (and the amount due) before a return".into())
            }
            (
                Fact::RecoveryRecorded {
                    amount, receipt, ..
                },
                Some(case),
            ) => {
                if case.recoveries.iter().any(|r| r.receipt == *receipt) {
                    Some(format!(
                        "receipt {receipt:?} is already recorded for this warning"
                    ))
                } else if case.recoveries.len() >= MAX_RECOVERIES {
                    Some(format!(
                        "a warning records at most {MAX_RECOVERIES} returns"
                    ))
                } else if *amount > case.outstanding() {
                    Some(format!(
                        "{} fen is more than the {} fen still due",
                        amount.fen(),
                        case.outstanding().fen()
                    ))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Records an accepted outcome (superseding the one before) or return.
    pub(super) fn absorb_case(&mut self, fact: &Fact, at: DateTime<Utc>) {
        match fact {
            Fact::OutcomeRecorded {
                finding,
                handling,
                people,
                amount_due,
                note,
            } => {
                let revisions = self.case.as_ref().map_or(0, |c| c.outcome.revisions) + 1;
                let outcome = Outcome {
                    finding: *finding,
                    handling: handling.clone(),
                    people: *people,
                    amount_due: *amount_due,
                    note: note.clone(),
                    recorded_at: at,
                    revisions,
                };
                match self.case.as_deref_mut() {
                    Some(case) => case.outcome = outcome,
                    None => {
                        self.case = Some(Box::new(CaseRecord {
                            outcome,
                            recoveries: Vec::new(),
                        }))
                    }
                }
            }
            Fact::RecoveryRecorded {
                amount,
                date,
                receipt,
            } => {
                if let Some(case) = self.case.as_deref_mut() {
                    case.recoveries.push(Recovery {
                        amount: *amount,
                        date: *date,
                        receipt: receipt.clone(),
                        recorded_at: at,
                    });
                }
            }
            _ => {}
        }
    }
}
