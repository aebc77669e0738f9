//! The tamper-evident audit log: what is recorded, how a record is sealed into the chain, and
//! how a chain is checked. This file is pure (no I/O, time is an argument); `store` keeps the
//! records, [`log`] is the one-line sink the rest of the app calls and the `verify` that reads
//! a whole store, and [`cli`] is `qingfeng audit`.
//!
//! # The chain
//!
//! Every record carries `seq` (1, 2, 3, … with no gaps), the entry, the hash of the record
//! before it (`prev_hash`; the first record's is [`GENESIS_HASH`], 64 zeros) and its own
//! `hash`: the lowercase hex SHA-256 of its [canonical bytes](AuditRecord::canonical_bytes),
//! which cover `seq`, every field of the entry and `prev_hash`. Changing any field of a record
//! changes its hash; re-sealing a changed record changes the hash its successor was chained
//! to; deleting or moving a record leaves a gap or a step backwards in `seq`; deleting the
//! newest records is caught by the head (the last `seq` and hash, which the store writes in
//! the same transaction as each record). [`ChainVerifier`] checks exactly these, in order,
//! and names the first record at which the chain breaks.
//!
//! The hash is not keyed: someone who can write to the database and recompute SHA-256 can
//! rebuild the whole chain from the point they change. What the chain guarantees is that no
//! record can be changed, removed or reordered without every later hash changing too, so a
//! head hash noted down elsewhere (the last line `qingfeng audit verify` prints) pins the
//! whole history before it.

pub mod cli;
pub mod log;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

pub use log::{audit_failures, record};

/// The `prev_hash` of the first record: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The actor of an entry made before anyone signed in (a failed sign-in, a lockout).
pub const ANONYMOUS: &str = "anonymous";
/// The actor of an entry made by the server itself or by the command line.
pub const SYSTEM: &str = "system";

/// The longest actor kept, in characters; a longer one is cut and ends in `…`.
pub const MAX_ACTOR_CHARS: usize = 100;
/// The longest target or detail kept, in characters, so that a stranger's megabyte-long
/// username on a failed sign-in cannot bloat the log.
pub const MAX_TEXT_CHARS: usize = 500;

/// The version tag that opens the canonical bytes, so a future format can be told apart.
const CANONICAL_TAG: &[u8] = b"qingfeng-audit-v1\n";
/// How `at` is written, in the canonical bytes and in the store: always UTC, always six
/// fractional digits, so equal instants have one spelling and text order is time order.
const AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// What was done. The set is closed: an action not listed here cannot be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    Login,
    LoginFailed,
    Lockout,
    Unlock,
    TokenIssued,
    TokenRevoked,
    Import,
    ImportRefused,
    Scan,
    UserAdded,
    UserChanged,
    Export,
    /// Personal data (a name, an ID number) shown unmasked.
    Unmask,
    /// A fund's month put on the public pages.
    Publish,
    /// A fund's month taken off the public pages.
    Withdraw,
    /// A resident's 查本人 on the public pages (the ID number masked in the target).
    PublicLookup,
    /// The region tree the deployment runs with replaced (`qingfeng regions import`).
    RegionsImported,
    /// A dead or uncertain notification put back in the outbox by the city office.
    NotificationResent,
    /// A contact added, replaced or removed by the city office.
    ContactChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 19] = [
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::Lockout,
        AuditAction::Unlock,
        AuditAction::TokenIssued,
        AuditAction::TokenRevoked,
        AuditAction::Import,
        AuditAction::ImportRefused,
        AuditAction::Scan,
        AuditAction::UserAdded,
        AuditAction::UserChanged,
        AuditAction::Export,
        AuditAction::Unmask,
        AuditAction::Publish,
        AuditAction::Withdraw,
        AuditAction::PublicLookup,
        AuditAction::RegionsImported,
        AuditAction::NotificationResent,
        AuditAction::ContactChanged,
    ];

    /// The snake_case name used in the store, the API and the canonical bytes.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Lockout => "lockout",
            AuditAction::Unlock => "unlock",
            AuditAction::TokenIssued => "token_issued",
            AuditAction::TokenRevoked => "token_revoked",
            AuditAction::Import => "import",
            AuditAction::ImportRefused => "import_refused",
            AuditAction::Scan => "scan",
            AuditAction::UserAdded => "user_added",
            AuditAction::UserChanged => "user_changed",
            AuditAction::Export => "export",
            AuditAction::Unmask => "unmask",
            AuditAction::Publish => "publish",
            AuditAction::Withdraw => "withdraw",
            AuditAction::PublicLookup => "public_lookup",
            AuditAction::RegionsImported => "regions_imported",
            AuditAction::NotificationResent => "notification_resent",
            AuditAction::ContactChanged => "contact_changed",
        }
    }

    pub fn parse(input: &str) -> Result<AuditAction, UnknownAction> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == input)
            .ok_or_else(|| UnknownAction(input.chars().take(40).collect()))
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action {0:?}; the actions are {list}", list = AuditAction::ALL.map(AuditAction::as_str).join(", "))]
pub struct UnknownAction(pub String);

