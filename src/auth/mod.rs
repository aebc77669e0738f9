//! Users, roles and what each role may see and do.
//!
//! An [`Actor`] is a signed-in user: a name, a [`Role`] and the region the role is scoped
//! to. `Actor::new` refuses a role on a region of the wrong level, so a town office
//! scoped to a village (or a village steward scoped to the whole city) cannot exist.
//! The work done by the server itself (the scheduler marking warnings overdue, closing
//! them after observation) is done by [`Principal::System`], which is deliberately not a
//! role: no user can ever be given it.
//!
//! The submodules hold the pieces: [`access`] decides reads and writes, [`password`]
//! hashes passwords and [`token`] makes session tokens.

pub mod access;
pub mod lockout;
pub mod password;
pub mod token;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::region::{Level, RegionCode};

pub use access::{can_read, can_write};
pub use password::{PasswordPolicy, hash_password, verify_password};
pub use token::{new_token, token_hash};

/// Everything that can go wrong when building users or handling their credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("unknown role '{input}'; valid roles are {}", Role::valid_list())]
    UnknownRole { input: String },
    #[error("username must not be empty")]
    EmptyUsername,
    #[error("role {role} must be scoped to a {needed} region, but {region} is a {found}")]
    RoleRegionMismatch {
        role: Role,
        region: RegionCode,
        found: Level,
        /// The levels the role may be scoped to, in words ("city, prefecture or province").
        needed: String,
    },
    #[error("password must not be empty")]
    EmptyPassword,
    #[error("password must be at least {min} characters, found {found}")]
    PasswordTooShort { min: usize, found: usize },
    #[error(
        "password must mix at least {min} of lowercase letters, uppercase letters, digits and \
         other characters, found {found} (missing {missing})"
    )]
    PasswordTooSimple {
        min: usize,
        found: usize,
        missing: String,
    },
    /// The hashing library failed; this is a server fault, not a user mistake.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// The roles of the people who use Qingfeng (see the users table in the product brief).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A city leader watching the wall screen: reads the whole city, changes nothing.
    CityLeader,
    /// The city discipline office: rules, imports, dismissals, transfers, audit.
    CityOffice,
    /// A town digital supervision office (数字监察办公室): the warnings of its villages.
    TownOffice,
    /// A village steward (清廉乡村智慧管家): the tasks of one village.
    VillageSteward,
    /// A kiosk wall screen or tablet display: read-only, scoped to any level.
    Display,
}

impl Role {
    /// Every role, in the order they are listed in messages.
    pub const ALL: [Role; 5] = [
        Role::CityLeader,
        Role::CityOffice,
        Role::TownOffice,
        Role::VillageSteward,
        Role::Display,
    ];

    /// Parses the snake_case name used in configuration and requests.
    pub fn parse(input: &str) -> Result<Role, AuthError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == input)
            .ok_or_else(|| AuthError::UnknownRole {
                input: input.to_owned(),
            })
    }

    /// The snake_case name, identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CityLeader => "city_leader",
            Role::CityOffice => "city_office",
            Role::TownOffice => "town_office",
            Role::VillageSteward => "village_steward",
            Role::Display => "display",
        }
    }

    /// The levels of region this role may be scoped to, or `None` if any level will do.
    /// The command-center roles (named for the county, where the product began) sit at
    /// the county or at any level above it where a deployment is rooted.
    pub fn allowed_levels(self) -> Option<&'static [Level]> {
        match self {
            Role::CityLeader | Role::CityOffice => {
                Some(&[Level::City, Level::Prefecture, Level::Province])
            }
            Role::TownOffice => Some(&[Level::Town]),
            Role::VillageSteward => Some(&[Level::Village]),
            // A display can hang in a command center, a town office or a village hall,
            // and shows only its own region.
            Role::Display => None,
        }
    }

    fn valid_list() -> String {
        Role::ALL.map(Role::as_str).join(", ")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed-in user whose role fits the level of its region.
///
/// The fields are private so that every `Actor` has gone through [`Actor::new`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    username: String,
    role: Role,
    region: RegionCode,
}

