//! Supervision notices (督办通知书): every urge, supervision notice and transfer to
//! investigation is a numbered document, 清风督〔2026〕12号. The number is the notice's
//! rank among the year's notices in log position order, so every replay and every instance
//! sharing a store gives the same one; the projection keeps each warning's notices as
//! marks (kind, position, time) and ranks them (`projections::notices`).

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::fact::Fact;

/// Which command a notice records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 催办
    Urge,
    /// 督办
    Supervise,
    /// 移送查办
    Transfer,
}

impl NoticeKind {
    /// The notice an event is, if it is one.
    pub fn of(fact: &Fact) -> Option<NoticeKind> {
        match fact {
            Fact::Urged { .. } => Some(NoticeKind::Urge),
            Fact::Supervised { .. } => Some(NoticeKind::Supervise),
            Fact::TransferredToInvestigation { .. } => Some(NoticeKind::Transfer),
            _ => None,
        }
    }

    /// The document's title.
    pub fn title(self) -> &'static str {
        match self {
            NoticeKind::Urge => "催办通知书",
            NoticeKind::Supervise => "督办通知书",
            NoticeKind::Transfer => "移送查办通知书",
        }
    }
}

/// One notice of a warning, as the projection marked it when it folded the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeMark {
    pub kind: NoticeKind,
    /// The event's global position: what the notice is numbered by.
    pub position: u64,
    pub at: DateTime<Utc>,
}

impl NoticeMark {
    /// The year the notice belongs to (Beijing time): numbers start again each year.
    pub fn year(&self) -> i32 {
        let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
        self.at.with_timezone(&beijing).year()
    }
}

/// The document number, e.g. `清风督〔2026〕12号`.
pub fn notice_number(year: i32, rank: usize) -> String {
    format!("清风督〔{year}〕{rank}号")
}
