//! The fifth kind, end to end through the hub: the securities depository written in Python
//! (`connectors/examples/csdc`) served out of process over `assethub.connector.v1`, added by
//! configuration alone — a `type = "remote"` source, its kind described by the connector. A
//! judge searches 张伟 and sees his positions by their generic detail; freezes 12,000 of his
//! 20,000 shares of 600000 by quantity; freezes a position another court holds in full and is
//! queued, then promoted when that court's freeze is lifted; releases; and then works through
//! the depository's faults (503s, 429s with Retry-After, malformed and truncated bodies,
//! resets). The ledger and the depository's register (read as the documented export format)
//! agree at the end: the crash-safety invariant checker finds nothing.
//!
//! Needs the example's Python (`ASSETHUB_CSDC_PYTHON`, its `.venv`, or `python3` with its
//! requirements). Without it the test says so and passes, unless `ASSETHUB_REQUIRE_CSDC=1`
//! (as `.ci/run` sets), which makes a missing Python a failure.

use assethub_conformance::register::RegisterExport;
use assethub_mocks::csdc::{find_python, Csdc, CsdcOptions};
use assethub_mocks::population::{DEMO_COMPANY_ID, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_proto::v1 as pb;
use assethub_tests::invariants::{check_ledger, registers, AgencyRegister};
use assethub_tests::{instruction, register_case, wait_with, Role, World, WorldOptions, COURT};
use serde_json::json;
use std::time::Duration;

/// A case of the harness court naming both debtors the depository knows.
const CASE: &str = "(2024)鄂0116执2001号";
const CLAIM_FEN: i64 = 500_000_000;
/// 张伟's 20,000 shares of 600000 浦发银行, and the company's 300 shares of 600519 贵州茅台
/// that another court (闽0102) has frozen in full.
const PUFA: &str = "csdc:A110105002-600000";
const MOUTAI: &str = "csdc:B350100001-600519";

async fn depository() -> Option<Csdc> {
    let required = std::env::var("ASSETHUB_REQUIRE_CSDC").is_ok_and(|v| v == "1");
    let python = match find_python() {
        Ok(python) => python,
        Err(why) if !required => {
            eprintln!("securities story not run: {why}");
            return None;
        }
        Err(why) => panic!("ASSETHUB_REQUIRE_CSDC=1 but {why}"),
    };
    Some(
        Csdc::start(&python, &CsdcOptions::default())
            .await
            .expect("the depository and its connector start"),
    )
}

fn company_name(world: &World) -> String {
    world
        .population
        .debtors()
        .iter()
        .find(|d| d.id_number == DEMO_COMPANY_ID)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| "福建某某贸易有限公司".into())
}

fn freeze(key: &str, asset: &str, id: &str, name: &str, quantity: u64) -> pb::PlaceHoldRequest {
    pb::PlaceHoldRequest {
        instruction: instruction(CASE, key),
        action: pb::OrderAction::Freeze as i32,
        asset_ref: asset.into(),
        debtor: Some(pb::Debtor {
            id_number: id.into(),
            name: name.into(),
        }),
        quantity,
        ..Default::default()
    }
}

fn release(key: &str, order_id: &str) -> pb::ActOnHoldRequest {
    pb::ActOnHoldRequest {
        instruction: instruction(CASE, key),
        action: pb::OrderAction::Release as i32,
        order_id: order_id.into(),
        ..Default::default()
    }
}

async fn search(world: &mut World, id: &str, name: &str) -> pb::SourceResult {
    let response = world
        .client
        .query(pb::QueryRequest {
            case_number: CASE.into(),
            debtor: Some(pb::Debtor {
                id_number: id.into(),
                name: name.into(),
            }),
            kind_names: vec!["securities".into()],
            fresh: true,
            ..Default::default()
        })
        .await
        .expect("the search answers")
        .into_inner();
    assert_eq!(response.sources.len(), 1, "only the securities source");
    response.sources[0].clone()
}

