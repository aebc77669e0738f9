//! The demo district, on any region tree: users from the file beside the tree (or, for the
//! demo city, `seeds/demo-users.csv`), datasets generated for the tree's villages with
//! anomalies planted and scanned, and a spread of warnings in every state, raised and moved
//! through the real engine so the log is genuine. Seeding runs once: a store that already
//! holds events is left alone.

mod past;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::auth::{Actor, Role, hash_password};
use crate::domain::region::{Level, RegionCode};
use crate::engine::{Engine, NewWarning};
use crate::import::DatasetKind;
use crate::import::service::import_files;
use crate::regions::RegionTree;
use crate::rules::catalogue::Catalogue;
use crate::scan::run_scan;
use crate::store::UserRecord;
use crate::workflow::{Command, Severity};
pub use past::{PAST_DAYS, PastReport, live_through_past};

/// Clues a town office might raise by hand, with the subject they concern.
const CLUES: [(&str, &str, Severity); 8] = [
    (
        "承包款逾期未缴",
        "鱼塘承包合同 HT-2026-017 承包款逾期 70 天",
        Severity::High,
    ),
    (
        "村级支出先付款后审批",
        "村级支出 ZC-2026-112 付款日期早于审批日期",
        Severity::High,
    ),
    (
        "工程该招未招",
        "村道硬化工程预算 62 万元，未经招标直接发包",
        Severity::Medium,
    ),
    (
        "三务公开不到位",
        "2026 年三季度财务收支未在 15 日内公开",
        Severity::Low,
    ),
    (
        "资产发包超限",
        "集体厂房租期 25 年，超过村规定上限 20 年",
        Severity::Medium,
    ),
    (
        "低保对象名下有车辆",
        "信访反映低保户家庭成员名下登记小型汽车",
        Severity::High,
    ),
    (
        "惠民资金重复发放",
        "2026-09 残疾人补贴同一人发放两次",
        Severity::Medium,
    ),
    (
        "村干部亲属享受低保",
        "群众举报村委委员亲属纳入低保",
        Severity::High,
    ),
];

/// The demo users of a tree: `NAME.users.csv` beside its file `NAME.csv` if there is one
/// (`seeds/real/qixian-410221.users.csv` for 杞县), else the demo city's.
pub fn users_file(tree_file: Option<&Path>) -> PathBuf {
    tree_file
        .map(|file| file.with_extension("users.csv"))
        .filter(|beside| beside.is_file())
        .unwrap_or_else(|| crate::home::shipped("seeds/demo-users.csv"))
}

/// Reads and hashes the demo users. Errors name the row.
pub fn load_users(path: &Path, regions: &RegionTree) -> anyhow::Result<Vec<UserRecord>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut users = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let row = index + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [username, password, role, region, display_name] = fields[..] else {
            bail!(
                "{} row {row}: expected 5 columns (username,password,role,region,display_name)",
                path.display()
            );
        };
        let user = new_user(username, password, role, region, display_name, regions)
            .with_context(|| format!("{} row {row}", path.display()))?;
        users.push(user);
    }
    Ok(users)
}

/// Checks a user's role and region and hashes the password: what `users add` and the demo
/// seed both store.
pub fn new_user(
    username: &str,
    password: &str,
    role: &str,
    region: &str,
    display_name: &str,
    regions: &RegionTree,
) -> anyhow::Result<UserRecord> {
    let role = Role::parse(role)?;
    let code = RegionCode::parse(region)?;
    if regions.get(&code).is_none() {
        bail!("region {code} is not in the region tree");
    }
    Actor::new(username, role, code)?;
    Ok(UserRecord {
        username: username.to_string(),
        password_hash: hash_password(password)?,
        role: role.as_str().to_string(),
        region: code.as_str().to_string(),
        display_name: display_name.to_string(),
    })
}

