//! The rule catalogue: which rules are on, their names, legal basis, severity, deadline
//! and typed parameters, read from `workflows/rules/*.toml`.
//!
//! Each file holds `[rules.CODE]` tables (see `workflows/rules/README.md`). A rule is on
//! exactly when its table is present. Parsing is strict: an unknown key, a missing key, a
//! value of the wrong type or a parameter out of range stops the load with the file, the
//! rule and the key named, because a misspelt threshold silently falling back to a
//! default would make the platform raise (or miss) warnings nobody decided on.

use std::collections::HashMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{CODES, CheckParams, RuleParams};
use crate::workflow::fact::Severity;

/// The family a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// 小微权力: village contracts, payments, projects.
    VillagePower,
    /// 民生资金: welfare payments collided with registries.
    Welfare,
    /// 招投标: bids on public tenders.
    Bidding,
    /// 群众反映: reports from the public pages.
    Public,
}

impl Domain {
    /// The snake_case name used in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::VillagePower => "village_power",
            Domain::Welfare => "welfare",
            Domain::Bidding => "bidding",
            Domain::Public => "public",
        }
    }
}

/// The colour a rule's warning opens with: red normally, yellow for reminders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningLevel {
    Red,
    Yellow,
}

/// One enabled rule as the catalogue declares it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleEntry {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub domain: Domain,
    pub legal_basis: String,
    pub severity: Severity,
    /// Days the village has to rectify a warning raised by this rule.
    pub deadline_days: u32,
    pub level: WarningLevel,
    /// The file that declares the rule, as named when loaded.
    pub file: String,
    pub params: RuleParams,
}

/// A `[rules.CODE]` table before its parameters are typed by the rule's own struct.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name_zh: String,
    name_en: String,
    domain: Domain,
    legal_basis: String,
    severity: Severity,
    deadline_days: u32,
    level: WarningLevel,
    #[serde(default)]
    params: Option<toml::Value>,
}

/// Why the catalogue cannot be used. Every message names the file, and the rule when
/// the problem is inside one.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}: rule {rule}: {message}")]
    Rule {
        file: String,
        rule: String,
        message: String,
    },
    #[error("rule {rule} is not in the catalogue")]
    NotEnabled { rule: String },
}

/// The enabled rules, in registry order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Catalogue {
    entries: Vec<RuleEntry>,
}

/// The shipped catalogue files, compiled in for tests and tools run without a directory.
const BUILTIN: [(&str, &str); 4] = [
    (
        "workflows/rules/village_power.toml",
        include_str!("../../workflows/rules/village_power.toml"),
    ),
    (
        "workflows/rules/welfare.toml",
        include_str!("../../workflows/rules/welfare.toml"),
    ),
    (
        "workflows/rules/bidding.toml",
        include_str!("../../workflows/rules/bidding.toml"),
    ),
    (
        "workflows/rules/public.toml",
        include_str!("../../workflows/rules/public.toml"),
    ),
];

impl Catalogue {
    /// Reads every `*.toml` file of `dir`, in name order.
    pub fn load_dir(dir: &Path) -> Result<Catalogue, CatalogueError> {
        let read_error = |path: &Path, source| CatalogueError::Read {
            path: path.display().to_string(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
            let path = entry.map_err(|e| read_error(dir, e))?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| read_error(&path, e))?;
            files.push((path.display().to_string(), text));
        }
        Catalogue::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// Parses catalogue files given as (name for messages, text) pairs.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalogue, CatalogueError> {
        let mut entries: Vec<RuleEntry> = Vec::new();
        let mut declared: HashMap<String, String> = HashMap::new();
        for (file, text) in files {
            for entry in parse_file(file, text)? {
                if let Some(first) = declared.get(&entry.code) {
                    let message = format!("already declared in {first}");
                    return Err(rule_error(file, &entry.code, message));
                }
                declared.insert(entry.code.clone(), file.to_owned());
                entries.push(entry);
            }
        }
        entries.sort_by_key(|e| CODES.iter().position(|c| *c == e.code));
        Ok(Catalogue { entries })
    }

    /// The catalogue shipped in `workflows/rules/`, compiled in.
    pub fn builtin() -> Catalogue {
        Catalogue::from_files(BUILTIN).expect("the shipped rule catalogue is valid")
    }

    /// The enabled rules, in registry order.
    pub fn entries(&self) -> &[RuleEntry] {
        &self.entries
    }

    /// The entry of rule `code`, if enabled.
    pub fn get(&self, code: &str) -> Option<&RuleEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    /// The same catalogue with only the rules `codes` enabled.
    pub fn only(&self, codes: &[&str]) -> Result<Catalogue, CatalogueError> {
        if let Some(missing) = codes.iter().find(|c| self.get(c).is_none()) {
            return Err(CatalogueError::NotEnabled {
                rule: (*missing).to_owned(),
            });
        }
        let entries = self
            .entries
            .iter()
            .filter(|e| codes.contains(&e.code.as_str()))
            .cloned()
            .collect();
        Ok(Catalogue { entries })
    }

