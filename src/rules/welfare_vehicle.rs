//! `welfare_vehicle` (低保对象名下有车辆): a recipient of a means-tested fund owns a vehicle
//! registered on or before the day the payment was made.
//!
//! Only vehicles registered by the payment date count: a car bought after the payment
//! says nothing about the household's means when it was paid. The vehicle registry has
//! no deregistration date, so a vehicle once registered counts from then on.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::index::{IdIndex, id_key};
use super::support::compared;
use super::welfare::{self, Collision};
use super::{CheckParams, Data, Finding, Rule, RuleMeta, RuleReport};
use crate::import::DatasetKind;
use crate::import::rows::VehicleRow;
use crate::import::value::Fund;

/// `[rules.welfare_vehicle.params]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The means-tested funds whose recipients may not own a vehicle (e.g. "dibao").
    pub funds: Vec<String>,
}

impl CheckParams for Params {
    fn check(&self) -> Result<(), String> {
        welfare::check_funds(&self.funds)
    }
}

/// The rule, built from its catalogue entry.
pub struct WelfareVehicle {
    meta: RuleMeta,
    params: Params,
    funds: Vec<Fund>,
}

impl WelfareVehicle {
    pub fn new(meta: RuleMeta, params: Params) -> WelfareVehicle {
        let funds = welfare::parse_funds(&params.funds);
        WelfareVehicle {
            meta,
            params,
            funds,
        }
    }

    fn finding(
        &self,
        data: &Data,
        owners: &IdIndex<usize>,
        group: &[(usize, ())],
    ) -> Option<Finding> {
        let payments = welfare::rows(&data.welfare_payments, group);
        let first = *payments.first()?;
        let last_paid = payments.iter().map(|p| p.paid_on).max()?;
        let vehicles: Vec<&VehicleRow> = owners
            .get(id_key(&first.recipient_id))
            .iter()
            .filter_map(|&i| data.vehicles.get(i))
            .filter(|v| v.registered_on <= last_paid)
            .collect();
        let listed: Vec<String> = vehicles
            .iter()
            .map(|v| format!("{}（{}登记）", v.plate, v.registered_on))
            .collect();
        let references = vehicles
            .iter()
            .map(|v| compared(DatasetKind::Vehicles, v.plate.as_str(), v.source_row))
            .collect();
        let shown: Vec<Value> = vehicles
            .iter()
            .map(|v| json!({"plate": v.plate.as_str(), "registered_on": v.registered_on}))
            .collect();
        Collision {
            payments,
            title: "对象名下有车辆".to_owned(),
            detail: format!("发放时名下有车辆{}", listed.join("、")),
            references,
            values: vec![("vehicles", shown.into())],
            threshold: json!({
                "funds": welfare::fund_names(&self.params.funds),
                "vehicle_registered": "不晚于发放日期",
            }),
        }
        .finding(&self.meta)
    }
}

impl Rule for WelfareVehicle {
    fn code(&self) -> &str {
        &self.meta.code
    }

    fn run(&self, data: &Data) -> RuleReport {
        let funds = Some(self.funds.as_slice());
        if data.vehicles.is_empty() {
            return welfare::not_judged(&self.meta, &data.welfare_payments, funds);
        }
        let pairs = data.vehicles.iter().enumerate();
        let owners = IdIndex::build(pairs.map(|(i, v)| (id_key(&v.owner_id), i)).collect());
        let found = welfare::collide(&data.welfare_payments, funds, |id, payment| {
            owners
                .get(id)
                .iter()
                .filter_map(|&i| data.vehicles.get(i))
                .any(|v| v.registered_on <= payment.paid_on)
                .then_some(())
        });
        welfare::report(&self.meta, found, |group| {
            self.finding(data, &owners, group)
        })
    }
}
