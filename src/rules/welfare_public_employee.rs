//! `welfare_public_employee` (公职人员领取低保): a recipient of a means-tested fund is a
//! public employee, whose salary alone puts the household above the line.
//!
//! The public-employee registry has no start or end dates, so the rule judges against
//! the registry as imported.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::index::{IdIndex, id_key};
use super::support::compared;
use super::welfare::{self, Collision};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::value::Fund;

/// `[rules.welfare_public_employee.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The means-tested funds public employees may not receive.
    pub funds: Vec<String>,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        welfare::check_funds(&self.funds)
    }
}

/// The rule, built from its catalogue entry.
pub struct WelfarePublicEmployee {
    meta: RuleMeta,
    params: Params,
    funds: Vec<Fund>,
}

impl WelfarePublicEmployee {
    pub fn new(meta: RuleMeta, params: Params) -> WelfarePublicEmployee {
        let funds = welfare::parse_funds(&params.funds);
        WelfarePublicEmployee {
            meta,
            params,
            funds,
        }
    }

    fn finding(
        &self,
        data: &Data,
        employees: &IdIndex<usize>,
        group: &[(usize, ())],
    ) -> Option<Finding> {
        let payments = welfare::rows(&data.welfare_payments, group);
        let first = *payments.first()?;
        let rows: Vec<_> = employees
            .get(id_key(&first.recipient_id))
            .iter()
            .filter_map(|&i| data.public_employees.get(i))
            .collect();
        let employers: Vec<&str> = rows.iter().map(|e| e.employer.as_str()).collect();
        let references = rows
            .iter()
            .map(|e| {
                let key = e.person_id.masked();
                compared(DatasetKind::PublicEmployees, key, e.source_row)
            })
            .collect();
        let shown: Vec<Value> = employers.iter().map(|e| json!({"employer": e})).collect();
        Collision {
            payments,
            title: "对象为公职人员".to_owned(),
            detail: format!("系公职人员（{}）", employers.join("、")),
            references,
            values: vec![("public_employee", shown.into())],
            threshold: json!({"funds": welfare::fund_names(&self.params.funds)}),
        }
        .finding(&self.meta)
    }
}

impl Rule for WelfarePublicEmployee {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let funds = Some(self.funds.as_slice());
        if data.public_employees.is_empty() {
            return welfare::not_judged(&self.meta, &data.welfare_payments, funds);
        }
        let pairs = data.public_employees.iter().enumerate();
        let employees = IdIndex::build(pairs.map(|(i, e)| (id_key(&e.person_id), i)).collect());
        let found = welfare::collide(&data.welfare_payments, funds, |id, _| {
            employees.contains(id).then_some(())
        });
        welfare::report(&self.meta, found, |group| {
            self.finding(data, &employees, group)
        })
    }
}
