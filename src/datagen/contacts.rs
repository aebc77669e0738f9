//! The demo's contacts (通知对象): for each village its steward (村务监督员) and party
//! secretary (村党组织书记), for each town its office, for the city its office. The
//! numbers are in 199-0000-xxxx, which the demo's log channel never dials.

use std::collections::BTreeSet;

use rand::Rng;
use rand::rngs::StdRng;

use super::Village;
use super::names::person_name;
use super::table::Table;
use crate::domain::region::RegionCode;
use crate::import::DatasetKind;

/// The contacts file for `villages`: ids `C000001…` in the order written.
pub(super) fn write(rng: &mut StdRng, villages: &[Village]) -> String {
    let mut table = Table::new(DatasetKind::Contacts);
    let mut next = 0u32;
    let mut row = |table: &mut Table, rng: &mut StdRng, role: &str, region: &RegionCode| {
        next += 1;
        let male = rng.gen_bool(0.5);
        let name = person_name(rng, male);
        let mobile = format!("1990000{next:04}");
        let dingtalk = format!("dt{next:06}");
        let email = if role.ends_with("office") {
            format!("office{next:04}@example.gov.cn")
        } else {
            String::new()
        };
        table.row(&[
            format!("C{next:06}").as_str(),
            &name,
            role,
            region.as_str(),
            &mobile,
            &dingtalk,
            "",
            &email,
        ]);
    };
    for village in villages {
        row(&mut table, rng, "village_steward", &village.code);
        row(&mut table, rng, "village_secretary", &village.code);
    }
    let towns: BTreeSet<RegionCode> = villages
        .iter()
        .filter_map(|v| v.code.parent_by_digits())
        .collect();
    for town in &towns {
        row(&mut table, rng, "town_office", town);
    }
    let cities: BTreeSet<RegionCode> = towns.iter().filter_map(|t| t.parent_by_digits()).collect();
    for city in &cities {
        row(&mut table, rng, "city_office", city);
    }
    table.finish()
}
