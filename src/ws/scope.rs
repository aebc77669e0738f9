//! Which part of the region tree a live stream shows: `city`, `town:CODE` or
//! `village:CODE`. A scope is a region code whose level the client named explicitly, so a
//! typo that points a town wall at a village is refused instead of silently narrowing it.

use std::fmt;

use crate::domain::region::{Level, RegionCode};

/// The region a stream covers: the region itself and everything beneath it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    code: RegionCode,
}

/// Why a `scope=` value was refused; every variant is a client mistake (422).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope is required: city, town:CODE or village:CODE")]
    Missing,
    #[error("unknown scope '{0}'; use city, town:CODE or village:CODE")]
    UnknownKind(String),
    #[error("scope {kind}: {reason}")]
    BadCode { kind: &'static str, reason: String },
    #[error("{code} is a {found}, not a {named}")]
    WrongLevel {
        code: RegionCode,
        found: Level,
        named: Level,
    },
}

impl Scope {
    /// The scope of a region (its level is read from the code).
    pub fn of(code: RegionCode) -> Scope {
        Scope { code }
    }

    /// Parses `city`, `town:CODE` or `village:CODE`; `city` means the root of the tree,
    /// which the caller passes in because the code of the city is data, not syntax.
    pub fn parse(input: &str, city: &RegionCode) -> Result<Scope, ScopeError> {
        if input.is_empty() {
            return Err(ScopeError::Missing);
        }
        if input == "city" {
            return Ok(Scope::of(*city));
        }
        let (kind, code) = input
            .split_once(':')
            .ok_or_else(|| ScopeError::UnknownKind(input.to_string()))?;
        let (kind, named) = match kind {
            "town" => ("town", Level::Town),
            "village" => ("village", Level::Village),
            _ => return Err(ScopeError::UnknownKind(input.to_string())),
        };
        let code = RegionCode::parse(code).map_err(|e| ScopeError::BadCode {
            kind,
            reason: e.to_string(),
        })?;
        if code.level() != named {
            return Err(ScopeError::WrongLevel {
                code,
                found: code.level(),
                named,
            });
        }
        Ok(Scope::of(code))
    }

    pub fn code(&self) -> &RegionCode {
        &self.code
    }

    /// The name clients use for the scope, as it is echoed in every snapshot and delta.
    pub fn label(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code.level() {
            Level::City => f.write_str("city"),
            level => write!(f, "{}:{}", level.as_str(), self.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    const CITY: &str = "990102000000";

    #[test]
    fn city_town_and_village_scopes_parse_and_print_back_the_same() {
        let city = code(CITY);
        for input in ["city", "town:990102100000", "village:990102100202"] {
            let scope = Scope::parse(input, &city).unwrap();
            assert_eq!(scope.label(), input);
        }
        assert_eq!(Scope::parse("city", &city).unwrap().code(), &city);
    }

    #[test]
    fn a_scope_whose_code_is_of_another_level_is_refused() {
        let err = Scope::parse("town:990102100202", &code(CITY)).unwrap_err();
        assert_eq!(err.to_string(), "990102100202 is a village, not a town");
        let err = Scope::parse("village:990102000000", &code(CITY)).unwrap_err();
        assert!(matches!(err, ScopeError::WrongLevel { .. }), "{err}");
    }

    #[test]
    fn malformed_scopes_are_refused_with_what_was_expected() {
        let city = code(CITY);
        assert_eq!(Scope::parse("", &city), Err(ScopeError::Missing));
        for input in ["province", "town", "county:990102000000", "City"] {
            let err = Scope::parse(input, &city).unwrap_err();
            assert_eq!(err, ScopeError::UnknownKind(input.to_string()));
        }
        let err = Scope::parse("town:99010210000", &city).unwrap_err();
        assert!(
            matches!(err, ScopeError::BadCode { kind: "town", .. }),
            "{err}"
        );
    }
}
