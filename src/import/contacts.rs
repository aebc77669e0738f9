//! The `contacts` kind: the officials notifications reach. Beyond the cell types, each
//! address is checked for its channel (a mainland mobile number, one mailbox, a user id
//! without spaces), a row must give at least one address, and a role must be held for a
//! region of its level (a town office for a town, not a village).

use serde::{Deserialize, Serialize};

use super::cells::Cells;
use crate::domain::region::Level;
use crate::notify::Recipient;
use crate::notify::contacts::Contact;

/// One contact as imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRow {
    pub source_row: usize,
    #[serde(flatten)]
    pub contact: Contact,
}

/// The longest id, name or user id kept; a longer cell is an error, not cut.
const MAX_TEXT: usize = 64;
/// RFC 5321's limit on a mailbox.
const MAX_EMAIL: usize = 254;

pub(super) fn contact(c: &mut Cells<'_>) -> Option<ContactRow> {
    let contact = Contact {
        contact_id: c.req("contact_id")?,
        name: c.req("name")?,
        role: c.req("role")?,
        region_code: c.req("region_code")?,
        mobile: c.opt("mobile")?,
        dingtalk_user_id: c.opt("dingtalk_user_id")?,
        wecom_user_id: c.opt("wecom_user_id")?,
        email: c.opt("email")?,
    };
    let mut contact = contact;
    contact.mobile = contact.mobile.map(|m| normalise_mobile(&m));
    for problem in problems(&contact) {
        c.error(problem.column, problem.value, problem.reason);
    }
    Some(ContactRow {
        source_row: c.row(),
        contact,
    })
}

/// One thing wrong with a contact: the column (or API field), its value, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactProblem {
    pub column: &'static str,
    pub value: String,
    pub reason: String,
}

/// Everything wrong with `contact` beyond its cells' types, for an import's rows and the
/// city office's edits alike.
pub fn problems(contact: &Contact) -> Vec<ContactProblem> {
    let mut found = Vec::new();
    let mut bad = |column: &'static str, value: &str, reason: &str| {
        found.push(ContactProblem {
            column,
            value: value.to_owned(),
            reason: reason.to_owned(),
        });
    };
    for (column, text) in [
        ("contact_id", contact.contact_id.as_str()),
        ("name", contact.name.as_str()),
    ] {
        if text.trim().is_empty()
            || text.chars().count() > MAX_TEXT
            || text.chars().any(char::is_control)
        {
            bad(
                column,
                text,
                "must be 1 to 64 characters, without control characters",
            );
        }
    }
    if let Some(mobile) = &contact.mobile
        && !is_mobile(mobile)
    {
        bad(
            "mobile",
            mobile,
            "not a mainland mobile number (11 digits starting 13–19)",
        );
    }
    for (column, id) in [
        ("dingtalk_user_id", &contact.dingtalk_user_id),
        ("wecom_user_id", &contact.wecom_user_id),
    ] {
        if let Some(id) = id
            && !is_user_id(id)
        {
            bad(
                column,
                id,
                "a user id is 1–64 letters, digits, '_', '-', '.' or '@'",
            );
        }
    }
    if let Some(email) = &contact.email
        && !is_email(email)
    {
        bad("email", email, "not one e-mail address");
    }
    let addresses = [
        &contact.mobile,
        &contact.dingtalk_user_id,
        &contact.wecom_user_id,
        &contact.email,
    ];
    if addresses.iter().all(|a| a.is_none()) {
        bad(
            "mobile",
            "",
            "no address: give a mobile, a DingTalk or WeCom user id, or an e-mail",
        );
    }
    let level = contact.region_code.level();
    let fits = match contact.role {
        Recipient::VillageSteward | Recipient::VillageSecretary => {
            matches!(level, Level::Village | Level::Town)
        }
        Recipient::TownOffice => level == Level::Town,
        Recipient::CityOffice => !matches!(level, Level::Village | Level::Town),
    };
    if !fits {
        let reason = format!(
            "a {} is held for a region of its own level, not a {}",
            contact.role.as_str(),
            level.as_str()
        );
        bad("region_code", contact.region_code.as_str(), &reason);
    }
    found
}

/// Strips what people write around a mobile number: spaces, dashes and a `+86`.
pub fn normalise_mobile(text: &str) -> String {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("86").filter(|rest| rest.len() == 11))
        .unwrap_or(&digits)
        .to_owned()
}

pub fn is_mobile(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 11
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1])
        && bytes.iter().all(u8::is_ascii_digit)
}

pub fn is_user_id(text: &str) -> bool {
    (1..=MAX_TEXT).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
}

pub fn is_email(text: &str) -> bool {
    let Some((user, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= MAX_EMAIL
        && !user.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && text.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_for_their_channel() {
        assert!(is_mobile("13800138000"));
        assert!(!is_mobile("12800138000"));
        assert!(!is_mobile("1380013800"));
        assert_eq!(normalise_mobile("+86 138-0013-8000"), "13800138000");
        assert_eq!(normalise_mobile("8613800138000"), "13800138000");
        assert!(is_email("a.b@example.gov.cn"));
        assert!(!is_email("a@b@c.cn"));
        assert!(!is_email("a b@c.cn"));
        assert!(!is_email("ab@cn"));
        assert!(is_user_id("zhang_san-01"));
        assert!(!is_user_id("zhang san"));
        assert!(!is_user_id(&"x".repeat(65)));
    }
}
