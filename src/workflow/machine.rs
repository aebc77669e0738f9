//! The warning lifecycle as a statig state machine. The machine only decides: which event
//! applies in which state, and where it leads. It does no I/O and has no entry or exit
//! actions, so rebuilding a warning by replaying its events has no side effects.
//!
//! States (leaves) and superstates:
//!
//! ```text
//! any ─┬─ red ─┬─ working ─┬─ raised ─ notified ─ acknowledged ─ rectifying
//!      │       │           └─ (deadline passed / urge / supervise / extend)
//!      │       └─ submitted            (verify → observation, reject → rectifying)
//!      ├─ reminder (yellow)            (close → closed, expire → raised, dismiss)
//!      ├─ observation (yellow)         (observation ended → closed, relapse → raised)
//!      ├─ closed (green)
//!      ├─ dismissed (green)            (reinstate → the step it was dismissed from)
//!      └─ investigation (red)
//! ```
//!
//! An event that no state handles reaches `any`, which records a rejection: statig would
//! otherwise ignore it silently, and an invalid command must be a clear error.

use chrono::{DateTime, Utc};
use statig::prelude::*;

use super::fact::Fact;
use super::warning::{Step, Warning};

/// An event being applied, with the time it happened.
pub struct Occurrence {
    pub fact: Fact,
    pub at: DateTime<Utc>,
}

#[state_machine(
    initial = "State::raised()",
    state(derive(Debug, Clone, Copy, PartialEq, Eq)),
    superstate(derive(Debug))
)]
impl Warning {
    #[superstate]
    fn any(&mut self, event: &Occurrence) -> Outcome<State> {
        // A public reply may be given, or corrected, whatever the state.
        if let Fact::RepliedPublicly { .. } = event.fact {
            return Handled;
        }
        // Outcomes and returns are recorded beside the lifecycle, whatever the step once
        // the warning was disposed of (see `outcome.rs`); they never move it.
        if let Fact::OutcomeRecorded { .. } | Fact::RecoveryRecorded { .. } = event.fact {
            self.rejection = self.case_rejection(&event.fact);
            return Handled;
        }
        self.rejection = Some(format!(
            "{} does not apply to a warning that is {}",
            event.fact.kind(),
            self.step.as_str()
        ));
        Handled
    }

    #[superstate(superstate = "any")]
    fn red(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::TransferredToInvestigation { .. } => Transition(State::investigation()),
            Fact::Dismissed { .. } => {
                self.before_dismissal = Some(self.step);
                Transition(State::dismissed())
            }
            // Escalation notices go out again whatever the red step.
            Fact::Notified { .. } => Handled,
            _ => Super,
        }
    }

    #[superstate(superstate = "red")]
    fn working(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::DeadlinePassed { .. } => Handled,
            Fact::DeadlineExtended { .. } => Handled,
            Fact::Urged { .. } | Fact::Supervised { .. } if self.misses == 0 => {
                self.rejection = Some(format!(
                    "{} applies only to a warning under secondary supervision (overdue at least once)",
                    event.fact.kind()
                ));
                Handled
            }
            Fact::Urged { .. } | Fact::Supervised { .. } => Handled,
            _ => Super,
        }
    }

    #[state(superstate = "working")]
    fn raised(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::Notified { .. } => Transition(State::notified()),
            Fact::Acknowledged { .. } => Transition(State::acknowledged()),
            _ => Super,
        }
    }

    #[state(superstate = "working")]
    fn notified(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::Acknowledged { .. } => Transition(State::acknowledged()),
            _ => Super,
        }
    }

    #[state(superstate = "working")]
    fn acknowledged(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::RectificationStarted { .. } => Transition(State::rectifying()),
            Fact::RectificationSubmitted { .. } => Transition(State::submitted()),
            _ => Super,
        }
    }

    #[state(superstate = "working")]
    fn rectifying(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::RectificationSubmitted { .. } => Transition(State::submitted()),
            _ => Super,
        }
    }

    #[state(superstate = "red")]
    fn submitted(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::RectificationVerified { .. } => Transition(State::observation()),
            Fact::RectificationRejected { .. } => Transition(State::rectifying()),
            _ => Super,
        }
    }

    /// A yellow reminder: the responsible party acknowledges it (once) and closes it with a
    /// note; if its deadline passes first it becomes an ordinary red warning.
    #[state(superstate = "any")]
    fn reminder(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::Notified { .. } => Handled,
            Fact::Acknowledged { .. } if self.reminder_acknowledged_at.is_some() => {
                self.rejection = Some("the reminder was already acknowledged".to_string());
                Handled
            }
            Fact::Acknowledged { .. } => Handled,
            Fact::ReminderClosed { .. } => Transition(State::closed()),
            Fact::ReminderExpired { .. } => Transition(State::raised()),
            Fact::Dismissed { .. } => {
                self.before_dismissal = Some(self.step);
                Transition(State::dismissed())
            }
            _ => Super,
        }
    }

    #[state(superstate = "any")]
    fn observation(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::ObservationEnded => Transition(State::closed()),
            Fact::Relapsed { .. } => Transition(State::raised()),
            _ => Super,
        }
    }

    #[state(superstate = "any")]
    fn closed(&mut self, event: &Occurrence) -> Outcome<State> {
        let _ = event;
        Super
    }

    #[state(superstate = "any")]
    fn dismissed(&mut self, event: &Occurrence) -> Outcome<State> {
        match &event.fact {
            Fact::Reinstated { .. } => {
                Transition(state_of(self.before_dismissal.unwrap_or(Step::Raised)))
            }
            _ => Super,
        }
    }

    #[state(superstate = "any")]
    fn investigation(&mut self, event: &Occurrence) -> Outcome<State> {
        let _ = event;
        Super
    }
}

