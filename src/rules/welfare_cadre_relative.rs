//! `welfare_cadre_relative` (村干部及其亲属享受低保): a recipient of a means-tested fund
//! is a village cadre, or a relative of a cadre of the village that paid.
//!
//! Cadres take part in the village's own assessment, so the policy asks that their and
//! their relatives' cases be declared and re-checked (备案). A cadre receiving the fund
//! is flagged wherever they serve; a relative only when the cadre serves in the village
//! that paid, because a cadre has no say over another village's list. The relatives
//! registry records each pair once, in either direction, so it is read both ways.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::index::{IdIndex, id_key};
use super::labels;
use super::support::compared;
use super::welfare::{self, Collision};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::domain::resident_id::ResidentId;
use crate::import::DatasetKind;
use crate::import::rows::{CadreRow, RelativeRow, WelfarePaymentRow};
use crate::import::value::Fund;

/// `[rules.welfare_cadre_relative.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The means-tested funds whose cadre and relative recipients are flagged.
    pub funds: Vec<String>,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        welfare::check_funds(&self.funds)
    }
}

/// The cadres and the relatives registry, each keyed by resident ID.
struct Registries<'a> {
    data: &'a Data,
    cadres: IdIndex<usize>,
    relatives: IdIndex<usize>,
}

impl<'a> Registries<'a> {
    fn new(data: &'a Data) -> Registries<'a> {
        let cadres = data.cadres.iter().enumerate();
        let cadres = cadres.map(|(i, c)| (id_key(&c.person_id), i)).collect();
        let mut pairs = Vec::with_capacity(data.relatives.len() * 2);
        for (i, r) in data.relatives.iter().enumerate() {
            pairs.push((id_key(&r.person_id), i));
            pairs.push((id_key(&r.relative_id), i));
        }
        Registries {
            data,
            cadres: IdIndex::build(cadres),
            relatives: IdIndex::build(pairs),
        }
    }

    fn cadre_rows(&self, id: u64) -> impl Iterator<Item = &'a CadreRow> + '_ {
        let rows = &self.data.cadres;
        self.cadres.get(id).iter().filter_map(|&i| rows.get(i))
    }

    /// The relative pairs of person `id` whose other side is a cadre of `payment`'s
    /// village, each with that cadre.
    fn cadre_relatives(
        &self,
        id: u64,
        payment: &WelfarePaymentRow,
    ) -> Vec<(&'a RelativeRow, &'a CadreRow)> {
        let rows = &self.data.relatives;
        let pairs = self.relatives.get(id).iter().filter_map(|&i| rows.get(i));
        let mut found = Vec::new();
        for pair in pairs {
            let other: &ResidentId = if id_key(&pair.person_id) == id {
                &pair.relative_id
            } else {
                &pair.person_id
            };
            let cadres = self.cadre_rows(id_key(other));
            let same_village = cadres.filter(|c| c.village_code == payment.village_code);
            found.extend(same_village.map(|c| (pair, c)));
        }
        found
    }
}

/// The rule, built from its catalogue entry.
pub struct WelfareCadreRelative {
    meta: RuleMeta,
    params: Params,
    funds: Vec<Fund>,
}

impl WelfareCadreRelative {
    pub fn new(meta: RuleMeta, params: Params) -> WelfareCadreRelative {
        let funds = welfare::parse_funds(&params.funds);
        WelfareCadreRelative {
            meta,
            params,
            funds,
        }
    }

    fn finding(&self, registries: &Registries<'_>, group: &[(usize, ())]) -> Option<Finding> {
        let payments = welfare::rows(&registries.data.welfare_payments, group);
        let first = *payments.first()?;
        let id = id_key(&first.recipient_id);
        let mut details = Vec::new();
        let mut references = Vec::new();
        let mut shown: Vec<Value> = Vec::new();
        for cadre in registries.cadre_rows(id) {
            let role = labels::cadre_role(&cadre.role);
            details.push(format!("本人为村干部（{role}）"));
            references.push(cadre_compared(cadre));
            shown.push(json!({"cadre": "本人", "role": role, "village_code": cadre.village_code}));
        }
        for (pair, cadre) in registries.cadre_relatives(id, first) {
            let (role, relation) = (
                labels::cadre_role(&cadre.role),
                labels::relation(&pair.relation),
            );
            details.push(format!(
                "与本村村干部{}（{role}）系亲属（{relation}）",
                cadre.name
            ));
            let key = format!("{}:{}", pair.person_id.masked(), pair.relative_id.masked());
            references.push(compared(DatasetKind::Relatives, key, pair.source_row));
            references.push(cadre_compared(cadre));
            shown.push(json!({
                "cadre": cadre.name,
                "role": role,
                "village_code": cadre.village_code,
                "relation": relation,
            }));
        }
        Collision {
            payments,
            title: "对象为村干部或其亲属".to_owned(),
            detail: details.join("，"),
            references,
            values: vec![("cadre_ties", shown.into())],
            threshold: json!({
                "funds": welfare::fund_names(&self.params.funds),
                "relative_of_cadre": "本村村干部的亲属",
            }),
        }
        .finding(&self.meta)
    }
}

fn cadre_compared(cadre: &CadreRow) -> Value {
    let key = format!("{}:{}", cadre.person_id.masked(), cadre.village_code);
    compared(DatasetKind::Cadres, key, cadre.source_row)
}

impl Rule for WelfareCadreRelative {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let funds = Some(self.funds.as_slice());
        if data.cadres.is_empty() {
            return welfare::not_judged(&self.meta, &data.welfare_payments, funds);
        }
        let registries = Registries::new(data);
        let found = welfare::collide(&data.welfare_payments, funds, |id, payment| {
            let hit = registries.cadres.contains(id)
                || !registries.cadre_relatives(id, payment).is_empty();
            hit.then_some(())
        });
        welfare::report(&self.meta, found, |group| self.finding(&registries, group))
    }
}
