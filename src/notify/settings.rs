//! `workflows/notifications.toml`: what is sent on which event, to whom, by which
//! channel, with which template, and how each channel is reached. Parsed strictly, like
//! the rule catalogue and the lifecycle settings: an unknown key, a missing one, a value
//! of the wrong type, a placeholder outside the closed set or an SMS parameter that could
//! carry personal data stops the load with the file and the table or key named, because a
//! misspelt route silently sending nothing (or too much) is worse than not starting.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::channel_settings::ChannelSettings;
use super::event::{ChannelKind, EventKind, Occasion, Recipient};
use super::render::{SmsField, SmsTemplate, Template, Text};
use crate::workflow::fact::{Severity, SupervisionLevel};
use crate::workflow::warning::Colour;

/// Why the notification settings or channels cannot be used. Every message names the
/// file, or the key, it is about.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{key}: the environment variable {var} is not set")]
    Secret { key: String, var: String },
    #[error("{key}: {message}")]
    Channel { key: String, message: String },
}

/// One `[[route]]`: on `event` (narrowed by the optional filters), tell `to` through
/// `channels` with `template`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub event: EventKind,
    /// For `due_soon` only, and required there: days before the deadline.
    #[serde(default)]
    pub days_before: Option<u32>,
    /// Only warnings of these severities; absent: all.
    #[serde(default)]
    pub severities: Option<Vec<Severity>>,
    /// Only warnings of these colours after the event; absent: all.
    #[serde(default)]
    pub levels: Option<Vec<Colour>>,
    /// For `overdue` only: only when the ladder puts the warning with these offices.
    #[serde(default)]
    pub held_by: Option<Vec<SupervisionLevel>>,
    pub to: Vec<Recipient>,
    pub channels: Vec<ChannelKind>,
    pub template: String,
}

impl Route {
    /// Whether this route applies to `occasion`.
    pub fn matches(&self, occasion: &Occasion) -> bool {
        fn allows<T: PartialEq>(filter: &Option<Vec<T>>, value: &T) -> bool {
            filter
                .as_ref()
                .is_none_or(|allowed| allowed.contains(value))
        }
        self.event == occasion.event
            && (self.days_before.is_none() || self.days_before == occasion.days_before)
            && allows(&self.severities, &occasion.severity)
            && allows(&self.levels, &occasion.level)
            && (self.held_by.is_none()
                || occasion
                    .held_by
                    .is_some_and(|held| allows(&self.held_by, &held)))
    }
}

/// A `[templates.NAME]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    #[serde(default)]
    title: Option<Text>,
    #[serde(default)]
    body: Option<Text>,
    #[serde(default)]
    sms_template_code: Option<String>,
    /// `${variable}` of the approved template → the value that fills it.
    #[serde(default)]
    sms_params: BTreeMap<String, SmsField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default, rename = "route")]
    routes: Vec<Route>,
    #[serde(default)]
    templates: BTreeMap<String, RawTemplate>,
    #[serde(default)]
    channels: ChannelSettings,
    /// The address the screens are reached at, e.g. `https://qingfeng.example.gov.cn`,
    /// put before each message's `{link}`; absent, links are paths on the server.
    #[serde(default)]
    link_base: String,
}

/// The notification settings, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct NotifySettings {
    pub routes: Vec<Route>,
    pub templates: BTreeMap<String, Template>,
    pub channels: ChannelSettings,
    /// See `RawSettings::link_base`, without a trailing `/`.
    pub link_base: String,
}

/// The path of the shipped file, relative to the data directory.
pub const SHIPPED: &str = "workflows/notifications.toml";

impl NotifySettings {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<NotifySettings, NotifyError> {
        let text = std::fs::read_to_string(path).map_err(|source| NotifyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        NotifySettings::from_toml_str(&path.display().to_string(), &text)
    }

    /// Parses and checks settings from text; `name` is the file named in errors.
    pub fn from_toml_str(name: &str, text: &str) -> Result<NotifySettings, NotifyError> {
        let invalid = |message: String| NotifyError::Invalid {
            file: name.to_owned(),
            message,
        };
        let raw: RawSettings = serde_path_to_error::deserialize(toml::Deserializer::new(text))
            .map_err(|e| invalid(describe(e)))?;
        let mut templates = BTreeMap::new();
        for (template_name, raw) in raw.templates {
            let template = check_template(&template_name, raw).map_err(invalid)?;
            templates.insert(template_name, template);
        }
        let settings = NotifySettings {
            routes: raw.routes,
            templates,
            channels: raw.channels,
            link_base: raw.link_base.trim_end_matches('/').to_owned(),
        };
        settings.channels.check().map_err(invalid)?;
        for (index, route) in settings.routes.iter().enumerate() {
            settings.check_route(route).map_err(|message| {
                invalid(format!(
                    "route[{index}] ({}): {message}",
                    route.event.as_str()
                ))
            })?;
        }
        Ok(settings)
    }

    /// The shipped settings, compiled in: the log channel only, so the demo shows
    /// notifications without anything outside.
    pub fn builtin() -> NotifySettings {
        NotifySettings::from_toml_str(SHIPPED, include_str!("../../workflows/notifications.toml"))
            .expect("the shipped notification settings are valid")
    }

