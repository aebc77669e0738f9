//! Which part of the region tree a live stream shows: `city` (the root of the tree, the
//! command center's), or `LEVEL:CODE` for any region (`prefecture:`, `city:` for a
//! county, `town:`, `village:`, `province:`). A scope is a region code whose level the
//! client named explicitly, so a typo that points a town wall at a village is refused
//! instead of silently narrowing it.

use std::fmt;

use crate::domain::region::{Level, RegionCode};

/// The region a stream covers: the region itself and everything beneath it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    code: RegionCode,
    /// Whether it is the root of the tree, which is labelled `city` however high the
    /// tree is rooted (a function of the code for a given tree, so two screens of the
    /// same region always share one label).
    root: bool,
}

/// Why a `scope=` value was refused; every variant is a client mistake (422).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error(
        "scope is required: city, town:CODE or village:CODE (or province:, prefecture:, city: with a code)"
    )]
    Missing,
    #[error(
        "unknown scope '{0}'; use city, town:CODE or village:CODE (or province:, prefecture:, city: with a code)"
    )]
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

const LEVELS: [Level; 5] = Level::ALL;

impl Scope {
    /// Parses `city` (the root of the tree, whose code the caller passes in because it
    /// is data, not syntax) or `LEVEL:CODE`.
    pub fn parse(input: &str, root: &RegionCode) -> Result<Scope, ScopeError> {
        if input.is_empty() {
            return Err(ScopeError::Missing);
        }
        if input == "city" {
            return Ok(Scope {
                code: *root,
                root: true,
            });
        }
        let (kind, code) = input
            .split_once(':')
            .ok_or_else(|| ScopeError::UnknownKind(input.to_string()))?;
        let named = LEVELS
            .into_iter()
            .find(|level| level.as_str() == kind)
            .ok_or_else(|| ScopeError::UnknownKind(input.to_string()))?;
        let code = RegionCode::parse(code).map_err(|e| ScopeError::BadCode {
            kind: named.as_str(),
            reason: e.to_string(),
        })?;
        if code.level() != named {
            return Err(ScopeError::WrongLevel {
                code,
                found: code.level(),
                named,
            });
        }
        Ok(Scope {
            code,
            root: code == *root,
        })
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
        if self.root {
            return f.write_str("city");
        }
        write!(f, "{}:{}", self.code.level().as_str(), self.code)
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
    fn a_prefectures_counties_and_the_prefecture_itself_are_scopes() {
        let root = code("410200000000");
        assert_eq!(Scope::parse("city", &root).unwrap().label(), "city");
        let county = Scope::parse("city:410221000000", &root).unwrap();
        assert_eq!(county.label(), "city:410221000000");
        assert_eq!(county.code(), &code("410221000000"));
        let same_root = Scope::parse("prefecture:410200000000", &root).unwrap();
        assert_eq!(
            same_root.label(),
            "city",
            "the root is labelled city however it was named"
        );
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
        for input in [
            "province",
            "town",
            "county:990102000000",
            "City",
            "region:990102000000",
        ] {
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
