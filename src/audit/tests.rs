//! The chain: sealing, the canonical bytes, and every kind of tampering found at the first
//! bad record.

use chrono::{TimeZone, Utc};

use super::*;

fn entry(n: u64) -> AuditEntry {
    let at = Utc
        .timestamp_opt(1_790_000_000 + n as i64, 123_456_789)
        .unwrap();
    AuditEntry::new(at, "jiwei", AuditAction::Login, "jiwei")
        .with_client("10.0.0.7".parse().unwrap())
        .with_detail(&format!("sign-in {n}"))
}

/// An intact chain of `n` records and its head.
fn chain(n: u64) -> (Vec<AuditRecord>, AuditHead) {
    let mut records: Vec<AuditRecord> = Vec::new();
    for seq in 1..=n {
        let head = records.last().map(|r| AuditHead {
            seq: r.seq,
            hash: r.hash.clone(),
        });
        records.push(AuditRecord::next_after(head.as_ref(), entry(seq)));
    }
    let last = records.last().unwrap();
    let head = AuditHead {
        seq: last.seq,
        hash: last.hash.clone(),
    };
    (records, head)
}

fn broken_at(records: &[AuditRecord], head: &AuditHead) -> (u64, AuditProblem) {
    let broken = verify(records, Some(head)).expect_err("the chain should be broken");
    (broken.seq, broken.problem)
}

#[test]
fn an_intact_chain_verifies_and_starts_at_the_genesis_hash() {
    let (records, head) = chain(5);
    assert_eq!(records[0].prev_hash, GENESIS_HASH);
    assert_eq!(records[1].prev_hash, records[0].hash);
    assert_eq!(records[0].hash.len(), 64);
    let summary = verify(&records, Some(&head)).unwrap();
    assert_eq!(summary.records, 5);
    assert_eq!(summary.last_hash, records[4].hash);
    let empty = verify(&[], None).unwrap();
    assert_eq!((empty.records, empty.last_hash.as_str()), (0, GENESIS_HASH));
}

#[test]
fn the_canonical_bytes_are_length_prefixed_fields_in_a_fixed_order() {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    let entry = AuditEntry::new(at, "城市", AuditAction::Scan, "t").with_detail("a\nb");
    let record = AuditRecord::seal(7, entry, GENESIS_HASH);
    let text = String::from_utf8(record.canonical_bytes()).unwrap();
    let expected = format!(
        "qingfeng-audit-v1\n1:7\n27:2026-03-02T01:00:00.000000Z\n6:城市\n0:\n4:scan\n1:t\n5:a\u{FFFD}b\n64:{GENESIS_HASH}\n"
    );
    assert_eq!(text, expected);
    // The hash is SHA-256 of exactly those bytes, in lowercase hex.
    assert_eq!(
        record.hash,
        hex::encode(Sha256::digest(expected.as_bytes()))
    );
}

#[test]
fn a_changed_record_is_named() {
    let (mut records, head) = chain(5);
    records[2].entry.detail = "sign-in never happened".to_string();
    let (seq, problem) = broken_at(&records, &head);
    assert_eq!(seq, 3);
    assert!(matches!(problem, AuditProblem::Changed { .. }), "{problem}");

    // Every field is covered: the client, the time, the action, the seq.
    let (mut records, head) = chain(5);
    records[3].entry.client = None;
    assert_eq!(broken_at(&records, &head).0, 4);
    let (mut records, head) = chain(5);
    records[1].entry.at += chrono::Duration::microseconds(1);
    assert_eq!(broken_at(&records, &head).0, 2);
    let (mut records, head) = chain(5);
    records[0].entry.action = AuditAction::LoginFailed;
    assert_eq!(broken_at(&records, &head).0, 1);
}

#[test]
fn a_changed_and_resealed_record_breaks_the_link_of_the_next() {
    let (mut records, head) = chain(5);
    let entry = records[1].entry.clone().with_detail("rewritten");
    records[1] = AuditRecord::seal(2, entry, &records[0].hash);
    let (seq, problem) = broken_at(&records, &head);
    assert_eq!(seq, 3);
    assert_eq!(problem, AuditProblem::Unlinked { previous: 2 });
}

#[test]
fn a_deleted_record_leaves_a_gap_named_at_the_record_after_it() {
    let (mut records, head) = chain(6);
    records.remove(2);
    let (seq, problem) = broken_at(&records, &head);
    assert_eq!(seq, 4);
    let expected = AuditProblem::Gap {
        previous: 2,
        expected: 3,
        found: 4,
    };
    assert_eq!(problem, expected);
    assert_eq!(
        AuditBreak { seq, problem }.to_string(),
        "audit record 4 follows record 2: record 3 was deleted or moved"
    );

    // Deleting the first record is a gap after the genesis.
    let (mut records, head) = chain(3);
    records.remove(0);
    assert_eq!(broken_at(&records, &head).0, 2);
}

#[test]
fn deleted_newest_records_are_caught_by_the_head() {
    let (mut records, head) = chain(5);
    records.truncate(3);
    let (seq, problem) = broken_at(&records, &head);
    assert_eq!((seq, problem), (4, AuditProblem::Truncated { head: 5 }));

    // All of them.
    assert_eq!(broken_at(&[], &head).0, 1);
    // The head gone as well as records is still no intact log.
    let (records, _) = chain(2);
    let broken = verify(&records, None).unwrap_err();
    assert_eq!(broken.problem, AuditProblem::HeadMissing);
}

