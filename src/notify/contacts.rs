//! The officials notifications reach (通知对象): who holds which role for which region, and
//! where each can be reached. The contacts are imported like the departments' datasets (the
//! `contacts` kind) and edited one by one by the city office; this module only answers
//! "who, for this warning's village, is the town office?" and "at which address, on this
//! channel?". It is pure: the outbox hands it the rows and the region tree.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::channel::Address;
use super::event::{ChannelKind, Recipient};
use crate::domain::region::RegionCode;
use crate::regions::RegionTree;

/// One official and their addresses. At least one address must be present for the row to
/// be imported, but any may be missing: a steward without DingTalk still gets SMS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    /// The office's own key for the person (工号 or any stable text), unique in the file.
    pub contact_id: String,
    pub name: String,
    pub role: Recipient,
    /// The region the role is held for: a village for stewards and secretaries, a town for
    /// a town office, the city (or any ancestor) for the city office.
    #[schema(value_type = String)]
    pub region_code: RegionCode,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub dingtalk_user_id: Option<String>,
    #[serde(default)]
    pub wecom_user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Contact {
    /// Where this contact is reached on `channel`, if they have an address there. The log
    /// and the group robots reach the group as a whole when the person has no user id of
    /// their own there: the office's group still hears of it.
    pub fn address(&self, channel: ChannelKind) -> Option<Address> {
        match channel {
            ChannelKind::Sms => self.mobile.clone().map(Address::Mobile),
            ChannelKind::Email => self.email.clone().map(Address::Email),
            ChannelKind::DingTalk => Some(
                self.dingtalk_user_id
                    .clone()
                    .map_or(Address::Group, Address::DingTalkUser),
            ),
            ChannelKind::WeCom => Some(
                self.wecom_user_id
                    .clone()
                    .map_or(Address::Group, Address::WeComUser),
            ),
            ChannelKind::Log => Some(Address::Group),
        }
    }
}

/// The contacts by role and region, for lookups per warning.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    by_role: HashMap<(Recipient, RegionCode), Vec<Contact>>,
    len: usize,
}

impl Directory {
    pub fn new(contacts: impl IntoIterator<Item = Contact>) -> Directory {
        let mut directory = Directory::default();
        for contact in contacts {
            directory
                .by_role
                .entry((contact.role, contact.region_code))
                .or_default()
                .push(contact);
            directory.len += 1;
        }
        for list in directory.by_role.values_mut() {
            list.sort_by(|a, b| a.contact_id.cmp(&b.contact_id));
        }
        directory
    }

    /// Every contact, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Contact> + '_ {
        self.by_role.values().flatten()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Who holds `role` for a warning in `region`: the contacts registered for the nearest
    /// of the region and its ancestors that has any. So a town office registered for its
    /// town serves every village of it, and a city office registered for the city serves
    /// the whole tree; a village without its own steward falls back to one registered for
    /// its town, if the town chose to register one.
    pub fn holders(&self, role: Recipient, region: &RegionCode, tree: &RegionTree) -> &[Contact] {
        let mut chain = tree.ancestors(region);
        if chain.is_empty() {
            // A region outside the tree (an old warning after a re-import): its own code
            // and the codes its digits imply.
            chain = region.and_ancestors().collect();
        }
        chain
            .iter()
            .find_map(|code| self.by_role.get(&(role, *code)))
            .map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> RegionTree {
        RegionTree::from_csv_str(
            "t.csv",
            "code,name,parent\n990100000000,市,\n990102000000,县,990100000000\n\
             990102100000,镇,990102000000\n990102100201,一村,990102100000\n\
             990102100202,二村,990102100000\n",
        )
        .unwrap()
    }

    fn contact(id: &str, role: Recipient, region: &str) -> Contact {
        Contact {
            contact_id: id.into(),
            name: format!("联系人{id}"),
            role,
            region_code: region.parse().unwrap(),
            mobile: Some("13800000000".into()),
            dingtalk_user_id: None,
            wecom_user_id: Some("wx1".into()),
            email: None,
        }
    }

    #[test]
    fn each_role_is_found_at_the_nearest_region_that_registers_it() {
        let directory = Directory::new([
            contact("s1", Recipient::VillageSteward, "990102100201"),
            contact("t1", Recipient::TownOffice, "990102100000"),
            contact("c1", Recipient::CityOffice, "990102000000"),
            contact("s0", Recipient::VillageSteward, "990102100000"),
        ]);
        let tree = tree();
        let one: RegionCode = "990102100201".parse().unwrap();
        let two: RegionCode = "990102100202".parse().unwrap();
        let ids = |role, region| -> Vec<String> {
            directory
                .holders(role, region, &tree)
                .iter()
                .map(|c| c.contact_id.clone())
                .collect()
        };
        assert_eq!(ids(Recipient::VillageSteward, &one), ["s1"]);
        assert_eq!(ids(Recipient::VillageSteward, &two), ["s0"]);
        assert_eq!(ids(Recipient::TownOffice, &two), ["t1"]);
        assert_eq!(ids(Recipient::CityOffice, &one), ["c1"]);
        assert!(ids(Recipient::VillageSecretary, &one).is_empty());
    }

    #[test]
    fn an_address_is_given_only_where_the_contact_has_one() {
        let c = contact("s1", Recipient::VillageSteward, "990102100201");
        assert_eq!(
            c.address(ChannelKind::Sms),
            Some(Address::Mobile("13800000000".into()))
        );
        assert_eq!(c.address(ChannelKind::Email), None);
        assert_eq!(c.address(ChannelKind::DingTalk), Some(Address::Group));
        assert_eq!(
            c.address(ChannelKind::WeCom),
            Some(Address::WeComUser("wx1".into()))
        );
    }
}