/// One thing that happened: who (and from where) did what to what, and when.
///
/// Built with [`AuditEntry::new`], which caps the lengths and replaces control characters, so
/// an entry can neither bloat the log nor forge a line in a terminal listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    at: DateTime<Utc>,
    actor: String,
    client: Option<IpAddr>,
    action: AuditAction,
    target: String,
    detail: String,
}

impl AuditEntry {
    /// An entry without a client address or detail; add them with
    /// [`with_client`](Self::with_client) and [`with_detail`](Self::with_detail). `at` is kept to the microsecond, which is what the store
    /// round-trips exactly.
    pub fn new(at: DateTime<Utc>, actor: &str, action: AuditAction, target: &str) -> AuditEntry {
        AuditEntry {
            at: at.trunc_subsecs(6),
            actor: clean(actor, MAX_ACTOR_CHARS),
            client: None,
            action,
            target: clean(target, MAX_TEXT_CHARS),
            detail: String::new(),
        }
    }

    /// The address the request came from.
    pub fn with_client(mut self, client: IpAddr) -> AuditEntry {
        self.client = Some(client);
        self
    }

    /// Free text: what exactly happened (counts, the reason of a refusal).
    pub fn with_detail(mut self, detail: &str) -> AuditEntry {
        self.detail = clean(detail, MAX_TEXT_CHARS);
        self
    }

    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
    pub fn actor(&self) -> &str {
        &self.actor
    }
    pub fn client(&self) -> Option<IpAddr> {
        self.client
    }
    pub fn action(&self) -> AuditAction {
        self.action
    }
    pub fn target(&self) -> &str {
        &self.target
    }
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// At most `max` characters of `text`, control characters replaced by U+FFFD, and a cut one
/// ending in `…`.
fn clean(text: &str, max: usize) -> String {
    let mut chars = text
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c });
    let mut kept: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        kept.pop();
        kept.push('…');
    }
    kept
}

/// `at` as it is hashed and stored.
pub fn format_at(at: DateTime<Utc>) -> String {
    at.format(AT_FORMAT).to_string()
}

