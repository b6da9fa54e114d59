//! The connector against the mock bank, started in-process on an ephemeral port.

use super::{build, connector, ctx, debtor, settings, source_id, SOURCE};
use crate::domain::{
    AccountStatus, Asset, AssetDetail, AssetKind, AssetRef, DepositAccount, DepositType, Fen,
};
use crate::{Capability, ErrorClass, QueryAnswer};
use assethub_mocks::bank::{self, Settings};
use assethub_mocks::population::{
    Wealth, DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_mocks::{AgencyConfig, FamilySettings, Population, RunningAgency};
use std::sync::Arc;
use std::time::Duration;

const SEED: u64 = 20_241_116;

async fn start_mock(settings: Settings) -> (RunningAgency, Arc<Population>) {
    let population = Arc::new(Population::generate(SEED, 200));
    let config = AgencyConfig {
        name: SOURCE.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Bank(settings),
    };
    let agency = assethub_mocks::server::start(&config, population.clone())
        .await
        .expect("mock bank starts");
    (agency, population)
}

fn deposits(answer: QueryAnswer) -> Vec<Asset> {
    match answer {
        QueryAnswer::Found(assets) => assets,
        other => panic!("expected Found, got {other:?}"),
    }
}

/// Checks every reported account against what the mock bank really holds, field by field.
fn assert_matches_the_bank(assets: &[Asset], population: &Population, id_number: &str) {
    let held = bank::holdings(SOURCE, &Settings::demo(0), population, id_number)
        .expect("the bank knows the debtor");
    assert_eq!(assets.len(), held.accounts.len());
    for (asset, account) in assets.iter().zip(&held.accounts) {
        assert_eq!(
            asset.asset_ref,
            AssetRef::new(&source_id(), &account.acct_no)
        );
        let expected = DepositAccount {
            account_number: account.acct_no.clone(),
            deposit_type: match account.acct_type {
                bank::AccountType::Demand => DepositType::Demand,
                bank::AccountType::Time => DepositType::Time,
            },
            currency: account.currency.to_string(),
            balance: Fen(account.balance),
            frozen: Fen(account.frozen),
            status: match account.status {
                bank::AccountStatus::Normal => AccountStatus::Normal,
                bank::AccountStatus::Frozen => AccountStatus::Frozen,
                bank::AccountStatus::Dormant => AccountStatus::Dormant,
                bank::AccountStatus::Closed => AccountStatus::Closed,
            },
            branch: account.branch.clone(),
        };
        assert_eq!(asset.detail, AssetDetail::Deposit(expected));
    }
}

#[tokio::test]
async fn finds_the_demo_person_with_exact_amounts() {
    let (agency, population) = start_mock(Settings::demo(0)).await;
    let connector = connector(&agency.base_url());
    assert_eq!(connector.kind(), AssetKind::BANK);
    assert_eq!(connector.connector_type(), "bank");
    assert!(connector.capabilities().contains(&Capability::Query));
    let answer = connector
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect("answer");
    let assets = deposits(answer);
    assert!(!assets.is_empty(), "the demo person banks here");
    assert_matches_the_bank(&assets, &population, DEMO_PERSON_ID);
    // Exactness is meaningful: some amounts carry fen, not just whole yuan.
    assert!(assets.iter().any(|a| matches!(
        &a.detail,
        AssetDetail::Deposit(d) if d.balance.0 % 100 != 0
    )));
    assert_eq!(agency.knobs.inquiries(), 1);
}

#[tokio::test]
async fn finds_the_demo_company_with_larger_corporate_accounts() {
    let (agency, population) = start_mock(Settings::demo(0)).await;
    let answer = connector(&agency.base_url())
        .query(&ctx(), &debtor(DEMO_COMPANY_ID, DEMO_COMPANY_NAME))
        .await
        .expect("answer");
    let assets = deposits(answer);
    assert!(!assets.is_empty());
    assert_matches_the_bank(&assets, &population, DEMO_COMPANY_ID);
}

#[tokio::test]
async fn a_debtor_without_wealth_is_found_with_nothing() {
    let (agency, population) = start_mock(Settings::demo(0)).await;
    let poor = population
        .debtors()
        .iter()
        .find(|d| d.wealth == Wealth::None)
        .expect("someone owns nothing");
    let answer = connector(&agency.base_url())
        .query(&ctx(), &debtor(&poor.id_number, &poor.name))
        .await
        .expect("answer");
    assert_eq!(answer, QueryAnswer::Found(vec![]));
}

#[tokio::test]
async fn unknown_debtor_and_wrong_name_are_answers() {
    let (agency, _) = start_mock(Settings::demo(0)).await;
    let connector = connector(&agency.base_url());
    let stranger = connector
        .query(&ctx(), &debtor("110105198001010016", "李四"))
        .await
        .expect("answer");
    assert_eq!(stranger, QueryAnswer::NotFound);
    let wrong_name = connector
        .query(&ctx(), &debtor(DEMO_PERSON_ID, "王五"))
        .await
        .expect("answer");
    assert_eq!(wrong_name, QueryAnswer::NameMismatch);
}

#[tokio::test]
async fn wrong_credentials_are_auth_errors() {
    let (agency, _) = start_mock(Settings::demo(0)).await;
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    for (key, secret, code) in [
        ("ht-demo-key", "gx-demo-secret", "AUTH001"),
        ("gx-demo-key", "ht-demo-secret", "AUTH002"),
    ] {
        let connector =
            build(source_id(), settings(&agency.base_url(), key, secret)).expect("builds");
        let error = connector.query(&ctx(), &person).await.expect_err("refused");
        assert_eq!(error.class, ErrorClass::Auth, "{error}");
        assert!(!error.is_retryable());
        assert!(error.message.contains(code), "{error}");
    }
    assert_eq!(agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn an_injected_503_is_a_retryable_server_error() {
    let (agency, _) = start_mock(Settings::demo(0)).await;
    let connector = connector(&agency.base_url());
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    agency.knobs.fail_next(1);
    let error = connector.query(&ctx(), &person).await.expect_err("503");
    assert_eq!(error.class, ErrorClass::Server, "{error}");
    assert!(error.is_retryable());
    // The next attempt is signed afresh and succeeds.
    assert!(matches!(
        connector.query(&ctx(), &person).await,
        Ok(QueryAnswer::Found(_))
    ));
}

#[tokio::test]
async fn the_banks_busy_code_is_a_retryable_server_error() {
    let busy = Settings {
        max_in_flight: Some(0),
        ..Settings::demo(0)
    };
    let (agency, _) = start_mock(busy).await;
    let error = connector(&agency.base_url())
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect_err("busy");
    assert_eq!(error.class, ErrorClass::Server, "{error}");
    assert!(error.is_retryable());
    assert!(error.message.contains("SYS9999"), "{error}");
}

#[tokio::test]
async fn a_slow_bank_times_out() {
    let (agency, _) = start_mock(Settings::demo(0)).await;
    agency
        .knobs
        .set_latency(Duration::from_millis(500), Duration::ZERO);
    let mut table = settings(&agency.base_url(), "gx-demo-key", "gx-demo-secret");
    table.insert("timeout_ms".into(), toml::Value::Integer(100));
    let error = build(source_id(), table)
        .expect("builds")
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect_err("too slow");
    assert_eq!(error.class, ErrorClass::Timeout, "{error}");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let error = connector(&format!("http://{addr}"))
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect_err("nobody listens");
    assert_eq!(error.class, ErrorClass::Connect, "{error}");
    assert!(error.is_retryable());
}
