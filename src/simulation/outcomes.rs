//! What the demo's town offices record once a warning was disposed of: a finding (most
//! substantiated; dismissed ones and, more often for some rules, others untrue, so the
//! cockpit's per-rule precision differs), the handling and money to return, and returns
//! paid in one or two parts with a receipt number.

use chrono::{DateTime, Datelike, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use super::fnv;
use crate::domain::date::shanghai_day;
use crate::workflow::{Command, Finding, Handling, Step, Warning};

/// The outcome or the return a town office records for `w`.
pub(super) fn command(kind: &str, w: &Warning, now: DateTime<Utc>, rng: &mut StdRng) -> Command {
    if kind == "record_recovery" {
        let outstanding = w.case.as_ref().map_or(0, |c| c.outstanding().fen());
        let amount = if outstanding > 100 && rng.gen_bool(0.4) {
            outstanding / 2
        } else {
            outstanding.max(1)
        };
        return Command::RecordRecovery {
            amount_fen: amount,
            date: shanghai_day(now).to_string(),
            receipt: format!(
                "TJ{}{:06}",
                shanghai_day(now).year(),
                rng.gen_range(0..1_000_000)
            ),
        };
    }
    // Each rule has its own share of false positives (5–35%): what the precision shows.
    let untrue = 0.05 + (fnv(w.rule().unwrap_or("manual")) % 7) as f64 * 0.05;
    let finding = if w.step == Step::Dismissed || rng.gen_bool(untrue) {
        Finding::Unsubstantiated
    } else if rng.gen_bool(0.2) {
        Finding::PartlySubstantiated
    } else {
        Finding::Substantiated
    };
    if finding == Finding::Unsubstantiated {
        return Command::RecordOutcome {
            finding,
            handling: vec![],
            people: 0,
            amount_due_fen: 0,
            note: "经核实，线索不属实".into(),
        };
    }
    let handling = match rng.gen_range(0..10) {
        0..=5 => vec![Handling::Criticism],
        6..=7 => vec![Handling::Admonition],
        8 => vec![Handling::Admonition, Handling::Discipline],
        _ => vec![Handling::Discipline],
    };
    let amount_due_fen = if rng.gen_bool(0.75) {
        rng.gen_range(500..60_000) * 100
    } else {
        0
    };
    Command::RecordOutcome {
        finding,
        handling,
        people: rng.gen_range(1..=3),
        amount_due_fen,
        note: "已责令退回违规款项并在村务公开栏公示".into(),
    }
}