/// A record of the chain: the entry, its place, and the hashes that tie it to the one before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// Puts `entry` at `seq`, after the record whose hash is `prev_hash`.
    pub fn seal(seq: u64, entry: AuditEntry, prev_hash: &str) -> AuditRecord {
        let mut record = AuditRecord {
            seq,
            entry,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        record.hash = record.content_hash();
        record
    }

    /// The record after `head` (or the first one, when the log is empty).
    pub fn next_after(head: Option<&AuditHead>, entry: AuditEntry) -> AuditRecord {
        match head {
            Some(head) => AuditRecord::seal(head.seq + 1, entry, &head.hash),
            None => AuditRecord::seal(1, entry, GENESIS_HASH),
        }
    }

    /// The bytes the hash is taken over: the tag `qingfeng-audit-v1\n`, then `seq`, `at`,
    /// `actor`, `client`, `action`, `target`, `detail` and `prev_hash`, in this order, each as
    /// `<length in bytes, decimal>:<UTF-8 bytes>\n`. `seq` is decimal, `at` is
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, `client` is the address as Rust prints it (empty when
    /// there is none), `action` its snake_case name. The length prefixes make the encoding
    /// unambiguous whatever the fields contain.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let entry = &self.entry;
        let client = entry.client.map(|ip| ip.to_string()).unwrap_or_default();
        let fields: [&str; 8] = [
            &self.seq.to_string(),
            &format_at(entry.at),
            &entry.actor,
            &client,
            entry.action.as_str(),
            &entry.target,
            &entry.detail,
            &self.prev_hash,
        ];
        let mut bytes = CANONICAL_TAG.to_vec();
        for field in fields {
            bytes.extend_from_slice(field.len().to_string().as_bytes());
            bytes.push(b':');
            bytes.extend_from_slice(field.as_bytes());
            bytes.push(b'\n');
        }
        bytes
    }

    /// The hash the record's content has now (equal to `hash` unless it was changed).
    pub fn content_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }

    /// The record as text, the way the store keeps it.
    pub fn to_stored(&self) -> StoredAudit {
        let entry = &self.entry;
        StoredAudit {
            seq: self.seq,
            at: format_at(entry.at),
            actor: entry.actor.clone(),
            client: entry.client.map(|ip| ip.to_string()),
            action: entry.action.as_str().to_string(),
            target: entry.target.clone(),
            detail: entry.detail.clone(),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        }
    }
}

/// A record as the store keeps it: every field as text. Reading one back
/// ([`AuditRecord::try_from`]) parses the typed fields and keeps the text fields exactly as
/// they are, so the hash is checked against what is really stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAudit {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub client: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl TryFrom<StoredAudit> for AuditRecord {
    /// Why the record cannot be read, naming the field.
    type Error = String;

    fn try_from(stored: StoredAudit) -> Result<AuditRecord, String> {
        let at = NaiveDateTime::parse_from_str(&stored.at, AT_FORMAT)
            .map_err(|e| format!("at {:?} is not a time: {e}", stored.at))?
            .and_utc();
        let client = match &stored.client {
            None => None,
            Some(text) => Some(
                text.parse::<IpAddr>()
                    .map_err(|_| format!("client {text:?} is not an IP address"))?,
            ),
        };
        let action = AuditAction::parse(&stored.action).map_err(|e| e.to_string())?;
        let entry = AuditEntry {
            at,
            actor: stored.actor,
            client,
            action,
            target: stored.target,
            detail: stored.detail,
        };
        Ok(AuditRecord {
            seq: stored.seq,
            entry,
            prev_hash: stored.prev_hash,
            hash: stored.hash,
        })
    }
}

/// The newest record's place and hash, which the store keeps beside the records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: u64,
    pub hash: String,
}

/// Which records the API lists. Every field that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub actor: Option<String>,
    /// Records at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Records before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// Where and how the chain is broken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq} {problem}")]
pub struct AuditBreak {
    /// The first record at which the chain fails (for a truncated log, the first missing one).
    pub seq: u64,
    pub problem: AuditProblem,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditProblem {
    #[error("cannot be read: {0}")]
    Malformed(String),
    #[error("was changed: its content hashes to {actual}, not to the {stored} it was sealed with")]
    Changed { stored: String, actual: String },
    #[error("follows record {previous}: {} deleted or moved", missing(.expected, .found))]
    Gap {
        previous: u64,
        expected: u64,
        found: u64,
    },
    #[error(
        "is not in its place: record {found} is stored there, so the records were moved or reordered"
    )]
    Moved { found: u64 },
    #[error("comes after record {previous}: the records were reordered or one was duplicated")]
    OutOfOrder { previous: u64 },
    #[error(
        "is not chained to the record before it: record {previous} was rewritten, or this one was inserted"
    )]
    Unlinked { previous: u64 },
    #[error(
        "is missing: the head says the log ends at record {head}, so records from here were deleted"
    )]
    Truncated { head: u64 },
    #[error(
        "is not the head: the head says the log ends at record {head}, so this was added outside the application"
    )]
    BeyondHead { head: u64 },
    #[error("does not match the head's hash {head_hash}: the newest record was rewritten")]
    HeadMismatch { head_hash: String },
    #[error("is the newest, but the log has no head: the head was deleted")]
    HeadMissing,
}

