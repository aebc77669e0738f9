//! The SurrealQL baseline of the scan benchmark: the six welfare collisions written as
//! SurrealQL queries over plain structured tables, to compare with the rules' in-memory
//! passes in the same run.
//!
//! The imported datasets hold their rows as JSON text in hash-bucket records (see
//! `datasets.rs`), which SurrealQL cannot join on, so
//! [`Store::bench_baseline_load`] first copies the columns the collisions need into
//! `bl_*` tables with typed fields (dates as day numbers) and indexes every join column.
//! That copy is not timed. Each query then starts from the smaller registry and looks the
//! welfare payments up through the index on `recipient_id`, the plan a database
//! engineer would write; only the duplicate check, which has no registry, groups the
//! whole payments table.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use surrealdb::types::{QueryError, SurrealValue};

use super::{Store, StoreError};

/// Rows per insert transaction of the untimed copy.
const ROWS_PER_COMMIT: usize = 5_000;

#[derive(Clone, Debug, SurrealValue)]
pub struct BlWelfare {
    pub fund: String,
    pub period: String,
    pub recipient_id: String,
    pub village_code: String,
    pub paid_day: i64,
}

#[derive(Clone, Debug, SurrealValue)]
pub struct BlVehicle {
    pub owner_id: String,
    pub registered_day: i64,
}

#[derive(Clone, Debug, SurrealValue)]
pub struct BlCompany {
    pub legal_rep_id: String,
    pub shareholder_ids: Vec<String>,
    pub active: bool,
}

#[derive(Clone, Debug, SurrealValue)]
pub struct BlPerson {
    pub person_id: String,
}

#[derive(Clone, Debug, SurrealValue)]
pub struct BlCadre {
    pub person_id: String,
    pub village_code: String,
}

#[derive(Clone, Debug, SurrealValue)]
pub struct BlRelative {
    pub person_id: String,
    pub relative_id: String,
}

#[derive(Clone, Debug, SurrealValue)]
pub struct BlDeath {
    pub person_id: String,
    pub died_day: i64,
}

/// The columns the six collisions read, one vector per table.
#[derive(Clone, Debug, Default)]
pub struct BaselineData {
    pub welfare: Vec<BlWelfare>,
    pub vehicles: Vec<BlVehicle>,
    pub companies: Vec<BlCompany>,
    pub employees: Vec<BlPerson>,
    pub cadres: Vec<BlCadre>,
    pub relatives: Vec<BlRelative>,
    pub deaths: Vec<BlDeath>,
}

/// The six welfare collisions, by rule code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collision {
    Vehicle,
    Company,
    PublicEmployee,
    CadreRelative,
    Deceased,
    Duplicate,
}

impl Collision {
    pub const ALL: [Collision; 6] = [
        Collision::Vehicle,
        Collision::Company,
        Collision::PublicEmployee,
        Collision::CadreRelative,
        Collision::Deceased,
        Collision::Duplicate,
    ];

