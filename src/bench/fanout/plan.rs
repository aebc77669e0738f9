//! Who watches what: the spread of screens over scopes as in a real deployment (about
//! 10% on the city, 30% on the towns, 60% on the villages), and how many screens a
//! change in a village reaches.

use std::collections::HashMap;

use crate::domain::region::RegionCode;
use crate::regions::RegionTree;

/// The screens of a run: one scope label per client, and the villages commands go to.
pub struct Plan {
    /// `city`, `town:CODE` or `village:CODE`, one per client.
    pub scopes: Vec<String>,
    pub villages: Vec<RegionCode>,
    /// Per village: the screens on it, its town and the city (who sees its changes).
    watchers: HashMap<RegionCode, u64>,
    /// Per village: its town.
    towns: HashMap<RegionCode, RegionCode>,
}

impl Plan {
    /// Spreads `clients` screens: every tenth on the city, three in ten over the towns in
    /// turn, the rest over the villages in turn.
    pub fn spread(tree: &RegionTree, clients: usize) -> anyhow::Result<Plan> {
        let towns: Vec<RegionCode> = tree.towns().map(|r| r.code).collect();
        let villages: Vec<RegionCode> = tree.villages().map(|r| r.code).collect();
        anyhow::ensure!(
            !towns.is_empty() && !villages.is_empty(),
            "the region tree needs towns and villages"
        );
        let city_share = clients / 10;
        let town_share = clients * 3 / 10;
        let mut scopes = Vec::with_capacity(clients);
        let mut on: HashMap<RegionCode, u64> = HashMap::new();
        for i in 0..clients {
            let (label, code) = if i < city_share {
                ("city".to_string(), tree.root().code)
            } else if i < city_share + town_share {
                let town = towns[i % towns.len()];
                (format!("town:{}", town.as_str()), town)
            } else {
                let village = villages[i % villages.len()];
                (format!("village:{}", village.as_str()), village)
            };
            scopes.push(label);
            *on.entry(code).or_default() += 1;
        }
        let mut watchers = HashMap::new();
        let mut town_of = HashMap::new();
        for village in &villages {
            let chain = tree.ancestors(village);
            let seen = chain.iter().map(|c| on.get(c).copied().unwrap_or(0)).sum();
            watchers.insert(*village, seen);
            if let Some(town) = chain.iter().find(|c| towns.contains(c)) {
                town_of.insert(*village, *town);
            }
        }
        Ok(Plan {
            scopes,
            villages,
            watchers,
            towns: town_of,
        })
    }

    /// How many screens show a change to a warning in `village`.
    pub fn watchers(&self, village: &RegionCode) -> u64 {
        self.watchers.get(village).copied().unwrap_or(0)
    }

    /// The town `village` belongs to.
    pub fn town_of(&self, village: &RegionCode) -> Option<RegionCode> {
        self.towns.get(village).copied()
    }

    /// How many screens are on each kind of scope: (city, towns, villages).
    pub fn shares(&self) -> (usize, usize, usize) {
        let count = |prefix: &str| self.scopes.iter().filter(|s| s.starts_with(prefix)).count();
        (count("city"), count("town:"), count("village:"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> RegionTree {
        RegionTree::load(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regions.csv")).unwrap()
    }

    #[test]
    fn screens_are_spread_like_a_deployment() {
        let plan = Plan::spread(&tree(), 10_000).unwrap();
        assert_eq!(plan.shares(), (1_000, 3_000, 6_000));
        assert_eq!(plan.villages.len(), 46);
    }

    #[test]
    fn a_village_change_reaches_its_own_its_towns_and_the_citys_screens() {
        let plan = Plan::spread(&tree(), 10_000).unwrap();
        let total: u64 = plan.villages.iter().map(|v| plan.watchers(v)).sum();
        // Every village screen once, every town screen once per village of its town,
        // every city screen once per village.
        let village_screens = 6_000;
        assert!(total > village_screens + 1_000 * 46);
        let liutang = RegionCode::parse("990102100201").unwrap();
        assert_eq!(
            plan.town_of(&liutang),
            Some(RegionCode::parse("990102100000").unwrap())
        );
        assert!(plan.watchers(&liutang) > 1_000 + 3_000 / 7);
    }
}