impl Actor {
    /// Builds an actor, refusing an empty username or a region of the wrong level for
    /// the role.
    pub fn new(
        username: impl Into<String>,
        role: Role,
        region: RegionCode,
    ) -> Result<Actor, AuthError> {
        let username = username.into();
        if username.trim().is_empty() {
            return Err(AuthError::EmptyUsername);
        }
        if let Some(allowed) = role.allowed_levels() {
            let found = region.level();
            if !allowed.contains(&found) {
                let names: Vec<&str> = allowed.iter().map(|l| l.as_str()).collect();
                let needed = match names.split_last() {
                    Some((last, [])) => (*last).to_owned(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                };
                return Err(AuthError::RoleRegionMismatch {
                    role,
                    region,
                    found,
                    needed,
                });
            }
        }
        Ok(Actor {
            username,
            role,
            region,
        })
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The region the actor's role is scoped to; the actor sees only what lies within it.
    pub fn region(&self) -> &RegionCode {
        &self.region
    }
}

/// Who performed an action: a signed-in user or the server itself.
///
/// Events record a principal so the audit trail shows whether a person or the scheduler
/// (deadline checks, close-out after observation) made each change. The system is
/// trusted and unscoped; access checks apply only to users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    User(Actor),
    System,
}

impl Principal {
    /// The name shown in audit trails: the username, or `system`.
    pub fn name(&self) -> &str {
        match self {
            Principal::User(actor) => actor.username(),
            Principal::System => "system",
        }
    }

    /// The user behind this principal, if it is one.
    pub fn actor(&self) -> Option<&Actor> {
        match self {
            Principal::User(actor) => Some(actor),
            Principal::System => None,
        }
    }
}

impl From<Actor> for Principal {
    fn from(actor: Actor) -> Principal {
        Principal::User(actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn every_role_parses_from_its_own_name_and_serialises_the_same_way() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
    }

    #[test]
    fn an_unknown_role_is_rejected_with_the_list_of_valid_roles() {
        let err = Role::parse("admin").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown role 'admin'; valid roles are city_leader, city_office, town_office, village_steward, display"
        );
    }

    #[test]
    fn a_town_office_scoped_to_a_village_is_rejected() {
        let err = Actor::new("li", Role::TownOffice, code("990102100201")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "role town_office must be scoped to a town region, but 990102100201 is a village"
        );
    }

    #[test]
    fn each_role_needs_a_region_of_its_own_level() {
        let (city, town, village) = (
            code("990102000000"),
            code("990102100000"),
            code("990102100201"),
        );
        let fits = [
            (Role::CityLeader, city),
            (Role::CityOffice, city),
            (Role::TownOffice, town),
            (Role::VillageSteward, village),
        ];
        for (role, right) in fits {
            assert!(Actor::new("u", role, right).is_ok(), "{role} on {right}");
            for wrong in [city, town, village].into_iter().filter(|r| *r != right) {
                assert!(Actor::new("u", role, wrong).is_err(), "{role} on {wrong}");
            }
        }
    }

    #[test]
    fn a_display_may_be_scoped_to_any_level() {
        for region in ["990102000000", "990102100000", "990102100201"] {
            assert!(Actor::new("screen", Role::Display, code(region)).is_ok());
        }
    }

    #[test]
    fn an_empty_username_is_rejected() {
        let err = Actor::new("  ", Role::CityOffice, code("990102000000")).unwrap_err();
        assert_eq!(err, AuthError::EmptyUsername);
    }

    #[test]
    fn the_system_principal_is_named_system_and_has_no_actor() {
        assert_eq!(Principal::System.name(), "system");
        assert!(Principal::System.actor().is_none());
        let user: Principal = Actor::new("wang", Role::CityOffice, code("990102000000"))
            .unwrap()
            .into();
        assert_eq!(user.name(), "wang");
    }
}
