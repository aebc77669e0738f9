use std::net::Ipv4Addr;

use super::*;
use crate::store::TokenRecord;

const HERE: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const THERE: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

fn books(per_token: usize, per_address: usize, budget: u64) -> Arc<Admission> {
    let limits = WsLimits {
        per_token,
        per_address,
        fd_reserve: 10,
        ..WsLimits::default()
    };
    Arc::new(Admission::new(limits, budget + 10))
}

fn later() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(1)
}

fn live(admission: &Admission) -> u64 {
    admission.counters().live.load(Ordering::Relaxed)
}

/// Whether the session has ended, without waiting for it.
async fn has_ended(session: &mut Session) -> bool {
    tokio::time::timeout(Duration::from_millis(20), session.ended())
        .await
        .is_ok()
}

#[test]
fn a_token_at_its_cap_is_refused_until_one_of_its_streams_ends() {
    let admission = books(2, 100, 100);
    let first = admission.admit("a", HERE, later()).unwrap();
    let _second = admission.admit("a", THERE, later()).unwrap();
    assert_eq!(
        admission.admit("a", HERE, later()).err(),
        Some(Refusal::PerToken(2))
    );
    assert!(
        admission.admit("b", HERE, later()).is_ok(),
        "another token is not capped"
    );
    drop(first);
    assert!(admission.admit("a", HERE, later()).is_ok());
    let refused = &admission.counters().refused_per_token;
    assert_eq!(refused.load(Ordering::Relaxed), 1);
}

#[test]
fn an_address_at_its_cap_is_refused_whatever_the_token() {
    let admission = books(100, 2, 100);
    let _kept = [
        admission.admit("a", HERE, later()).unwrap(),
        admission.admit("b", HERE, later()).unwrap(),
    ];
    assert_eq!(
        admission.admit("c", HERE, later()).err(),
        Some(Refusal::PerAddress(2))
    );
    assert!(admission.admit("c", THERE, later()).is_ok());
    let refused = &admission.counters().refused_per_address;
    assert_eq!(refused.load(Ordering::Relaxed), 1);
}

#[test]
fn streams_stop_at_the_open_file_limit_less_the_reserve() {
    let admission = books(100, 100, 2);
    let first = admission.admit("a", HERE, later()).unwrap();
    let _second = admission.admit("b", THERE, later()).unwrap();
    assert_eq!(live(&admission), 2);
    assert_eq!(
        admission.admit("c", HERE, later()).err(),
        Some(Refusal::OpenFiles(2))
    );
    drop(first);
    assert_eq!(live(&admission), 1);
    assert!(admission.admit("c", HERE, later()).is_ok());
    let reserve_only = Admission::new(WsLimits::default(), 100);
    let refused = Arc::new(reserve_only).admit("a", HERE, later()).err();
    assert_eq!(
        refused,
        Some(Refusal::OpenFiles(0)),
        "a limit below the reserve"
    );
}

#[test]
fn the_books_are_empty_once_every_stream_has_ended() {
    let admission = books(10, 10, 10);
    let sessions: Vec<_> = ["a", "a", "b"]
        .into_iter()
        .map(|token| admission.admit(token, HERE, later()).unwrap())
        .collect();
    assert!(admission.expiry("a").is_some());
    drop(sessions);
    assert_eq!((admission.expiry("a"), live(&admission)), (None, 0));
    let books = lock(&admission.books);
    assert!(books.tokens.is_empty() && books.addresses.is_empty());
}

#[tokio::test]
async fn revoking_a_token_ends_its_streams_and_no_other() {
    let admission = books(10, 10, 10);
    let mut first = admission.admit("a", HERE, later()).unwrap();
    let mut second = admission.admit("a", THERE, later()).unwrap();
    let mut other = admission.admit("b", HERE, later()).unwrap();
    assert!(!has_ended(&mut first).await);
    assert_eq!(admission.revoke("a"), 2);
    assert!(has_ended(&mut first).await && has_ended(&mut second).await);
    assert!(!has_ended(&mut other).await);
    // A stream admitted with a revoked token while others of it are still open ends too.
    let mut late = admission.admit("a", HERE, later()).unwrap();
    assert!(has_ended(&mut late).await);
    assert_eq!(admission.revoke("unknown"), 0);
}

#[test]
fn a_session_knows_when_its_token_expires() {
    let admission = books(10, 10, 10);
    let soon = Utc::now() + chrono::Duration::seconds(30);
    let session = admission.admit("a", HERE, soon).unwrap();
    assert!(!session.expired());
    let wait = session.next_expiry_check() - Instant::now();
    assert!(
        wait > Duration::from_secs(28) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    let year = admission
        .admit("b", HERE, Utc::now() + chrono::Duration::days(365))
        .unwrap();
    assert!(year.next_expiry_check() - Instant::now() <= LONGEST_TIMER);
    let past = admission
        .admit("c", HERE, Utc::now() - chrono::Duration::seconds(1))
        .unwrap();
    assert!(past.expired());
    // A later stream of the same token goes by the expiry the books hold.
    let again = admission.admit("a", HERE, later()).unwrap();
    assert_eq!(again.expires_at, soon);
}

#[tokio::test]
async fn a_recheck_ends_the_streams_of_tokens_gone_from_the_store_or_expired() {
    let store = Store::connect("mem://").await.unwrap();
    let admission = books(10, 10, 10);
    let now = Utc::now();
    for (hash, expires_at) in [("kept", later()), ("expired", now)] {
        let record = TokenRecord {
            token_hash: hash.to_string(),
            username: "wall".to_string(),
            expires_at,
            last_used: None,
        };
        store.put_token(&record).await.unwrap();
    }
    let mut kept = admission.admit("kept", HERE, later()).unwrap();
    let mut expired = admission.admit("expired", HERE, later()).unwrap();
    let mut gone = admission.admit("gone", HERE, later()).unwrap();
    assert_eq!(admission.recheck(&store, now).await, 2);
    assert!(!has_ended(&mut kept).await);
    assert!(has_ended(&mut expired).await && has_ended(&mut gone).await);
}

#[test]
fn refusals_are_problems_naming_the_cap() {
    let cases = [
        (
            Refusal::PerToken(200),
            429,
            "too_many_connections",
            "per_token",
        ),
        (
            Refusal::PerAddress(500),
            429,
            "too_many_connections",
            "per_address",
        ),
        (
            Refusal::OpenFiles(19_744),
            503,
            "too_many_open_files",
            "open_files",
        ),
    ];
    for (refusal, status, code, cap) in cases {
        let error = ApiError::from(refusal);
        assert_eq!((error.status.as_u16(), error.code), (status, code));
        assert_eq!(error.extra["cap"], cap);
    }
}