    /// The same catalogue with some parameters of rule `code` replaced, checked as
    /// strictly as the files are (a misspelt key is refused, not ignored).
    pub fn with_params(
        &self,
        code: &str,
        overrides: &toml::Table,
    ) -> Result<Catalogue, CatalogueError> {
        let mut catalogue = self.clone();
        let Some(entry) = catalogue.entries.iter_mut().find(|e| e.code == code) else {
            return Err(CatalogueError::NotEnabled {
                rule: code.to_owned(),
            });
        };
        let invalid = |message: String| rule_error(&entry.file, code, message);
        let mut params = match toml::Value::try_from(&entry.params) {
            Ok(toml::Value::Table(table)) => table,
            Ok(_) => toml::Table::new(),
            Err(e) => return Err(invalid(format!("params: {e}"))),
        };
        params.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        entry.params = match RuleParams::parse(code, toml::Value::Table(params)) {
            Some(parsed) => parsed.map_err(invalid)?,
            None => return Err(invalid("unknown rule code".to_owned())),
        };
        Ok(catalogue)
    }
}

fn rule_error(file: &str, rule: &str, message: String) -> CatalogueError {
    CatalogueError::Rule {
        file: file.to_owned(),
        rule: rule.to_owned(),
        message,
    }
}

fn file_error(file: &str, message: String) -> CatalogueError {
    CatalogueError::File {
        file: file.to_owned(),
        message,
    }
}

/// The entries of one file, in the file's key order.
fn parse_file(file: &str, text: &str) -> Result<Vec<RuleEntry>, CatalogueError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_error(file, e.to_string().trim_end().to_owned()))?;
    let mut entries = Vec::new();
    for (key, value) in table {
        if key != "rules" {
            let message =
                format!("unknown top-level key `{key}`; declare rules as [rules.CODE] tables");
            return Err(file_error(file, message));
        }
        let toml::Value::Table(rules) = value else {
            let message = "`rules` must hold [rules.CODE] tables".to_owned();
            return Err(file_error(file, message));
        };
        for (code, value) in rules {
            entries.push(parse_entry(file, &code, value)?);
        }
    }
    Ok(entries)
}

fn parse_entry(file: &str, code: &str, value: toml::Value) -> Result<RuleEntry, CatalogueError> {
    let invalid = |message: String| rule_error(file, code, message);
    let Some(domain) = RuleParams::domain_of(code) else {
        let message = format!(
            "unknown rule code; the known codes are {}",
            CODES.join(", ")
        );
        return Err(invalid(message));
    };
    let raw: RawEntry =
        serde_path_to_error::deserialize(value).map_err(|e| invalid(describe(e)))?;
    if raw.domain != domain {
        let message = format!(
            "domain is {} but the rule belongs to {}",
            raw.domain.as_str(),
            domain.as_str()
        );
        return Err(invalid(message));
    }
    if raw.deadline_days == 0 {
        return Err(invalid("deadline_days: must be at least 1".to_owned()));
    }
    let params_value = raw
        .params
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    let params = match RuleParams::parse(code, params_value) {
        Some(parsed) => parsed.map_err(invalid)?,
        None => return Err(invalid("unknown rule code".to_owned())),
    };
    Ok(RuleEntry {
        code: code.to_owned(),
        name_zh: raw.name_zh,
        name_en: raw.name_en,
        domain,
        legal_basis: raw.legal_basis,
        severity: raw.severity,
        deadline_days: raw.deadline_days,
        level: raw.level,
        file: file.to_owned(),
        params,
    })
}

/// Parses one rule's `[params]` into its own type and checks the values.
pub(crate) fn parse_params<P>(value: toml::Value) -> Result<P, String>
where
    P: DeserializeOwned + CheckParams,
{
    let params: P =
        serde_path_to_error::deserialize(value).map_err(|e| format!("params: {}", describe(e)))?;
    params
        .check()
        .map_err(|message| format!("params: {message}"))?;
    Ok(params)
}

/// A deserialisation error with the key it happened at. The key is left out when the
/// message already quotes it (an unknown field) or the error is about the table itself
/// (a missing field), so no message names a key twice.
fn describe(error: serde_path_to_error::Error<toml::de::Error>) -> String {
    let path = error.path().to_string();
    let message = error.into_inner().message().trim_end().to_owned();
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path.as_str()));
    let path = if message.contains(&format!("`{last}`")) {
        parent
    } else {
        path.as_str()
    };
    if path == "." || path.is_empty() {
        message
    } else {
        format!("{path}: {message}")
    }
}

#[cfg(test)]
mod tests;
