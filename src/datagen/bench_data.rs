//! The columns of the in-memory datasets the SurrealQL baseline reads, copied into the
//! store's plain baseline rows (dates as day numbers, funds by their canonical names).

use chrono::{Datelike, NaiveDate};

use crate::domain::resident_id::ResidentId;
use crate::import::rows::{CompanyRow, WelfarePaymentRow};
use crate::rules::Data;
use crate::store::bench_baseline::{
    BaselineData, BlCadre, BlCompany, BlDeath, BlPerson, BlRelative, BlVehicle, BlWelfare,
};

/// A date as a day number, so that the baseline compares integers.
fn day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce())
}

/// The baseline's tables, from the datasets as the rules see them.
pub(super) fn baseline_data(data: &Data) -> BaselineData {
    BaselineData {
        welfare: data.welfare_payments.iter().map(welfare).collect(),
        vehicles: data
            .vehicles
            .iter()
            .map(|v| BlVehicle {
                owner_id: text(&v.owner_id),
                registered_day: day(v.registered_on),
            })
            .collect(),
        companies: data.companies.iter().map(company).collect(),
        employees: data
            .public_employees
            .iter()
            .map(|e| BlPerson {
                person_id: text(&e.person_id),
            })
            .collect(),
        cadres: data
            .cadres
            .iter()
            .map(|c| BlCadre {
                person_id: text(&c.person_id),
                village_code: c.village_code.to_string(),
            })
            .collect(),
        relatives: data
            .relatives
            .iter()
            .map(|r| BlRelative {
                person_id: text(&r.person_id),
                relative_id: text(&r.relative_id),
            })
            .collect(),
        deaths: data
            .deaths
            .iter()
            .map(|d| BlDeath {
                person_id: text(&d.person_id),
                died_day: day(d.died_on),
            })
            .collect(),
    }
}

fn text(id: &ResidentId) -> String {
    id.as_str().to_owned()
}

fn welfare(p: &WelfarePaymentRow) -> BlWelfare {
    BlWelfare {
        fund: p.fund.as_str().to_owned(),
        period: p.period.to_string(),
        recipient_id: text(&p.recipient_id),
        village_code: p.village_code.to_string(),
        paid_day: day(p.paid_on),
    }
}

fn company(c: &CompanyRow) -> BlCompany {
    BlCompany {
        legal_rep_id: text(&c.legal_rep_id),
        shareholder_ids: c.shareholder_ids.iter().map(text).collect(),
        active: c.status.is_active(),
    }
}
