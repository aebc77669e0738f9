//! The yellow reminder (到期提醒): opened yellow by a rule whose catalogue level is yellow,
//! acknowledged and closed by the responsible party, or turned red when its deadline passes.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::command::{allowed_commands, allowed_for, decide, decide_system};
use super::*;
use crate::auth::{Actor, Role};
use crate::domain::region::RegionCode;

const VILLAGE: &str = "990102100201";
const OTHER_VILLAGE: &str = "990102100202";
const TOWN: &str = "990102100000";
const CITY: &str = "990102000000";

fn actor(name: &str, role: Role, region: &str) -> Actor {
    Actor::new(name, role, RegionCode::parse(region).unwrap()).unwrap()
}

fn steward() -> Actor {
    actor("steward", Role::VillageSteward, VILLAGE)
}

fn town() -> Actor {
    actor("town", Role::TownOffice, TOWN)
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

/// A reminder as the engine opens it: raised as a reminder, then notified.
fn reminder() -> Warning {
    let raised = Fact::Raised {
        region: RegionCode::parse(VILLAGE).unwrap(),
        title: "合同即将到期未重新发包".into(),
        severity: Severity::Low,
        subject: "合同HT-1将于2026-05-01到期".into(),
        origin: Origin::Rule {
            rule: "lease_expiring".into(),
            subject: "contract:HT-1".into(),
        },
        evidence: serde_json::Value::Null,
        deadline: start() + Duration::days(60),
        reminder: true,
    };
    let mut w = Warning::from_raised("W1", &raised, start()).unwrap();
    let notified = Fact::Notified {
        recipients: vec!["village_steward@990102100201".into()],
    };
    w.apply(notified, start()).unwrap();
    w
}

/// Decides a user command and applies its events, as the engine does.
fn run(w: &mut Warning, command: Command, by: &Actor, at: DateTime<Utc>) -> Result<(), Rejection> {
    let settings = LifecycleSettings::builtin();
    for fact in decide(w, &command, by, at, &settings)? {
        w.apply(fact, at).unwrap();
    }
    Ok(())
}

fn close(note: &str) -> Command {
    Command::CloseReminder { note: note.into() }
}

#[test]
fn a_reminder_opens_yellow_and_watches_its_deadline() {
    let w = reminder();
    assert_eq!((w.step, w.colour()), (Step::Reminder, Colour::Yellow));
    assert!(w.reminder && !w.is_overdue() && !w.under_supervision());
    let timer = w.next_timer().unwrap();
    assert_eq!(timer.kind, TimerKind::ReminderDue);
    assert_eq!(timer.due, start() + Duration::days(60));
    let settings = LifecycleSettings::builtin();
    assert_eq!(
        allowed_commands(&w, start(), &settings),
        vec!["acknowledge", "dismiss", "close_reminder"]
    );
    assert_eq!(
        allowed_for(&w, &steward(), start(), &settings),
        vec!["acknowledge", "close_reminder"]
    );
}

#[test]
fn the_steward_acknowledges_once_and_closes_it_with_a_note() {
    let mut w = reminder();
    let at = start() + Duration::days(3);
    run(
        &mut w,
        Command::Acknowledge {
            note: "收到".into(),
        },
        &steward(),
        at,
    )
    .unwrap();
    assert_eq!(
        (w.step, w.reminder_acknowledged_at),
        (Step::Reminder, Some(at))
    );
    let again = run(
        &mut w,
        Command::Acknowledge {
            note: String::new(),
        },
        &steward(),
        at,
    );
    let Err(Rejection::NotApplicable {
        state,
        allowed,
        reason,
        ..
    }) = again
    else {
        panic!("{again:?}")
    };
    assert_eq!(state, Step::Reminder);
    assert_eq!(allowed, vec!["dismiss", "close_reminder"]);
    assert!(reason.contains("already acknowledged"), "{reason}");

    let blank = run(&mut w, close("  "), &steward(), at);
    assert!(
        matches!(blank, Err(Rejection::Invalid { field: "note", .. })),
        "{blank:?}"
    );
    run(&mut w, close("已安排4月重新公开发包"), &steward(), at).unwrap();
    assert_eq!((w.step, w.colour()), (Step::Closed, Colour::Green));
    assert!(w.is_closed_reminder());
    assert_eq!(w.closed_at, Some(at));
    assert_eq!(w.last_reason.as_deref(), Some("已安排4月重新公开发包"));
    assert_eq!(w.next_timer(), None);
}

#[test]
fn only_the_responsible_steward_or_an_office_may_close_a_reminder() {
    let at = start();
    let outsider = actor("other", Role::VillageSteward, OTHER_VILLAGE);
    let leader = actor("leader", Role::CityLeader, CITY);
    for who in [&outsider, &leader] {
        let refused = run(&mut reminder(), close("x"), who, at);
        assert!(
            matches!(refused, Err(Rejection::Forbidden { .. })),
            "{refused:?}"
        );
    }
    for who in [&town(), &actor("city", Role::CityOffice, CITY)] {
        run(&mut reminder(), close("镇里已督促"), who, at).unwrap();
    }
}

#[test]
fn red_commands_do_not_apply_to_a_reminder() {
    let mut w = reminder();
    let refused = run(
        &mut w,
        Command::SubmitRectification {
            note: "x".into(),
            attachments: vec![],
        },
        &steward(),
        start(),
    );
    let Err(Rejection::NotApplicable { state, allowed, .. }) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(state, Step::Reminder);
    assert_eq!(allowed, vec!["acknowledge", "dismiss", "close_reminder"]);
    for command in [
        Command::Urge {
            note: String::new(),
        },
        Command::ExtendDeadline {
            reason: "x".into(),
            days: 5,
        },
        Command::TransferToInvestigation { reason: "x".into() },
    ] {
        let refused = run(&mut w, command, &town(), start());
        assert!(
            matches!(refused, Err(Rejection::NotApplicable { .. })),
            "{refused:?}"
        );
    }
}

#[test]
fn an_expired_reminder_turns_red_with_a_fresh_deadline_and_then_climbs_the_ladder() {
    let settings = LifecycleSettings::builtin();
    let mut w = reminder();
    let due = start() + Duration::days(60);
    for fact in decide_system(&w, &SystemCommand::ExpireReminder, due, &settings).unwrap() {
        assert_eq!(
            fact,
            Fact::ReminderExpired {
                missed: due,
                deadline: due + settings.deadline(Severity::Low),
            }
        );
        w.apply(fact, due).unwrap();
    }
    assert_eq!(
        (w.step, w.colour(), w.reminder),
        (Step::Raised, Colour::Red, false)
    );
    assert_eq!((w.misses, w.rung), (0, None));
    let timer = w.next_timer().unwrap();
    assert_eq!(timer.kind, TimerKind::Deadline);
    assert_eq!(timer.due, due + settings.deadline(Severity::Low));
    assert!(!allowed_commands(&w, due, &settings).contains(&"close_reminder"));

    // From now on the ordinary ladder applies: a missed deadline is urged by the town.
    let missed = timer.due + Duration::hours(1);
    for fact in decide_system(&w, &SystemCommand::MissDeadline, missed, &settings).unwrap() {
        w.apply(fact, missed).unwrap();
    }
    assert_eq!((w.misses, w.rung), (1, Some(Rung::Urge)));
    assert!(w.is_overdue());
}

#[test]
fn a_closed_reminder_does_not_expire_and_an_expired_one_cannot_be_closed() {
    let settings = LifecycleSettings::builtin();
    let mut closed = reminder();
    run(&mut closed, close("已续签"), &steward(), start()).unwrap();
    let late = start() + Duration::days(61);
    assert!(decide_system(&closed, &SystemCommand::ExpireReminder, late, &settings).is_err());

    let mut expired = reminder();
    for fact in decide_system(&expired, &SystemCommand::ExpireReminder, late, &settings).unwrap() {
        expired.apply(fact, late).unwrap();
    }
    let refused = run(&mut expired, close("迟到的说明"), &steward(), late);
    assert!(
        matches!(
            refused,
            Err(Rejection::NotApplicable {
                state: Step::Raised,
                ..
            })
        ),
        "{refused:?}"
    );
}

#[test]
fn a_dismissed_reminder_is_reinstated_as_a_reminder() {
    let mut w = reminder();
    run(
        &mut w,
        Command::Dismiss {
            reason: "合同已续签，台账未更新".into(),
        },
        &town(),
        start(),
    )
    .unwrap();
    assert_eq!((w.step, w.colour()), (Step::Dismissed, Colour::Green));
    assert!(!w.is_closed_reminder());
    let city = actor("city", Role::CityOffice, CITY);
    run(
        &mut w,
        Command::Reinstate {
            reason: "复核".into(),
        },
        &city,
        start(),
    )
    .unwrap();
    assert_eq!((w.step, w.colour()), (Step::Reminder, Colour::Yellow));
}

#[test]
fn a_red_warning_stored_before_reminders_existed_still_reads() {
    let stored = serde_json::json!({
        "kind": "raised", "region": VILLAGE, "title": "t", "severity": "high",
        "subject": "s", "origin": {"kind": "manual"}, "evidence": null,
        "deadline": "2026-03-09T00:00:00Z"
    });
    let fact: Fact = serde_json::from_value(stored.clone()).unwrap();
    let w = Warning::from_raised("W0", &fact, start()).unwrap();
    assert_eq!((w.step, w.reminder), (Step::Raised, false));
    // And a red raise is stored exactly as before.
    let mut written = serde_json::to_value(&fact).unwrap();
    written["deadline"] = stored["deadline"].clone();
    assert_eq!(written, stored);
}
