//! Model-based tests of the lifecycle: random command sequences, with time moving, driven
//! through `decide` and `apply` exactly as the engine does, checking the invariants after
//! every step. Warnings start either red (raised) or as a yellow reminder.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::command::{decide, decide_system};
use super::*;
use crate::auth::{Actor, Role};
use crate::domain::region::RegionCode;

const VILLAGE: &str = "990102100201";
const TOWN: &str = "990102100000";
const CITY: &str = "990102000000";

fn actors() -> Vec<Actor> {
    let code = |c: &str| RegionCode::parse(c).unwrap();
    vec![
        Actor::new("steward", Role::VillageSteward, code(VILLAGE)).unwrap(),
        Actor::new("town", Role::TownOffice, code(TOWN)).unwrap(),
        Actor::new("city", Role::CityOffice, code(CITY)).unwrap(),
        Actor::new("leader", Role::CityLeader, code(CITY)).unwrap(),
    ]
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap()
}

/// A new warning, red or a reminder. A reminder's deadline is a rule's `deadline_days`,
/// here 60 days.
fn opened(settings: &LifecycleSettings, reminder: bool) -> Warning {
    let deadline = if reminder {
        start() + Duration::days(60)
    } else {
        start() + settings.deadline(Severity::Medium)
    };
    let fact = Fact::Raised {
        region: RegionCode::parse(VILLAGE).unwrap(),
        title: "t".into(),
        severity: Severity::Medium,
        subject: "s".into(),
        origin: Origin::Manual,
        evidence: serde_json::Value::Null,
        deadline,
        reminder,
    };
    Warning::from_raised("W1", &fact, start()).unwrap()
}

fn raised(settings: &LifecycleSettings) -> Warning {
    opened(settings, false)
}

/// One random move: a user command by some actor, the scheduler firing what is due, a
/// system notification or relapse, or time passing.
#[derive(Clone, Debug)]
enum Move {
    User {
        actor: usize,
        kind: usize,
        days: u32,
    },
    /// A command the actor is offered right now (what a screen's buttons allow).
    Offered {
        actor: usize,
        pick: usize,
    },
    Timers,
    Notify,
    Relapse,
    Wait {
        hours: i64,
    },
}

fn any_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        5 => (0..4usize, 0..Command::KINDS.len(), 0..40u32).prop_map(|(actor, kind, days)| Move::User { actor, kind, days }),
        4 => (0..4usize, 0..8usize).prop_map(|(actor, pick)| Move::Offered { actor, pick }),
        2 => Just(Move::Timers),
        1 => Just(Move::Notify),
        1 => Just(Move::Relapse),
        3 => (1..24 * 20i64).prop_map(|hours| Move::Wait { hours }),
    ]
}

fn user_command(kind: &'static str, days: u32) -> Command {
    Command::example(kind, days)
}

/// Plays one move; returns the facts that were applied.
fn play(
    w: &mut Warning,
    now: &mut DateTime<Utc>,
    mv: &Move,
    settings: &LifecycleSettings,
) -> Vec<Fact> {
    let decided = match mv {
        Move::Wait { hours } => {
            *now += Duration::hours(*hours);
            return vec![];
        }
        Move::User { actor, kind, days } => {
            let command = user_command(Command::KINDS[*kind], *days);
            decide(w, &command, &actors()[*actor], *now, settings)
        }
        Move::Offered { actor, pick } => {
            let actor = &actors()[*actor];
            let offered = super::command::allowed_for(w, actor, *now, settings);
            if offered.is_empty() {
                return vec![];
            }
            let command = user_command(offered[pick % offered.len()], 5);
            let decided = decide(w, &command, actor, *now, settings);
            assert!(
                decided.is_ok(),
                "an offered command was refused: {decided:?}"
            );
            decided
        }
        Move::Timers => match w.next_timer() {
            Some(t) if t.due <= *now => {
                let command = match t.kind {
                    TimerKind::Deadline => SystemCommand::MissDeadline,
                    TimerKind::ReminderDue => SystemCommand::ExpireReminder,
                    TimerKind::ObservationEnd => SystemCommand::EndObservation,
                };
                decide_system(w, &command, *now, settings)
            }
            _ => return vec![],
        },
        Move::Notify => decide_system(
            w,
            &SystemCommand::Notify {
                recipients: vec!["x".into()],
            },
            *now,
            settings,
        ),
        Move::Relapse => decide_system(
            w,
            &SystemCommand::Relapse {
                note: "x".into(),
                evidence: serde_json::Value::Null,
            },
            *now,
            settings,
        ),
    };
    let Ok(facts) = decided else { return vec![] };
    for fact in &facts {
        w.apply(fact.clone(), *now)
            .expect("a decided event applies");
    }
    facts
}