    /// The rule the query stands in for.
    pub fn rule(self) -> &'static str {
        match self {
            Collision::Vehicle => "welfare_vehicle",
            Collision::Company => "welfare_company",
            Collision::PublicEmployee => "welfare_public_employee",
            Collision::CadreRelative => "welfare_cadre_relative",
            Collision::Deceased => "welfare_deceased",
            Collision::Duplicate => "welfare_duplicate",
        }
    }

    /// The query's statements. `$funds` are the checked funds, `$exempt` the duplicate
    /// check's exempt funds, `$grace` the days after a death still allowed,
    /// `$shareholders` whether shareholders count. Each statement returns one array of
    /// `{fund, period, recipient_id}` objects per registry row.
    fn statements(self) -> &'static [&'static str] {
        // A registry value is bound with LET before the payments are looked up: the
        // planner uses the `recipient_id` index for a variable, not for `$parent.field`
        // (a full table scan per registry row, a hundred times slower).
        match self {
            Collision::Vehicle => &[
                "SELECT VALUE { LET $id = $this.owner_id; LET $day = $this.registered_day; \
                   RETURN (SELECT fund, period, recipient_id FROM bl_welfare \
                     WHERE recipient_id = $id AND fund IN $funds AND paid_day >= $day); } \
                 FROM bl_vehicles",
            ],
            Collision::Company => &["SELECT VALUE { LET $id = $this.person_id; \
                   RETURN (SELECT fund, period, recipient_id FROM bl_welfare \
                     WHERE recipient_id = $id AND fund IN $funds); } \
                 FROM (SELECT legal_rep_id AS person_id FROM bl_companies WHERE active), \
                   (SELECT * FROM (SELECT shareholder_ids AS person_id FROM bl_companies \
                     WHERE active AND $shareholders) SPLIT person_id)"],
            Collision::PublicEmployee => &["SELECT VALUE { LET $id = $this.person_id; \
                   RETURN (SELECT fund, period, recipient_id FROM bl_welfare \
                     WHERE recipient_id = $id AND fund IN $funds); } \
                 FROM bl_employees"],
            Collision::CadreRelative => &[
                "SELECT VALUE { LET $id = $this.person_id; \
                   RETURN (SELECT fund, period, recipient_id FROM bl_welfare \
                     WHERE recipient_id = $id AND fund IN $funds); } \
                 FROM bl_cadres",
                "SELECT VALUE { LET $id = $this.kin; LET $villages = $this.villages; \
                   RETURN (SELECT fund, period, recipient_id FROM bl_welfare \
                     WHERE recipient_id = $id AND fund IN $funds AND village_code IN $villages); } \
                 FROM (SELECT person_id AS kin, { LET $other = $this.relative_id; \
                         RETURN (SELECT VALUE village_code FROM bl_cadres \
                           WHERE person_id = $other); } AS villages FROM bl_relatives), \
                      (SELECT relative_id AS kin, { LET $other = $this.person_id; \
                         RETURN (SELECT VALUE village_code FROM bl_cadres \
                           WHERE person_id = $other); } AS villages FROM bl_relatives)",
            ],
            Collision::Deceased => &[
                "SELECT VALUE { LET $id = $this.person_id; LET $day = $this.died_day + $grace; \
                   RETURN (SELECT fund, period, recipient_id FROM bl_welfare \
                     WHERE recipient_id = $id AND paid_day > $day); } \
                 FROM bl_deaths",
            ],
            Collision::Duplicate => &[
                "SELECT VALUE [{fund: fund, period: period, recipient_id: recipient_id}] \
                 FROM (SELECT fund, period, recipient_id, count() AS n FROM bl_welfare \
                   WHERE fund NOT IN $exempt GROUP BY fund, period, recipient_id) \
                 WHERE n > 1",
            ],
        }
    }
}

/// The parameters the catalogue gives the six rules.
#[derive(Clone, Debug, Default)]
pub struct CollisionParams {
    pub funds: Vec<String>,
    pub include_shareholders: bool,
    pub grace_days: i64,
    pub exempt_funds: Vec<String>,
}

/// What one baseline query found, and how long it took.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineRun {
    /// `welfare:<fund>:<period>:<recipient>`, as the rules key their findings.
    pub subjects: BTreeSet<String>,
    pub seconds: f64,
    /// The query hit its timeout; `seconds` is then a lower bound.
    pub timed_out: bool,
}

#[derive(Debug, SurrealValue)]
struct SubjectRow {
    fund: String,
    period: String,
    recipient_id: String,
}

const SCHEMA: &str = "
    DEFINE TABLE IF NOT EXISTS bl_welfare SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS bl_welfare_recipient ON bl_welfare FIELDS recipient_id;
    DEFINE TABLE IF NOT EXISTS bl_vehicles SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS bl_vehicles_owner ON bl_vehicles FIELDS owner_id;
    DEFINE TABLE IF NOT EXISTS bl_companies SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS bl_companies_rep ON bl_companies FIELDS legal_rep_id;
    DEFINE TABLE IF NOT EXISTS bl_employees SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS bl_employees_person ON bl_employees FIELDS person_id;
    DEFINE TABLE IF NOT EXISTS bl_cadres SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS bl_cadres_person ON bl_cadres FIELDS person_id;
    DEFINE TABLE IF NOT EXISTS bl_relatives SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS bl_relatives_person ON bl_relatives FIELDS person_id;
    DEFINE INDEX IF NOT EXISTS bl_relatives_relative ON bl_relatives FIELDS relative_id;
    DEFINE TABLE IF NOT EXISTS bl_deaths SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS bl_deaths_person ON bl_deaths FIELDS person_id;
";

impl Store {
    /// Copies the baseline's columns into the indexed `bl_*` tables (benchmarks only).
    pub async fn bench_baseline_load(&self, data: BaselineData) -> Result<(), StoreError> {
        let mut response = self.db.query(SCHEMA).await?;
        if let Some(error) = super::first_error(&mut response) {
            return Err(error);
        }
        self.bench_insert("bl_welfare", data.welfare).await?;
        self.bench_insert("bl_vehicles", data.vehicles).await?;
        self.bench_insert("bl_companies", data.companies).await?;
        self.bench_insert("bl_employees", data.employees).await?;
        self.bench_insert("bl_cadres", data.cadres).await?;
        self.bench_insert("bl_relatives", data.relatives).await?;
        self.bench_insert("bl_deaths", data.deaths).await
    }

