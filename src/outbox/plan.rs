//! What one committed event calls for: the messages, each for one contact on one channel,
//! with a key that is the same however often (and by however many instances) the event
//! is planned. Pure: the worker hands it the event, the warning, the settings, the
//! contacts and the tree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::region::{Level, RegionCode};
use crate::notify::contacts::Directory;
use crate::notify::{
    Address, ChannelKind, EventKind, NotifySettings, Occasion, Recipient, Rendered, Values,
    deadline_text, severity_zh,
};
use crate::regions::RegionTree;
use crate::rules::Catalogue;
use crate::workflow::{Colour, Fact, Warning};

/// One message to deliver, or the record that it could not be addressed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    /// `{cause}.{recipient}.{contact}.{channel}`: the cause is the event's log position
    /// (or `due{days}.{deadline}` for a reminder before a deadline), so planning the same
    /// event twice yields the same keys.
    pub key: String,
    pub warning: String,
    pub event: EventKind,
    pub recipient: Recipient,
    /// The contact's id; `None` when nobody holds the role for the warning's region.
    pub contact: Option<String>,
    pub channel: ChannelKind,
    /// `None` when the contact has no address on this channel (or there is no contact):
    /// such a record is kept as `unaddressed`, so the city office sees the gap.
    pub address: Option<Address>,
    pub rendered: Option<Rendered>,
}

/// What planning reads besides the event.
pub struct Context<'a> {
    pub settings: &'a NotifySettings,
    pub directory: &'a Directory,
    pub tree: &'a RegionTree,
    pub catalogue: &'a Catalogue,
}

/// The messages the event at `position` calls for, given the warning as it is now.
pub fn plan_event(
    ctx: &Context<'_>,
    position: u64,
    fact: &Fact,
    warning: &Warning,
) -> Vec<Planned> {
    let Some(event) = EventKind::of_fact(fact) else {
        return Vec::new();
    };
    let occasion = Occasion {
        event,
        severity: warning.severity,
        level: colour_after(fact, warning),
        held_by: match fact {
            Fact::DeadlinePassed { level, .. } => Some(*level),
            _ => None,
        },
        days_before: None,
    };
    let deadline = deadline_of(fact).unwrap_or(warning.deadline);
    plan(ctx, &position.to_string(), occasion, warning, deadline)
}

/// The reminders `days_before` a warning's current deadline, planned once per deadline.
pub fn plan_due_soon(ctx: &Context<'_>, days_before: u32, warning: &Warning) -> Vec<Planned> {
    let occasion = Occasion {
        event: EventKind::DueSoon,
        severity: warning.severity,
        level: warning.colour(),
        held_by: None,
        days_before: Some(days_before),
    };
    let cause = format!("due{days_before}.{}", warning.deadline.timestamp());
    plan(ctx, &cause, occasion, warning, warning.deadline)
}

fn plan(
    ctx: &Context<'_>,
    cause: &str,
    occasion: Occasion,
    warning: &Warning,
    deadline: DateTime<Utc>,
) -> Vec<Planned> {
    let values = values(ctx, occasion.event, warning, deadline);
    let mut planned = Vec::new();
    for route in ctx.settings.routes_for(occasion) {
        let Some(template) = ctx.settings.template(&route.template) else {
            continue;
        };
        for &recipient in &route.to {
            let holders = ctx.directory.holders(recipient, &warning.region, ctx.tree);
            for &channel in &route.channels {
                let base = |contact: Option<&str>| Planned {
                    key: format!(
                        "{cause}.{}.{}.{}",
                        recipient.as_str(),
                        contact.unwrap_or("-"),
                        channel.as_str()
                    ),
                    warning: warning.id.clone(),
                    event: occasion.event,
                    recipient,
                    contact: contact.map(str::to_owned),
                    channel,
                    address: None,
                    rendered: None,
                };
                if holders.is_empty() {
                    planned.push(base(None));
                }
                for contact in holders {
                    let mut message = base(Some(&contact.contact_id));
                    message.address = contact.address(channel);
                    if message.address.is_some() {
                        message.rendered = template.render(channel, &values);
                    }
                    planned.push(message);
                }
            }
        }
    }
    // Two routes naming the same recipient and channel for one event send it once.
    planned.sort_by(|a, b| a.key.cmp(&b.key));
    planned.dedup_by(|a, b| a.key == b.key);
    planned
}

/// The warning's colour right after the event, for the routes' `levels`: the projection
/// holds the warning as it is now, which for an event planned late may have moved on.
fn colour_after(fact: &Fact, warning: &Warning) -> Colour {
    match fact {
        Fact::Raised { reminder: true, .. } => Colour::Yellow,
        Fact::Raised { .. }
        | Fact::Relapsed { .. }
        | Fact::ReminderExpired { .. }
        | Fact::DeadlinePassed { .. }
        | Fact::RectificationRejected { .. } => Colour::Red,
        Fact::RectificationVerified { .. } => Colour::Yellow,
        Fact::ObservationEnded | Fact::ReminderClosed { .. } => Colour::Green,
        _ => warning.colour(),
    }
}

/// The deadline an event set, where it set one.
fn deadline_of(fact: &Fact) -> Option<DateTime<Utc>> {
    match fact {
        Fact::Raised { deadline, .. }
        | Fact::Relapsed { deadline, .. }
        | Fact::ReminderExpired { deadline, .. }
        | Fact::Urged { deadline, .. }
        | Fact::Supervised { deadline, .. } => Some(*deadline),
        Fact::DeadlinePassed { respond_by, .. } => *respond_by,
        _ => None,
    }
}

fn values(
    ctx: &Context<'_>,
    event: EventKind,
    warning: &Warning,
    deadline: DateTime<Utc>,
) -> Values {
    let name_at = |level: Level| -> String {
        ancestor_at(ctx.tree, &warning.region, level)
            .and_then(|code| ctx.tree.get(&code))
            .map(|region| region.name.clone())
            .unwrap_or_default()
    };
    let rule_name = warning
        .rule()
        .and_then(|code| ctx.catalogue.get(code))
        .map_or_else(|| "人工登记".to_owned(), |rule| rule.name_zh.clone());
    let village = match name_at(Level::Village) {
        name if name.is_empty() => ctx
            .tree
            .get(&warning.region)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        name => name,
    };
    Values {
        warning_number: warning.id.clone(),
        village,
        town: name_at(Level::Town),
        rule_name,
        severity: severity_zh(warning.severity).to_owned(),
        deadline: deadline_text(deadline),
        link: format!(
            "{}/screens/town/{}?warning={}",
            ctx.settings.link_base,
            ancestor_at(ctx.tree, &warning.region, Level::Town)
                .unwrap_or(warning.region)
                .as_str(),
            warning.id
        ),
        event: event.label_zh().to_owned(),
    }
}

fn ancestor_at(tree: &RegionTree, region: &RegionCode, level: Level) -> Option<RegionCode> {
    tree.ancestors(region)
        .into_iter()
        .find(|code| code.level() == level)
}