/// The invariants that must hold across every applied event:
///
/// - red turns yellow only by a verified rectification;
/// - yellow turns red only by a relapse during observation or an expired reminder, and a
///   reminder expires only once its deadline has passed;
/// - nothing leaves green except a reinstatement;
/// - red turns green only by a dismissal; yellow turns green only by the end of
///   observation, a closed reminder or a dismissed reminder;
/// - a warning enters the reminder state only by being opened as one (never opens red) or
///   by reinstating a dismissed reminder, and a warning on the reminder track is a
///   reminder, a closed reminder or a dismissed one;
/// - every event advances the version by one; at most one extension.
fn check_transition(
    before: &Warning,
    after: &Warning,
    fact: &Fact,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let (from, to) = (before.colour(), after.colour());
    let kind = fact.kind();
    let by = |allowed: &[&str]| allowed.contains(&kind);
    match (from, to) {
        (Colour::Red, Colour::Yellow) if !by(&["rectification_verified"]) => {
            return Err(format!("red turned yellow by {kind}"));
        }
        (Colour::Yellow, Colour::Red) if !by(&["relapsed", "reminder_expired"]) => {
            return Err(format!("yellow turned red by {kind}"));
        }
        (Colour::Green, Colour::Red | Colour::Yellow) if !by(&["reinstated"]) => {
            return Err(format!("left green by {kind}"));
        }
        (Colour::Red, Colour::Green) if !by(&["dismissed"]) => {
            return Err(format!("red turned green by {kind}"));
        }
        (Colour::Yellow, Colour::Green)
            if !by(&["observation_ended", "reminder_closed", "dismissed"]) =>
        {
            return Err(format!("yellow turned green by {kind}"));
        }
        _ => {}
    }
    if kind == "reminder_expired" && now < before.deadline {
        return Err("a reminder expired before its deadline".into());
    }
    if after.step == Step::Reminder && before.step != Step::Reminder && !by(&["reinstated"]) {
        return Err(format!("became a reminder by {kind}"));
    }
    if after.reminder && !matches!(after.step, Step::Reminder | Step::Closed | Step::Dismissed) {
        return Err(format!(
            "a reminder is {} after {kind}",
            after.step.as_str()
        ));
    }
    if after.version != before.version + 1 {
        return Err("version did not advance by one".into());
    }
    if after.extensions > 1 {
        return Err("more than one extension".into());
    }
    Ok(())
}

/// What the runs reached: every state, and every change of state (from, to).
#[derive(Default)]
struct Visited {
    steps: HashSet<Step>,
    edges: HashSet<(Step, Step)>,
}