/// Seeds the demo users and warnings unless the store already has events.
pub async fn seed(engine: &Engine, catalogue: &Catalogue, users: &Path) -> anyhow::Result<()> {
    let users = load_users(users, engine.regions())?;
    for user in &users {
        if engine.store().get_user(&user.username).await?.is_none() {
            engine.store().put_user(user).await?;
        }
    }
    if engine.store().head_position().await? > 0 {
        tracing::info!("the store already holds events; demo warnings not seeded again");
        return Ok(());
    }
    import_demo_datasets(engine, catalogue).await?;
    let root = engine.regions().root().code;
    let office = Actor::new("jiwei", Role::CityOffice, root)?;
    let villages: Vec<RegionCode> = engine.regions().villages().map(|r| r.code).collect();
    for (i, village) in villages.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let (title, subject, severity) = CLUES[i % CLUES.len()];
        let new = NewWarning {
            region: *village,
            title: title.to_string(),
            severity,
            subject: subject.to_string(),
        };
        let outcome = engine.raise(&office, new, None).await?;
        advance(engine, &office, &outcome.warning.id, i % 6).await?;
    }
    tracing::info!(villages = villages.len(), "demo district seeded");
    Ok(())
}

/// Imports the demo datasets generated for the tree's villages with planted anomalies (for
/// the demo city exactly the files of `seeds/demo/`, see its README) and scans, so the demo
/// starts with the warnings the rules raise.
async fn import_demo_datasets(engine: &Engine, catalogue: &Catalogue) -> anyhow::Result<()> {
    let generated = crate::datagen::generate(&crate::datagen::demo::config(engine.regions()));
    for kind in DatasetKind::ALL {
        let name = format!("{}.csv", kind.as_str());
        let bytes = generated.file(kind).as_bytes().to_vec();
        import_files(
            engine.store(),
            engine.regions(),
            kind,
            &[(name.clone(), bytes)],
        )
        .await
        .with_context(|| format!("importing the generated {name}"))?;
    }
    let report = run_scan(engine, catalogue).await?;
    let raised: u64 = report.rules.iter().map(|r| r.raised).sum();
    tracing::info!(
        rows = report.rows,
        raised,
        "demo datasets imported and scanned"
    );
    Ok(())
}

/// Moves a demo warning `steps` steps along the lifecycle, acting as its steward.
async fn advance(engine: &Engine, office: &Actor, id: &str, steps: usize) -> anyhow::Result<()> {
    let warning = engine.warning(id).context("the warning just raised")?;
    let steward = Actor::new("demo-steward", Role::VillageSteward, warning.region)?;
    debug_assert_eq!(warning.region.level(), Level::Village);
    let script: [(&Actor, Command); 4] = [
        (
            &steward,
            Command::Acknowledge {
                note: "已收到，马上核查".into(),
            },
        ),
        (
            &steward,
            Command::StartRectification {
                note: "已约谈相关人员".into(),
            },
        ),
        (
            &steward,
            Command::SubmitRectification {
                note: "已追缴并公开，附凭证".into(),
                attachments: vec![],
            },
        ),
        (
            office,
            Command::VerifyRectification {
                note: "线下核实整改到位".into(),
            },
        ),
    ];
    for (actor, command) in script.iter().take(steps) {
        engine.execute(actor, id, command, None, None).await?;
    }
    Ok(())
}

/// Publishes the demo's welfare payments as the city office would: every month but each
/// fund's newest, which stays unpublished (so the demo shows that what is not published
/// does not appear). Done once; a store with any decision is left as it is.
pub async fn publish_demo_months(
    engine: &Engine,
    public: &crate::public::PublicSite,
) -> anyhow::Result<()> {
    let store = engine.store();
    if !store.publications().await?.is_empty() {
        return Ok(());
    }
    public.rebuild(store, &engine.shared_regions()).await?;
    let (ledger, _) = public.current();
    let months: Vec<_> = ledger.months().keys().cloned().collect();
    // The months come in (fund, period) order, so each fund's last one is its newest.
    let newest: std::collections::HashMap<_, _> = months.iter().cloned().collect();
    let now = engine.now();
    let mut published = 0;
    for month in months
        .iter()
        .filter(|(fund, period)| newest.get(fund) != Some(period))
    {
        let record = crate::public::decide(&ledger, month, true, "jiwei", now)?;
        store.put_publication(&record).await?;
        let entry = crate::audit::AuditEntry::new(
            now,
            "jiwei",
            crate::audit::AuditAction::Publish,
            &format!("{} {}", record.fund, record.period),
        )
        .with_detail(&format!(
            "demo: {} payments, {} fen",
            record.payments, record.total_fen
        ));
        crate::audit::record(store, entry).await;
        published += 1;
    }
    tracing::info!(published, "demo welfare months published");
    Ok(())
}