#[test]
fn a_rewritten_newest_record_does_not_match_the_head() {
    let (mut records, head) = chain(4);
    let entry = records[3].entry.clone().with_detail("rewritten");
    records[3] = AuditRecord::seal(4, entry, &records[2].hash);
    let (seq, problem) = broken_at(&records, &head);
    assert_eq!(seq, 4);
    assert!(matches!(problem, AuditProblem::HeadMismatch { .. }));
}

#[test]
fn reordered_records_are_named_where_the_order_breaks() {
    let (mut records, head) = chain(6);
    records.swap(2, 3);
    let (seq, problem) = broken_at(&records, &head);
    // Record 4 now comes right after record 2.
    assert_eq!(seq, 4);
    assert!(matches!(problem, AuditProblem::Gap { expected: 3, .. }));

    // Moved to the front.
    let (mut records, head) = chain(4);
    let last = records.pop().unwrap();
    records.insert(0, last);
    assert_eq!(broken_at(&records, &head).0, 4);

    // A record seen twice comes after itself.
    let (mut records, head) = chain(4);
    records.insert(2, records[1].clone());
    let (seq, problem) = broken_at(&records, &head);
    assert_eq!(
        (seq, problem),
        (2, AuditProblem::OutOfOrder { previous: 2 })
    );
}

#[test]
fn an_inserted_record_is_found() {
    // Inserted with a correct hash and link, without renumbering what follows.
    let (mut records, head) = chain(5);
    let forged = AuditRecord::seal(3, entry(99), &records[1].hash);
    records.insert(2, forged);
    let (seq, problem) = broken_at(&records, &head);
    assert_eq!(
        (seq, problem),
        (3, AuditProblem::OutOfOrder { previous: 3 })
    );

    // Inserted and the rest renumbered and resealed, keeping their links: the first
    // renumbered record's link is to the record that used to come before it.
    let (records, head) = chain(4);
    let mut tampered = records[..2].to_vec();
    tampered.push(AuditRecord::seal(3, entry(99), &records[1].hash));
    for record in &records[2..] {
        let resealed = AuditRecord::seal(record.seq + 1, record.entry.clone(), &record.prev_hash);
        tampered.push(resealed);
    }
    let (seq, problem) = broken_at(&tampered, &head);
    assert_eq!((seq, problem), (4, AuditProblem::Unlinked { previous: 3 }));
}

#[test]
fn a_verifier_resumes_from_a_checkpoint() {
    let (records, head) = chain(6);
    let mut verifier = ChainVerifier::from_checkpoint(3, &records[2].hash);
    for record in &records[3..] {
        verifier.check(record).unwrap();
    }
    assert_eq!(verifier.finish(Some(&head)).unwrap().records, 3);
    let mut wrong = ChainVerifier::from_checkpoint(3, GENESIS_HASH);
    assert_eq!(wrong.check(&records[3]).unwrap_err().seq, 4);
}

#[test]
fn entries_are_capped_and_cleaned() {
    let at = Utc::now();
    let huge = "名".repeat(100_000);
    let entry = AuditEntry::new(at, &huge, AuditAction::LoginFailed, &huge).with_detail(&huge);
    assert_eq!(entry.actor().chars().count(), MAX_ACTOR_CHARS);
    assert_eq!(entry.target().chars().count(), MAX_TEXT_CHARS);
    assert_eq!(entry.detail().chars().count(), MAX_TEXT_CHARS);
    assert!(entry.target().ends_with('…'));
    let exact = "a".repeat(MAX_TEXT_CHARS);
    assert_eq!(
        AuditEntry::new(at, "x", AuditAction::Scan, &exact).target(),
        exact
    );
    let forged = AuditEntry::new(at, "x\r\n1 forged", AuditAction::Scan, "t");
    assert_eq!(forged.actor(), "x\u{FFFD}\u{FFFD}1 forged");
    assert_eq!(entry.at().timestamp_subsec_nanos() % 1_000, 0);
}

#[test]
fn actions_round_trip_and_unknown_ones_are_refused() {
    for action in AuditAction::ALL {
        assert_eq!(AuditAction::parse(action.as_str()), Ok(action));
    }
    let error = AuditAction::parse("dance").unwrap_err();
    assert!(error.to_string().contains("login_failed"), "{error}");
}

#[test]
fn a_stored_record_reads_back_exactly_or_names_its_bad_field() {
    let (records, _) = chain(2);
    let stored = records[1].to_stored();
    assert_eq!(AuditRecord::try_from(stored.clone()).unwrap(), records[1]);
    let mut bad = stored.clone();
    bad.client = Some("not-an-ip".into());
    assert!(AuditRecord::try_from(bad).unwrap_err().contains("client"));
    let mut bad = stored.clone();
    bad.action = "dance".into();
    assert!(AuditRecord::try_from(bad).unwrap_err().contains("dance"));
    let mut bad = stored;
    bad.at = "yesterday".into();
    assert!(
        AuditRecord::try_from(bad)
            .unwrap_err()
            .contains("yesterday")
    );
}