async fn post(url: String, body: serde_json::Value) {
    let status = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("the depository's admin answers")
        .status();
    assert!(status.is_success(), "{url}: {status}");
}

async fn export(csdc: &Csdc) -> RegisterExport {
    reqwest::get(format!("{}/__admin/holds", csdc.agency_url))
        .await
        .expect("the register export answers")
        .json()
        .await
        .expect("the register export reads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_securities_depository_served_out_of_process_is_searched_frozen_by_quantity_queued_and_released(
) {
    let Some(csdc) = depository().await else {
        return;
    };
    let source = csdc.source_toml("csdc");
    let mut world = World::start_with(WorldOptions {
        tweak: Box::new(move |config| {
            let table: toml::Table = toml::from_str(&source).expect("the source's TOML");
            let entry = table["sources"].as_array().expect("[[sources]]")[0].clone();
            config
                .sources
                .push(entry.try_into().expect("a source entry"));
        }),
        ..Default::default()
    })
    .await;
    let company = company_name(&world);
    let debtors = [
        (DEMO_PERSON_ID.to_string(), DEMO_PERSON_NAME.to_string()),
        (DEMO_COMPANY_ID.to_string(), company.clone()),
    ];
    register_case(
        &world.channel,
        CASE,
        &debtors,
        CLAIM_FEN,
        "HB0116-ZX-2024-2001",
    )
    .await;

    // The source lists its kind as the connector described it.
    let (mut admin, _) = world.clients_as(Role::Admin, COURT);
    let sources = admin
        .list_sources(pb::ListSourcesRequest {})
        .await
        .expect("the sources")
        .into_inner()
        .sources;
    let listed = sources
        .iter()
        .find(|s| s.id == "csdc")
        .expect("csdc listed");
    assert_eq!(listed.kind, pb::AssetKind::Unspecified as i32);
    assert_eq!(listed.kind_name, "securities");
    let info = listed.kind_info.as_ref().expect("its kind's rules");
    assert_eq!(
        (info.legal_class.as_str(), info.unit.as_str(), info.max_days),
        ("other_rights", "shares", 1095)
    );

    // A search shows the positions through their generic detail.
    let found = search(&mut world, DEMO_PERSON_ID, DEMO_PERSON_NAME).await;
    assert_eq!(found.status, pb::SourceStatus::Ok as i32, "{found:?}");
    assert_eq!(found.kind_name, "securities");
    let pufa = found
        .assets
        .iter()
        .find(|a| a.asset_ref == PUFA)
        .expect("600000 among 张伟's positions");
    assert!(pufa.detail.is_none(), "no built-in detail for securities");
    let shown = pufa.generic.as_ref().expect("a generic detail");
    assert_eq!(shown.kind_name, "securities");
    assert_eq!(shown.kind_label, "证券");
    assert!(shown.title.contains("600000"), "{shown:?}");
    assert_eq!(shown.quantity, Some(20_000));
    assert_eq!(shown.unit, "shares");
    // 20,000 shares at 10.52 yuan.
    assert_eq!(shown.value_fen, Some(20_000 * 1_052));

    // 12,000 of the 20,000 shares, frozen by quantity.
    let placed = world
        .orders
        .place_hold(freeze(
            "k-pufa",
            PUFA,
            DEMO_PERSON_ID,
            DEMO_PERSON_NAME,
            12_000,
        ))
        .await
        .expect("the freeze is placed")
        .into_inner();
    let frozen = wait_with(
        &mut world.orders,
        &placed.order_id,
        pb::OrderState::Effective,
    )
    .await;
    assert_eq!((frozen.quantity, frozen.held_quantity), (12_000, 12_000));
    assert_eq!(
        (frozen.kind_name.as_str(), frozen.unit.as_str()),
        ("securities", "shares")
    );
    assert_eq!(frozen.frozen_fen, 0, "shares, not money");

    // A position another court holds in full: queued, then in force once that court's freeze
    // is lifted at the counter.
    let found = search(&mut world, DEMO_COMPANY_ID, &company).await;
    assert!(
        found.assets.iter().any(|a| a.asset_ref == MOUTAI),
        "{found:?}"
    );
    let queued = world
        .orders
        .place_hold(freeze("k-moutai", MOUTAI, DEMO_COMPANY_ID, &company, 300))
        .await
        .expect("the freeze is placed")
        .into_inner();
    let queued = wait_with(&mut world.orders, &queued.order_id, pb::OrderState::Queued).await;
    assert_eq!(queued.queue_position, 1);
    post(
        format!("{}/__admin/holds/lift", csdc.agency_url),
        json!({"hold": "CSDC-EXT-000001"}),
    )
    .await;
    let promoted = wait_with(
        &mut world.orders,
        &queued.order_id,
        pb::OrderState::Effective,
    )
    .await;
    assert_eq!(promoted.held_quantity, 300);

    // Released through the ledger; the depository agrees.
    world
        .orders
        .act_on_hold(release("k-pufa-release", &frozen.order_id))
        .await
        .expect("the release is placed");
    wait_with(
        &mut world.orders,
        &frozen.order_id,
        pb::OrderState::Released,
    )
    .await;
    let register = export(&csdc).await;
    let hold = register
        .holds
        .iter()
        .find(|h| h.placed_by == frozen.order_id)
        .expect("the depository's hold for the freeze");
    assert_eq!(hold.status, "released");

    // The depository's faults, as in the chaos test: the hub retries with the same keys.
    post(
        format!("{}/__admin/faults", csdc.agency_url),
        json!({"seed": 20261202, "replace": true, "rules": [{
            "error_rate": 0.15, "error_status": 503,
            "throttle_rate": 0.1, "retry_after_secs": 1,
            "malformed_rate": 0.05, "truncated_rate": 0.05, "reset_rate": 0.05
        }]}),
    )
    .await;
    let mut orders = Vec::new();
    for round in 0..8u64 {
        let key = format!("k-fault-{round}");
        match world
            .orders
            .place_hold(freeze(
                &key,
                PUFA,
                DEMO_PERSON_ID,
                DEMO_PERSON_NAME,
                100 + round,
            ))
            .await
        {
            Ok(order) => orders.push(order.into_inner()),
            Err(status) => eprintln!("freeze {key} refused: {status:?}"),
        }
        let _ = search(&mut world, DEMO_PERSON_ID, DEMO_PERSON_NAME).await;
        if let Some(last) = orders.last() {
            let _ = world
                .orders
                .act_on_hold(release(&format!("{key}-release"), &last.order_id))
                .await;
        }
    }
    let faults: serde_json::Value = reqwest::get(format!("{}/__admin/faults", csdc.agency_url))
        .await
        .expect("the faults view")
        .json()
        .await
        .expect("the faults view reads");
    let injected = faults["injected"]["total"].as_u64().unwrap_or(0);
    eprintln!("faults injected at the depository: {}", faults["injected"]);
    assert!(injected > 0, "the faults were injected: {faults}");
    reqwest::Client::new()
        .delete(format!("{}/__admin/faults", csdc.agency_url))
        .send()
        .await
        .expect("the faults are cleared");
    // Let the follow-ups settle what the faults left open.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut all = registers(&world.agencies);
    all.push(AgencyRegister {
        source: "csdc".into(),
        export: export(&csdc).await,
    });
    let url = world.config.ledger.url.clone();
    let report = check_ledger(&url, &all).await.expect("the ledger reads");
    assert!(
        report.mismatches.is_empty(),
        "ledger and depository disagree: {:#?}",
        report.mismatches
    );
    eprintln!(
        "ledger {} orders {:?}; depository holds {:?}",
        report.orders, report.by_state, report.holds_by_status
    );
    assert!(report.orders >= 4, "{report:?}");
}
