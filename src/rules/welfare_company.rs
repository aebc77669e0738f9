//! `welfare_company` (低保对象名下有企业): a recipient of a means-tested fund is the legal
//! representative or a shareholder of a company that is still active.
//!
//! The company registry gives the current status only, not the dates a person joined
//! or left, so the rule judges against the registry as imported. Only companies that
//! may still trade count (存续, 在营, 开业, 在册, and 迁入 or 迁出, which change only the
//! registry); suspended, dormant, liquidating, revoked and deregistered ones are
//! ignored because such a business earns nothing. The evidence shows each company's
//! status in the registry's own words.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::index::{IdIndex, id_key};
use super::support::compared;
use super::welfare::{self, Collision};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::value::Fund;

/// `[rules.welfare_company.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The means-tested funds whose recipients may not run or own a company.
    pub funds: Vec<String>,
    /// Whether holding shares counts, not only being the legal representative.
    pub include_shareholders: bool,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        welfare::check_funds(&self.funds)
    }
}

/// How a person is tied to a company.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    LegalRep,
    Shareholder,
}

impl Role {
    fn zh(self) -> &'static str {
        match self {
            Role::LegalRep => "法定代表人",
            Role::Shareholder => "股东",
        }
    }
}

/// The rule, built from its catalogue entry.
pub struct WelfareCompany {
    meta: RuleMeta,
    params: Params,
    funds: Vec<Fund>,
}

impl WelfareCompany {
    pub fn new(meta: RuleMeta, params: Params) -> WelfareCompany {
        let funds = welfare::parse_funds(&params.funds);
        WelfareCompany {
            meta,
            params,
            funds,
        }
    }

    /// Active companies by the ID of each person tied to them.
    fn index(&self, data: &Data) -> IdIndex<(usize, Role)> {
        let mut pairs = Vec::new();
        for (i, company) in data.companies.iter().enumerate() {
            if !company.status.is_active() {
                continue;
            }
            pairs.push((id_key(&company.legal_rep_id), (i, Role::LegalRep)));
            if self.params.include_shareholders {
                let holders = company.shareholder_ids.iter();
                let holders = holders.filter(|id| **id != company.legal_rep_id);
                pairs.extend(holders.map(|id| (id_key(id), (i, Role::Shareholder))));
            }
        }
        IdIndex::build(pairs)
    }

    fn finding(
        &self,
        data: &Data,
        people: &IdIndex<(usize, Role)>,
        group: &[(usize, ())],
    ) -> Option<Finding> {
        let payments = welfare::rows(&data.welfare_payments, group);
        let first = *payments.first()?;
        let ties: Vec<_> = people
            .get(id_key(&first.recipient_id))
            .iter()
            .filter_map(|&(i, role)| Some((data.companies.get(i)?, role)))
            .collect();
        let listed: Vec<String> = ties
            .iter()
            .map(|(c, role)| format!("{}（{}）{}", c.name, c.uscc, role.zh()))
            .collect();
        let references = ties
            .iter()
            .map(|(c, _)| compared(DatasetKind::Companies, c.uscc.as_str(), c.source_row))
            .collect();
        let shown: Vec<Value> = ties
            .iter()
            .map(|(c, role)| {
                json!({"uscc": c.uscc, "name": c.name, "role": role.zh(), "status": c.status.shown()})
            })
            .collect();
        Collision {
            payments,
            title: "对象名下有在营企业".to_owned(),
            detail: format!("系在营企业{}", listed.join("、")),
            references,
            values: vec![("companies", shown.into())],
            threshold: json!({
                "funds": welfare::fund_names(&self.params.funds),
                "include_shareholders": self.params.include_shareholders,
                "company_status": "存续、在营、开业、在册、迁入、迁出",
            }),
        }
        .finding(&self.meta)
    }
}

impl Rule for WelfareCompany {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let funds = Some(self.funds.as_slice());
        if data.companies.is_empty() {
            return welfare::not_judged(&self.meta, &data.welfare_payments, funds);
        }
        let people = self.index(data);
        let found = welfare::collide(&data.welfare_payments, funds, |id, _| {
            people.contains(id).then_some(())
        });
        welfare::report(&self.meta, found, |group| {
            self.finding(data, &people, group)
        })
    }
}