/// "record 3 was" or "records 3 to 5 were": the records a gap leaves out.
fn missing(expected: &u64, found: &u64) -> String {
    match found - 1 {
        last if last == *expected => format!("record {expected} was"),
        last => format!("records {expected} to {last} were"),
    }
}

/// What an intact chain holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSummary {
    pub records: u64,
    /// The newest record's hash ([`GENESIS_HASH`] for an empty log).
    pub last_hash: String,
}

/// Checks records one at a time, in the order they are stored, so a log of any length is
/// verified page by page in constant memory.
#[derive(Clone, Debug)]
pub struct ChainVerifier {
    last_seq: u64,
    last_hash: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> ChainVerifier {
        ChainVerifier::from_checkpoint(0, GENESIS_HASH)
    }
}

impl ChainVerifier {
    /// A verifier for a log whose records up to `seq` (hash `hash`) are no longer kept: the
    /// checkpoint a purge must leave behind. `(0, GENESIS_HASH)` is the start of the log.
    pub fn from_checkpoint(seq: u64, hash: &str) -> ChainVerifier {
        ChainVerifier {
            last_seq: seq,
            last_hash: hash.to_string(),
            checked: 0,
        }
    }

    /// Checks the next stored record: its hash, its place and its link, in that order.
    pub fn check(&mut self, record: &AuditRecord) -> Result<(), AuditBreak> {
        let broken = |problem| AuditBreak {
            seq: record.seq,
            problem,
        };
        let actual = record.content_hash();
        if actual != record.hash {
            return Err(broken(AuditProblem::Changed {
                stored: record.hash.clone(),
                actual,
            }));
        }
        let previous = self.last_seq;
        if record.seq <= previous {
            return Err(broken(AuditProblem::OutOfOrder { previous }));
        }
        if record.seq > previous + 1 {
            return Err(broken(AuditProblem::Gap {
                previous,
                expected: previous + 1,
                found: record.seq,
            }));
        }
        if record.prev_hash != self.last_hash {
            return Err(broken(AuditProblem::Unlinked { previous }));
        }
        self.last_seq = record.seq;
        self.last_hash = record.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// Ends the check against the head the store keeps, which catches deleted newest records.
    pub fn finish(self, head: Option<&AuditHead>) -> Result<ChainSummary, AuditBreak> {
        let last = self.last_seq;
        let at = |seq, problem| Err(AuditBreak { seq, problem });
        match head {
            None if self.checked > 0 => return at(last, AuditProblem::HeadMissing),
            None => {}
            Some(head) if head.seq > last => {
                return at(last + 1, AuditProblem::Truncated { head: head.seq });
            }
            Some(head) if head.seq < last => {
                return at(head.seq + 1, AuditProblem::BeyondHead { head: head.seq });
            }
            Some(head) if head.hash != self.last_hash => {
                let head_hash = head.hash.clone();
                return at(last, AuditProblem::HeadMismatch { head_hash });
            }
            Some(_) => {}
        }
        Ok(ChainSummary {
            records: self.checked,
            last_hash: self.last_hash,
        })
    }
}

/// Checks a whole chain held in memory against its head.
pub fn verify(
    records: &[AuditRecord],
    head: Option<&AuditHead>,
) -> Result<ChainSummary, AuditBreak> {
    let mut verifier = ChainVerifier::default();
    for record in records {
        verifier.check(record)?;
    }
    verifier.finish(head)
}