// Why the stored step is `Step` and not statig's `State`, with a conversion each way: a
// warning is one value folded a million times at a start and kept in memory, and statig's
// `StateMachine` would hold the warning inside it (shared storage) beside its state, so the
// projection would keep machines instead of warnings and every query would reach through
// them. `Step` is also the stored and listed name of a state, which statig's generated enum
// must not decide. So `apply` runs one `State::handle` from the stored step and stores
// where it led. The price: statig's `initial` is never used (a warning starts with
// `Raised`, or `Reminder` for a yellow rule) and an entry or exit action would never run,
// so the machine has none (see the module's comment); the two matches below are exhaustive
// both ways, and a test checks they are inverse.

/// The machine state for a stored step.
fn state_of(step: Step) -> State {
    match step {
        Step::Reminder => State::reminder(),
        Step::Raised => State::raised(),
        Step::Notified => State::notified(),
        Step::Acknowledged => State::acknowledged(),
        Step::Rectifying => State::rectifying(),
        Step::Submitted => State::submitted(),
        Step::Observation => State::observation(),
        Step::Closed => State::closed(),
        Step::Dismissed => State::dismissed(),
        Step::Investigation => State::investigation(),
    }
}

/// The stored step for a machine state.
fn step_of(state: &State) -> Step {
    match state {
        State::Reminder {} => Step::Reminder,
        State::Raised {} => Step::Raised,
        State::Notified {} => Step::Notified,
        State::Acknowledged {} => Step::Acknowledged,
        State::Rectifying {} => Step::Rectifying,
        State::Submitted {} => Step::Submitted,
        State::Observation {} => Step::Observation,
        State::Closed {} => Step::Closed,
        State::Dismissed {} => Step::Dismissed,
        State::Investigation {} => Step::Investigation,
    }
}

impl Warning {
    /// Applies one event: the machine decides whether it applies and where it leads, then
    /// the event's values are recorded. On rejection nothing changes and the reason is
    /// returned.
    pub fn apply(&mut self, fact: Fact, at: DateTime<Utc>) -> Result<(), String> {
        let occurrence = Occurrence { fact, at };
        let mut state = state_of(self.step);
        self.rejection = None;
        let outcome = state.handle(self, &occurrence, &mut ());
        if let Some(reason) = self.rejection.take() {
            return Err(reason);
        }
        if let Outcome::Transition(target) = outcome {
            self.step = step_of(&target);
        }
        self.absorb(&occurrence.fact, at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored step and the machine's state cannot drift apart: every step is one
    /// state and back, and no two steps share a state.
    #[test]
    fn steps_and_machine_states_map_one_to_one() {
        let mut states = Vec::new();
        for step in Step::ALL {
            let state = state_of(step);
            assert_eq!(step_of(&state), step);
            assert!(!states.contains(&state), "{step:?} shares a state");
            states.push(state);
        }
    }
}
