//! The lifecycle settings (`workflows/lifecycle.toml`): deadlines, observation, extensions
//! and the escalation ladder. Parsed strictly: an unknown key is an error that names it.

use chrono::Duration;
use serde::Deserialize;

use super::fact::{Rung, Severity, SupervisionLevel};

/// Everything the lifecycle needs to know that is policy rather than code.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSettings {
    pub deadline_days: DeadlineDays,
    pub observation_days: u32,
    pub extension: ExtensionSettings,
    pub escalation: Vec<EscalationStep>,
}

/// Rectification deadline in days for each severity.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeadlineDays {
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExtensionSettings {
    pub max_extensions: u32,
    pub max_days: u32,
}

/// One rung of the secondary-supervision ladder.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    pub rung: Rung,
    pub level: SupervisionLevel,
    #[serde(default)]
    pub respond_days: Option<u32>,
    pub grace_days: u32,
}

/// Settings that could not be used, with the file named. (Reading the file is the
/// caller's: the workflow does no I/O; see `app::load_lifecycle`.)
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl LifecycleSettings {
    /// Parses settings from text; `name` is used in error messages.
    pub fn from_toml_str(name: &str, text: &str) -> Result<LifecycleSettings, SettingsError> {
        let invalid = |message: String| SettingsError::Invalid {
            path: name.to_string(),
            message,
        };
        let settings: LifecycleSettings =
            toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
        settings.check().map_err(invalid)?;
        Ok(settings)
    }

    /// The settings shipped in `workflows/lifecycle.toml`, compiled in so tests and tools
    /// that do not pass a file still run the documented policy.
    pub fn builtin() -> LifecycleSettings {
        LifecycleSettings::from_toml_str(
            "workflows/lifecycle.toml",
            include_str!("../../workflows/lifecycle.toml"),
        )
        .expect("the shipped lifecycle settings are valid")
    }

    fn check(&self) -> Result<(), String> {
        if self.escalation.is_empty() {
            return Err("escalation: the ladder needs at least one rung".into());
        }
        let d = &self.deadline_days;
        if d.high == 0 || d.medium == 0 || d.low == 0 {
            return Err("deadline_days: every severity needs at least one day".into());
        }
        if self.observation_days == 0 {
            return Err("observation_days: must be at least 1".into());
        }
        let last = self.escalation.len() - 1;
        for (i, step) in self.escalation.iter().enumerate() {
            if step.grace_days == 0 || step.respond_days == Some(0) {
                return Err(format!(
                    "escalation[{i}]: respond_days and grace_days must be at least 1"
                ));
            }
            if i < last && step.respond_days.is_none() {
                return Err(format!(
                    "escalation[{i}]: respond_days is required on every rung but the last"
                ));
            }
        }
        Ok(())
    }

    pub fn deadline(&self, severity: Severity) -> Duration {
        let days = match severity {
            Severity::High => self.deadline_days.high,
            Severity::Medium => self.deadline_days.medium,
            Severity::Low => self.deadline_days.low,
        };
        Duration::days(i64::from(days))
    }

    pub fn observation(&self) -> Duration {
        Duration::days(i64::from(self.observation_days))
    }

    /// The rung reached after `misses` missed deadlines (1-based); the ladder tops out at
    /// its last rung.
    pub fn rung_for(&self, misses: u32) -> &EscalationStep {
        let index = (misses.max(1) as usize - 1).min(self.escalation.len() - 1);
        &self.escalation[index]
    }

    /// Whether `misses` has reached the top of the ladder, where nothing climbs further.
    pub fn is_top(&self, misses: u32) -> bool {
        misses as usize >= self.escalation.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_parse() {
        let s = LifecycleSettings::builtin();
        assert_eq!(s.extension.max_extensions, 1);
        assert_eq!(s.rung_for(1).rung, Rung::Urge);
        assert_eq!(s.rung_for(9).rung, Rung::Investigate);
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_name() {
        let text = include_str!("../../workflows/lifecycle.toml").replace(
            "observation_days = 30",
            "observation_days = 30\nobservation_dayz = 3",
        );
        let err = LifecycleSettings::from_toml_str("lifecycle.toml", &text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("lifecycle.toml"), "{msg}");
        assert!(msg.contains("observation_dayz"), "{msg}");
    }

    #[test]
    fn a_zero_day_deadline_is_refused() {
        let text = include_str!("../../workflows/lifecycle.toml").replace("high = 7", "high = 0");
        let err = LifecycleSettings::from_toml_str("x.toml", &text).unwrap_err();
        assert!(err.to_string().contains("deadline_days"), "{err}");
    }
}