    /// `table` is one of the fixed `bl_*` names above, never a caller's text.
    async fn bench_insert<T>(&self, table: &'static str, rows: Vec<T>) -> Result<(), StoreError>
    where
        T: SurrealValue + Clone,
    {
        for chunk in rows.chunks(ROWS_PER_COMMIT) {
            let mut response = self
                .db
                .query(format!("INSERT INTO {table} $rows RETURN NONE"))
                .bind(("rows", chunk.to_vec()))
                .await?;
            if let Some(error) = super::first_error(&mut response) {
                return Err(error);
            }
        }
        Ok(())
    }

    /// Runs one collision query, stopped after `timeout` (benchmarks only).
    pub async fn bench_baseline_collision(
        &self,
        collision: Collision,
        params: &CollisionParams,
        timeout: Duration,
    ) -> Result<BaselineRun, StoreError> {
        let statements = collision.statements();
        // The timeout is SurrealDB's own, so a stopped query stops inside the engine.
        let limit = timeout.as_millis().max(1);
        let timed: String = statements
            .iter()
            .map(|s| format!("{s} TIMEOUT {limit}ms;"))
            .collect();
        let started = Instant::now();
        let mut response = self
            .db
            .query(timed)
            .bind(("funds", params.funds.clone()))
            .bind(("exempt", params.exempt_funds.clone()))
            .bind(("grace", params.grace_days))
            .bind(("shareholders", params.include_shareholders))
            .await?;
        let mut subjects = BTreeSet::new();
        let errors = response.take_errors();
        let stopped =
            |e: &surrealdb::Error| matches!(e.query_details(), Some(QueryError::TimedOut { .. }));
        if errors.values().any(stopped) {
            let seconds = started.elapsed().as_secs_f64();
            return Ok(BaselineRun {
                subjects,
                seconds,
                timed_out: true,
            });
        }
        if let Some((_, error)) = errors.into_iter().min_by_key(|(i, _)| *i) {
            return Err(error.into());
        }
        for index in 0..statements.len() {
            let groups: Vec<Vec<SubjectRow>> = response.take(index)?;
            for row in groups.into_iter().flatten() {
                subjects.insert(format!(
                    "welfare:{}:{}:{}",
                    row.fund, row.period, row.recipient_id
                ));
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        Ok(BaselineRun {
            subjects,
            seconds,
            timed_out: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(people: usize) -> BaselineData {
        let welfare = (0..people).map(|i| BlWelfare {
            fund: "dibao".into(),
            period: "2026-01".into(),
            recipient_id: format!("P{i}"),
            village_code: "990102100201".into(),
            paid_day: 10,
        });
        let vehicles = (0..people).step_by(7).map(|i| BlVehicle {
            owner_id: format!("P{i}"),
            registered_day: if i.is_multiple_of(2) { 5 } else { 15 },
        });
        BaselineData {
            welfare: welfare.collect(),
            vehicles: vehicles.collect(),
            ..BaselineData::default()
        }
    }

    fn params() -> CollisionParams {
        CollisionParams {
            funds: vec!["dibao".into()],
            ..CollisionParams::default()
        }
    }

    #[tokio::test]
    async fn the_vehicle_query_finds_cars_registered_by_the_payment_day() {
        let store = Store::connect("mem://").await.unwrap();
        store.bench_baseline_load(data(30)).await.unwrap();
        let timeout = Duration::from_secs(60);
        let run = store
            .bench_baseline_collision(Collision::Vehicle, &params(), timeout)
            .await
            .unwrap();
        let expected: BTreeSet<String> = [0, 14, 28]
            .iter()
            .map(|i| format!("welfare:dibao:2026-01:P{i}"))
            .collect();
        assert_eq!((run.subjects, run.timed_out), (expected, false));
    }

    #[tokio::test]
    async fn a_query_stopped_by_its_timeout_is_reported_as_timed_out() {
        let store = Store::connect("mem://").await.unwrap();
        store.bench_baseline_load(data(3_000)).await.unwrap();
        let timeout = Duration::from_millis(1);
        let run = store
            .bench_baseline_collision(Collision::Vehicle, &params(), timeout)
            .await
            .unwrap();
        assert!(run.timed_out, "{run:?}");
    }
}
