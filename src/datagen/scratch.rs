use crate::store::Store;
use crate::store::bench_baseline::*;

#[tokio::test]
async fn scratch() {
    let store = Store::connect("mem://").await.unwrap();
    let mut data = BaselineData::default();
    for i in 0..2000 {
        data.welfare.push(BlWelfare {
            fund: "dibao".into(),
            period: "2026-01".into(),
            recipient_id: format!("P{i}"),
            village_code: "V".into(),
            paid_day: 10,
        });
    }
    for i in 0..300 {
        data.vehicles.push(BlVehicle {
            owner_id: format!("P{}", i * 7),
            registered_day: 5,
        });
    }
    data.companies.push(BlCompany {
        legal_rep_id: "P1".into(),
        shareholder_ids: vec!["P2".into(), "P3".into()],
        active: true,
    });
    data.companies.push(BlCompany {
        legal_rep_id: "P4".into(),
        shareholder_ids: vec![],
        active: true,
    });
    store.bench_baseline_load(data).await.unwrap();
    for q in [
        "SELECT VALUE { LET $o = $this.owner_id; RETURN (SELECT fund FROM bl_welfare WHERE recipient_id = $o EXPLAIN); } FROM bl_vehicles LIMIT 1",
        "SELECT VALUE (SELECT fund FROM bl_welfare WHERE recipient_id = $parent.owner_id) FROM bl_vehicles LIMIT 3",
        "SELECT VALUE { LET $o = $this.owner_id; RETURN (SELECT fund FROM bl_welfare WHERE recipient_id = $o); } FROM bl_vehicles LIMIT 3",
        "SELECT shareholder_ids FROM bl_companies WHERE active SPLIT shareholder_ids",
        "SELECT * FROM (SELECT shareholder_ids AS person_id FROM bl_companies WHERE active) SPLIT person_id",
        "SELECT * FROM (SELECT legal_rep_id AS person_id FROM bl_companies WHERE active), (SELECT * FROM (SELECT shareholder_ids AS person_id FROM bl_companies WHERE active) SPLIT person_id)",
    ] {
        println!("{q}\n{}", store.scratch_raw(q).await);
    }
    let t = std::time::Instant::now();
    println!("{}", store.scratch_raw("SELECT count() FROM (SELECT VALUE { LET $o = $this.owner_id; RETURN (SELECT fund FROM bl_welfare WHERE recipient_id = $o); } FROM bl_vehicles) GROUP ALL").await);
    println!("{:?}", t.elapsed());
}