    /// The routes that apply to `occasion`, in file order.
    pub fn routes_for(&self, occasion: Occasion) -> impl Iterator<Item = &Route> {
        self.routes
            .iter()
            .filter(move |route| route.matches(&occasion))
    }

    pub fn template(&self, name: &str) -> Option<&Template> {
        self.templates.get(name)
    }

    /// The distinct `days_before` of the `due_soon` routes, smallest first: the reminders
    /// the outbox schedules before each deadline.
    pub fn due_soon_days(&self) -> Vec<u32> {
        let days: BTreeSet<u32> = self.routes.iter().filter_map(|r| r.days_before).collect();
        days.into_iter().collect()
    }

    fn check_route(&self, route: &Route) -> Result<(), String> {
        match (route.event, route.days_before) {
            (EventKind::DueSoon, None) => return Err("days_before is required for due_soon".into()),
            (EventKind::DueSoon, Some(0)) => return Err("days_before: must be at least 1".into()),
            (EventKind::DueSoon, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err("days_before applies to due_soon only".into()),
        }
        if route.held_by.is_some() && route.event != EventKind::Overdue {
            return Err("held_by applies to overdue only".into());
        }
        check_list("to", &route.to)?;
        check_list("channels", &route.channels)?;
        for (key, empty) in [
            (
                "severities",
                route.severities.as_ref().is_some_and(Vec::is_empty),
            ),
            ("levels", route.levels.as_ref().is_some_and(Vec::is_empty)),
            ("held_by", route.held_by.as_ref().is_some_and(Vec::is_empty)),
        ] {
            if empty {
                return Err(format!(
                    "{key}: an empty list matches nothing; leave it out to match all"
                ));
            }
        }
        let Some(template) = self.templates.get(&route.template) else {
            let known: Vec<&str> = self.templates.keys().map(String::as_str).collect();
            return Err(format!(
                "template `{}` is not declared; the templates are {}",
                route.template,
                known.join(", ")
            ));
        };
        for kind in &route.channels {
            if !self.channels.is_configured(*kind) {
                return Err(format!(
                    "channel {} is not configured: add a [channels.{}] table",
                    kind.as_str(),
                    kind.as_str()
                ));
            }
            check_template_serves(&route.template, template, *kind)?;
        }
        Ok(())
    }
}

/// A parse error with the key it happened at (toml's own message gives the line and
/// column, but not the table a `body = …` line belongs to).
fn describe(error: serde_path_to_error::Error<toml::de::Error>) -> String {
    let path = error.path().to_string();
    let message = error.into_inner().to_string();
    let message = message.trim_end();
    if path.is_empty() || path == "." {
        message.to_owned()
    } else {
        format!("{path}: {message}")
    }
}

fn check_list<T: Ord>(key: &str, list: &[T]) -> Result<(), String> {
    if list.is_empty() {
        return Err(format!("{key}: must name at least one"));
    }
    if list.iter().collect::<BTreeSet<_>>().len() != list.len() {
        return Err(format!("{key}: names one twice"));
    }
    Ok(())
}

/// Whether `template` has what a channel of `kind` needs.
fn check_template_serves(name: &str, template: &Template, kind: ChannelKind) -> Result<(), String> {
    let missing = match kind {
        ChannelKind::Sms => template
            .sms
            .is_none()
            .then_some("sms_template_code and sms_params"),
        _ => template.title.is_none().then_some("title and body"),
    };
    match missing {
        Some(what) => Err(format!(
            "channel {} needs {what} in [templates.{name}]",
            kind.as_str()
        )),
        None => Ok(()),
    }
}

/// Names the approved SMS templates' variables may not have (the gateway's rule).
const RESERVED_SMS_VARIABLES: [&str; 5] = ["email", "mobile", "id", "nick", "site"];

fn check_template(name: &str, raw: RawTemplate) -> Result<Template, String> {
    let at = |message: String| format!("templates.{name}: {message}");
    if raw.title.is_some() != raw.body.is_some() {
        return Err(at("title and body go together: give both or neither".into()));
    }
    let sms = match raw.sms_template_code {
        None if raw.sms_params.is_empty() => None,
        None => return Err(at("sms_params needs sms_template_code".into())),
        Some(code) => {
            if code.trim().is_empty() || code.chars().any(char::is_whitespace) {
                return Err(at(format!(
                    "sms_template_code: `{code}` is not a template code"
                )));
            }
            for variable in raw.sms_params.keys() {
                check_sms_variable(variable)
                    .map_err(|m| at(format!("sms_params.{variable}: {m}")))?;
            }
            Some(SmsTemplate {
                code,
                params: raw.sms_params,
            })
        }
    };
    if raw.title.is_none() && sms.is_none() {
        return Err(at(
            "declares nothing: give a title and body, an SMS template, or both".into(),
        ));
    }
    Ok(Template {
        title: raw.title,
        body: raw.body,
        sms,
    })
}

/// A `${variable}` name as the SMS gateway accepts them: 1 to 25 letters, digits and
/// underscores, starting with a letter, and not one of its reserved names.
fn check_sms_variable(name: &str) -> Result<(), String> {
    let well_formed = (1..=25).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err(
            "a variable name is 1 to 25 letters, digits or underscores, starting with a letter"
                .into(),
        );
    }
    if RESERVED_SMS_VARIABLES.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!("`{name}` is reserved by the SMS gateway"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
