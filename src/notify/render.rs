//! Templates and what they render to. A template's text may name only the placeholders of
//! a closed set (`Field`), checked when the settings are loaded, and an SMS template may
//! fill only four of them (`SmsField`): none of them is a person's name, ID number, phone
//! or address, and `Values` has no field that could hold one, so no configuration can put
//! the subject's personal data into a message.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

use super::event::ChannelKind;
use crate::workflow::fact::Severity;

/// A `{placeholder}` of a title or body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    WarningNumber,
    Village,
    Town,
    RuleName,
    Severity,
    Deadline,
    Link,
    Event,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::WarningNumber,
        Field::Village,
        Field::Town,
        Field::RuleName,
        Field::Severity,
        Field::Deadline,
        Field::Link,
        Field::Event,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::WarningNumber => "warning_number",
            Field::Village => "village",
            Field::Town => "town",
            Field::RuleName => "rule_name",
            Field::Severity => "severity",
            Field::Deadline => "deadline",
            Field::Link => "link",
            Field::Event => "event",
        }
    }

    fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// The values an SMS template parameter may carry: only these four, by the rule
/// that a text message carries the warning's number, village, rule and deadline and
/// nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsField {
    WarningNumber,
    Village,
    RuleName,
    Deadline,
}

impl SmsField {
    pub fn field(self) -> Field {
        match self {
            SmsField::WarningNumber => Field::WarningNumber,
            SmsField::Village => Field::Village,
            SmsField::RuleName => Field::RuleName,
            SmsField::Deadline => Field::Deadline,
        }
    }
}

/// The values a message is rendered from, as the outbox fills them from the warning and
/// the region tree. Deliberately no free text of the warning (its title, evidence or
/// notes), which may quote the subject.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    /// The warning's number as offices quote it.
    pub warning_number: String,
    pub village: String,
    pub town: String,
    pub rule_name: String,
    /// In words: see [`severity_zh`].
    pub severity: String,
    /// See [`deadline_text`].
    pub deadline: String,
    /// Where the warning is opened on the screens.
    pub link: String,
    /// See `EventKind::label_zh`.
    pub event: String,
}

impl Values {
    pub fn get(&self, field: Field) -> &str {
        match field {
            Field::WarningNumber => &self.warning_number,
            Field::Village => &self.village,
            Field::Town => &self.town,
            Field::RuleName => &self.rule_name,
            Field::Severity => &self.severity,
            Field::Deadline => &self.deadline,
            Field::Link => &self.link,
            Field::Event => &self.event,
        }
    }
}

/// A severity as a message says it.
pub fn severity_zh(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "高",
        Severity::Medium => "中",
        Severity::Low => "低",
    }
}

/// A deadline as a message says it: Beijing time (UTC+8, no daylight saving since 1991),
/// `2026-03-09 09:00`.
pub fn deadline_text(deadline: DateTime<Utc>) -> String {
    let beijing = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    deadline
        .with_timezone(&beijing)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A title or body with its placeholders found: parsed when the settings are loaded, so
/// an unknown placeholder stops the load instead of reaching a recipient as `{typo}`.
/// `{{` and `}}` stand for literal braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(Field),
}

impl TryFrom<String> for Text {
    type Error = String;

    fn try_from(text: String) -> Result<Text, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let name = placeholder_name(&mut chars)?;
                    let field = Field::parse(&name).ok_or_else(|| unknown_placeholder(&name))?;
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Field(field));
                }
                '}' => return Err("a lone `}`; write `}}` for a brace".to_owned()),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Text { pieces })
    }
}

/// The name after a `{`, up to its `}`; an unclosed one is an error, not a placeholder.
fn placeholder_name(chars: &mut impl Iterator<Item = char>) -> Result<String, String> {
    let mut name = String::new();
    for c in chars {
        if c == '}' {
            return Ok(name);
        }
        name.push(c);
    }
    Err(format!(
        "`{{{name}` is not closed; write `{{{{` for a brace"
    ))
}

