//! What each actor may read and write, as pure functions of the actor and a region.
//!
//! Scoping is by region only: an actor's scope is its own region and everything beneath
//! it, so a city role covers the whole city, a town office its town and villages, and a
//! village steward one village. The finer rules of the warning lifecycle (who may verify,
//! dismiss or transfer) live with the lifecycle; these functions answer the question
//! every one of those rules asks first.

use super::{Actor, Role};
use crate::domain::region::RegionCode;

/// True if the actor may see data about `region`: every role reads within its scope.
pub fn can_read(actor: &Actor, region: &RegionCode) -> bool {
    region.is_within(actor.region())
}

/// True if the actor may change data about `region`.
///
/// Displays and city leaders never write: a wall screen has no keyboard and a leader's
/// account is for watching, so neither should be able to alter the record even by
/// accident. Every other role writes within its scope.
pub fn can_write(actor: &Actor, region: &RegionCode) -> bool {
    match actor.role() {
        Role::Display | Role::CityLeader => false,
        Role::CityOffice | Role::TownOffice | Role::VillageSteward => can_read(actor, region),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITY: &str = "990102000000";
    const TOWN_A: &str = "990102100000";
    const VILLAGE_A1: &str = "990102100201";
    const VILLAGE_A2: &str = "990102100202";
    const TOWN_B: &str = "990102101000";
    const VILLAGE_B1: &str = "990102101201";
    const ELSEWHERE: &str = "990103000000";

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn actor(role: Role, region: &str) -> Actor {
        Actor::new("someone", role, code(region)).unwrap()
    }

    /// Asserts which of the test regions the actor can read and write, in the order
    /// city, town A, village A1, village A2, town B, village B1, another city.
    fn assert_scope(actor: &Actor, reads: [bool; 7], writes: [bool; 7]) {
        let all = [
            CITY, TOWN_A, VILLAGE_A1, VILLAGE_A2, TOWN_B, VILLAGE_B1, ELSEWHERE,
        ];
        for ((region, read), write) in all.into_iter().zip(reads).zip(writes) {
            let region = code(region);
            assert_eq!(can_read(actor, &region), read, "{actor:?} reading {region}");
            assert_eq!(
                can_write(actor, &region),
                write,
                "{actor:?} writing {region}"
            );
        }
    }

    #[test]
    fn a_village_steward_reads_and_writes_only_its_own_village() {
        let steward = actor(Role::VillageSteward, VILLAGE_A1);
        let only_a1 = [false, false, true, false, false, false, false];
        assert_scope(&steward, only_a1, only_a1);
    }

    #[test]
    fn a_town_office_reads_and_writes_its_town_and_its_villages_only() {
        let office = actor(Role::TownOffice, TOWN_A);
        let town_a = [false, true, true, true, false, false, false];
        assert_scope(&office, town_a, town_a);
    }

    #[test]
    fn the_city_office_reads_and_writes_the_whole_city_but_no_other() {
        let office = actor(Role::CityOffice, CITY);
        let city = [true, true, true, true, true, true, false];
        assert_scope(&office, city, city);
    }

    #[test]
    fn a_city_leader_reads_the_whole_city_and_writes_nothing() {
        let leader = actor(Role::CityLeader, CITY);
        let city = [true, true, true, true, true, true, false];
        assert_scope(&leader, city, [false; 7]);
    }

    #[test]
    fn a_display_reads_its_scope_and_writes_nothing() {
        let city = [true, true, true, true, true, true, false];
        assert_scope(&actor(Role::Display, CITY), city, [false; 7]);
        let town_b = [false, false, false, false, true, true, false];
        assert_scope(&actor(Role::Display, TOWN_B), town_b, [false; 7]);
        let village = [false, false, false, true, false, false, false];
        assert_scope(&actor(Role::Display, VILLAGE_A2), village, [false; 7]);
    }
}