fn run_moves(
    reminder: bool,
    moves: &[Move],
    settings: &LifecycleSettings,
    visited: &mut Visited,
) -> Result<(), String> {
    let mut w = opened(settings, reminder);
    if reminder != (w.step == Step::Reminder && w.colour() == Colour::Yellow) {
        return Err(format!("opened as {} ({:?})", w.step.as_str(), w.colour()));
    }
    let mut now = start();
    visited.steps.insert(w.step);
    for mv in moves {
        let before = w.clone();
        let facts = play(&mut w, &mut now, mv, settings);
        if facts.is_empty() {
            if w != before {
                return Err(format!("a refused {mv:?} changed the warning"));
            }
            continue;
        }
        // Replay the same facts on the earlier state one by one to check each step.
        let mut step_state = before;
        for fact in &facts {
            let prior = step_state.clone();
            step_state
                .apply(fact.clone(), now)
                .map_err(|e| e.to_string())?;
            check_transition(&prior, &step_state, fact, now)?;
            visited.edges.insert((prior.step, step_state.step));
        }
        visited.steps.insert(w.step);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_command_sequences_keep_the_invariants(
        reminder in any::<bool>(),
        moves in prop::collection::vec(any_move(), 1..60),
    ) {
        let settings = LifecycleSettings::builtin();
        let mut visited = Visited::default();
        prop_assert_eq!(run_moves(reminder, &moves, &settings, &mut visited), Ok(()));
    }
}

#[test]
fn every_state_and_every_reminder_path_is_reachable() {
    let settings = LifecycleSettings::builtin();
    let mut rng = StdRng::seed_from_u64(7);
    let mut visited = Visited::default();
    for run in 0..400 {
        let moves: Vec<Move> = (0..50)
            .map(|_| match rng.gen_range(0..24) {
                0..=5 => Move::User {
                    actor: rng.gen_range(0..4),
                    kind: rng.gen_range(0..Command::KINDS.len()),
                    days: rng.gen_range(1..30),
                },
                6..=13 => Move::Offered {
                    actor: rng.gen_range(0..4),
                    pick: rng.gen_range(0..8),
                },
                14..=17 => Move::Timers,
                18 => Move::Notify,
                19 => Move::Relapse,
                _ => Move::Wait {
                    hours: rng.gen_range(1..24 * 20),
                },
            })
            .collect();
        run_moves(run % 2 == 1, &moves, &settings, &mut visited).unwrap();
    }
    let missing: Vec<&str> = Step::ALL
        .iter()
        .filter(|s| !visited.steps.contains(s))
        .map(|s| s.as_str())
        .collect();
    assert!(missing.is_empty(), "never reached: {missing:?}");
    for edge in [
        (Step::Reminder, Step::Closed),
        (Step::Reminder, Step::Raised),
        (Step::Reminder, Step::Dismissed),
        (Step::Dismissed, Step::Reminder),
    ] {
        assert!(visited.edges.contains(&edge), "never went {edge:?}");
    }
}

#[test]
fn a_refused_command_names_the_state_and_what_is_allowed() {
    let settings = LifecycleSettings::builtin();
    let w = raised(&settings);
    let town = &actors()[1];
    let err = decide(
        &w,
        &Command::VerifyRectification {
            note: String::new(),
        },
        town,
        start(),
        &settings,
    )
    .unwrap_err();
    let Rejection::NotApplicable { state, allowed, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(state, Step::Raised);
    assert!(allowed.contains(&"acknowledge"));
    assert!(allowed.contains(&"dismiss"));
    assert!(!allowed.contains(&"verify_rectification"));
}

#[test]
fn a_warning_is_urged_at_most_three_times_a_day() {
    let settings = LifecycleSettings::builtin();
    let town = &actors()[1];
    let mut warning = raised(&settings);
    let now = start() + Duration::days(3);
    warning.pressed_at = vec![now - Duration::hours(30), now - Duration::hours(2)];
    let urge = Command::Urge {
        note: String::new(),
    };
    // Two in the last day: a third is judged by the state machine as usual.
    let third = decide(&warning, &urge, town, now, &settings);
    assert!(
        !matches!(&third, Err(Rejection::NotApplicable { reason, .. }) if reason.contains("24 hours")),
        "{third:?}"
    );
    warning.pressed_at.push(now - Duration::hours(1));
    warning.pressed_at.push(now - Duration::minutes(30));
    match decide(&warning, &urge, town, now, &settings) {
        Err(Rejection::NotApplicable {
            reason, allowed, ..
        }) => {
            assert!(reason.contains("3 times in the last 24 hours"), "{reason}");
            assert!(!allowed.contains(&"urge"), "{allowed:?}");
        }
        other => panic!("a fourth urge in a day was not refused: {other:?}"),
    }
    let later = now + Duration::hours(23);
    assert_eq!(warning.presses_in_the_last_day(later), 1);
}

/// Raising by hand is decided with every other permission: town and city offices within
/// their own region, nobody else.
#[test]
fn only_offices_raise_by_hand_and_only_within_their_region() {
    let village = RegionCode::parse(VILLAGE).unwrap();
    let actors = actors();
    let allowed: Vec<&str> = actors
        .iter()
        .filter(|actor| super::command::decide_raise(actor, &village).is_ok())
        .map(|actor| actor.username())
        .collect();
    assert_eq!(allowed, ["town", "city"]);
    let elsewhere = Actor::new(
        "town",
        Role::TownOffice,
        RegionCode::parse("990102101000").unwrap(),
    )
    .unwrap();
    let refused = super::command::decide_raise(&elsewhere, &village).unwrap_err();
    assert!(
        matches!(&refused, Rejection::Forbidden { reason } if reason.contains("may not raise")),
        "{refused:?}"
    );
}