fn unknown_placeholder(name: &str) -> String {
    let known: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
    format!(
        "unknown placeholder {{{name}}}; the placeholders are {}",
        known.join(", ")
    )
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        Text::try_from(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl Text {
    /// The text with every placeholder filled. A value's line breaks and other control
    /// characters become spaces, so no value can start a markdown line of its own.
    pub fn fill(&self, values: &Values) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Field(field) => out.extend(
                    values
                        .get(*field)
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c }),
                ),
            }
        }
        out
    }
}

/// An approved SMS template: its code and, for each of its `${variable}`s, the value
/// that fills it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsTemplate {
    pub code: String,
    pub params: BTreeMap<String, SmsField>,
}

/// One `[templates.NAME]`: a title and a markdown body for the robots, e-mail and the
/// log, and an SMS template, each present when some route's channels need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub title: Option<Text>,
    pub body: Option<Text>,
    pub sms: Option<SmsTemplate>,
}

/// A message ready for one channel. Serialized into the outbox, so the message sent on a
/// retry (or on a resend days later) is the one first rendered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rendered {
    /// Template code and parameters (variable → value); the gateway holds the wording.
    Sms {
        template_code: String,
        params: BTreeMap<String, String>,
    },
    /// For the DingTalk and WeCom robots and the log.
    Markdown { title: String, body: String },
    /// Plain text (the markdown body as it is, which reads well unrendered).
    Email { subject: String, body: String },
}

impl Rendered {
    /// The title, subject, or template code: what a log line or a digest names.
    pub fn headline(&self) -> &str {
        match self {
            Rendered::Sms { template_code, .. } => template_code,
            Rendered::Markdown { title, .. } => title,
            Rendered::Email { subject, .. } => subject,
        }
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rendered::Sms {
                template_code,
                params,
            } => write!(f, "{template_code} {params:?}"),
            Rendered::Markdown { title, body }
            | Rendered::Email {
                subject: title,
                body,
            } => {
                write!(f, "{title}\n{body}")
            }
        }
    }
}

impl Template {
    /// The message for a channel of `kind`, or `None` when the template lacks the part
    /// that channel needs (the settings refuse a route that would ask for it).
    pub fn render(&self, kind: ChannelKind, values: &Values) -> Option<Rendered> {
        if kind == ChannelKind::Sms {
            let sms = self.sms.as_ref()?;
            let params = sms
                .params
                .iter()
                .map(|(name, field)| (name.clone(), values.get(field.field()).to_owned()))
                .collect();
            return Some(Rendered::Sms {
                template_code: sms.code.clone(),
                params,
            });
        }
        let title = self.title.as_ref()?.fill(values);
        let body = self.body.as_ref()?.fill(values);
        Some(match kind {
            ChannelKind::Email => Rendered::Email {
                subject: title,
                body,
            },
            _ => Rendered::Markdown { title, body },
        })
    }
}

/// Several messages for one channel as one, for when the channel's rate limit would hold
/// them back (a DingTalk robot takes 20 a minute): each message's title as a heading and
/// its body below. `None` for SMS (the gateway only sends approved templates, which
/// cannot be combined), for an empty list, and for messages of different kinds.
pub fn digest(items: &[Rendered]) -> Option<Rendered> {
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Rendered::Markdown { title, body }
            | Rendered::Email {
                subject: title,
                body,
            } => {
                parts.push(format!("#### {title}\n\n{body}"));
            }
            Rendered::Sms { .. } => return None,
        }
    }
    let first = items.first()?;
    let same_kind = items
        .iter()
        .all(|item| std::mem::discriminant(item) == std::mem::discriminant(first));
    if !same_kind {
        return None;
    }
    let title = format!("【清风】{} 条预警通知汇总", items.len());
    let body = parts.join("\n\n---\n\n");
    Some(match first {
        Rendered::Email { .. } => Rendered::Email {
            subject: title,
            body,
        },
        _ => Rendered::Markdown { title, body },
    })
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
