//! The vehicle connector against the mock administration (in process, ephemeral port) and
//! against canned broken answers: found / not found / name mismatch, exact conversions checked
//! against the administration's own records, error classes, and configuration errors.

use super::build;
use super::config::QUERY_PATH;
use super::convert::{iso_date, status_text, vin_check_digit_ok};
use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::domain::{AssetDetail, CaseNumber, Debtor, DebtorId, EncumbranceKind, SourceId};
use crate::error::ErrorClass;
use assethub_mocks::population::{
    Wealth, DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_mocks::server::RunningAgency;
use assethub_mocks::vehicle::{data, Settings};
use assethub_mocks::{AgencyConfig, FamilySettings, Population};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SOURCE: &str = "vehicle-hubei";
const KEY: &str = "hb-vehicle-demo";
const SECRET: &str = "hb-vehicle-secret";
const SEED: u64 = 20_241_116;

struct Fixture {
    agency: RunningAgency,
    population: Arc<Population>,
    connector: Arc<dyn Connector>,
}

async fn fixture() -> Fixture {
    let population = Arc::new(Population::generate(SEED, 200));
    let config = AgencyConfig {
        name: SOURCE.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Vehicle(Settings::demo(0)),
    };
    let agency = assethub_mocks::server::start(&config, population.clone())
        .await
        .expect("mock administration starts");
    let connector = connector(&agency.base_url(), KEY, SECRET);
    Fixture {
        agency,
        population,
        connector,
    }
}

fn connector(base_url: &str, key: &str, secret: &str) -> Arc<dyn Connector> {
    let settings: toml::Table = toml::from_str(&format!(
        "base_url = \"{base_url}\"\napp_key = \"{key}\"\napp_secret = \"{secret}\"\ntimeout_ms = 2000\n"
    ))
    .expect("settings parse");
    build(SourceId::new(SOURCE).expect("source id"), settings).expect("connector builds")
}

fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse("(2024)鄂0116执1234号").expect("case number"),
        request_id: "req-0001".into(),
    }
}

fn debtor(id: &str, name: &str) -> Debtor {
    Debtor {
        id: DebtorId::parse(id).expect("valid id"),
        name: name.into(),
    }
}

async fn found(connector: &Arc<dyn Connector>, who: &Debtor) -> Vec<crate::domain::Asset> {
    match connector.query(&ctx(), who).await {
        Ok(QueryAnswer::Found(assets)) => assets,
        other => panic!("expected Found, got {other:?}"),
    }
}

#[tokio::test]
async fn the_demo_person_is_found_with_exact_values() {
    let f = fixture().await;
    let assets = found(&f.connector, &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME)).await;
    let records = data::holdings_for(SOURCE, &f.population, DEMO_PERSON_ID).expect("known debtor");
    assert!(!records.is_empty());
    assert_eq!(assets.len(), records.len());
    for (asset, record) in assets.iter().zip(&records) {
        assert_eq!(asset.asset_ref.source.as_str(), SOURCE);
        assert_eq!(asset.asset_ref.local, record.vin);
        let AssetDetail::Vehicle(v) = &asset.detail else {
            panic!("expected a vehicle, got {:?}", asset.detail);
        };
        assert_eq!(v.plate, record.plate);
        assert!(
            v.plate.starts_with('京'),
            "plates use the debtor's province"
        );
        assert_eq!(v.vin, record.vin);
        assert!(vin_check_digit_ok(&v.vin));
        assert_eq!(v.brand, record.model.brand);
        assert_eq!(v.model, record.model.model);
        assert_eq!(
            v.registration_status,
            status_text(&record.status_codes()).expect("known codes")
        );
        assert_eq!(
            v.encumbrances.len(),
            record.seals.len() + record.mortgages.len()
        );
        let (seals, mortgages) = v.encumbrances.split_at(record.seals.len());
        for (e, s) in seals.iter().zip(&record.seals) {
            assert_eq!(e.holder, format!("{} {}", s.court, s.case_number));
            assert_eq!(e.since, s.since.iso());
            assert_eq!(e.until, s.until.map(|d| d.iso()));
            let kind = match s.kind {
                data::SealKind::Seal => EncumbranceKind::Seal,
                data::SealKind::Queued => EncumbranceKind::QueuedSeal,
            };
            assert_eq!(e.kind, kind);
        }
        for (e, m) in mortgages.iter().zip(&record.mortgages) {
            assert_eq!(e.kind, EncumbranceKind::Mortgage);
            assert_eq!(e.amount.0, m.amount_fen, "exact fen");
            assert_eq!(e.holder, m.holder);
        }
    }
    assert_eq!(f.agency.knobs.inquiries(), 1);
}

#[tokio::test]
async fn the_demo_company_runs_a_fleet_with_exact_mortgage_amounts() {
    let f = fixture().await;
    let assets = found(&f.connector, &debtor(DEMO_COMPANY_ID, DEMO_COMPANY_NAME)).await;
    let records = data::holdings_for(SOURCE, &f.population, DEMO_COMPANY_ID).expect("known debtor");
    assert_eq!(assets.len(), records.len());
    assert!(assets.len() >= 3, "a rich company runs a fleet");
    let reported: i64 = assets
        .iter()
        .flat_map(|a| match &a.detail {
            AssetDetail::Vehicle(v) => v.encumbrances.clone(),
            _ => vec![],
        })
        .map(|e| e.amount.0)
        .sum();
    let held: i64 = records
        .iter()
        .flat_map(|r| r.mortgages.iter().map(|m| m.amount_fen))
        .sum();
    assert!(held > 0, "the demo fleet is partly financed");
    assert_eq!(reported, held);
    for asset in &assets {
        let AssetDetail::Vehicle(v) = &asset.detail else {
            panic!("expected a vehicle");
        };
        assert!(v.plate.starts_with("闽A"), "{}", v.plate);
    }
}

#[tokio::test]
async fn a_debtor_without_wealth_is_found_holding_nothing() {
    let f = fixture().await;
    let poor = f
        .population
        .debtors()
        .iter()
        .find(|d| d.wealth == Wealth::None)
        .expect("the population has penniless debtors");
    let assets = found(&f.connector, &debtor(&poor.id_number, &poor.name)).await;
    assert!(assets.is_empty());
}

#[tokio::test]
async fn unknown_ids_and_wrong_names_are_answers() {
    let f = fixture().await;
    let unknown = f
        .connector
        .query(&ctx(), &debtor("110105194912310038", "王五"))
        .await
        .expect("query succeeds");
    assert_eq!(unknown, QueryAnswer::NotFound);
    let mismatch = f
        .connector
        .query(&ctx(), &debtor(DEMO_COMPANY_ID, "福建另一家贸易有限公司"))
        .await
        .expect("query succeeds");
    assert_eq!(mismatch, QueryAnswer::NameMismatch);
}

#[tokio::test]
async fn wrong_credentials_are_auth_errors() {
    let f = fixture().await;
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    for (key, secret, code) in [
        (KEY, "not-the-secret", "4012"),
        ("hb-vehicle-other", SECRET, "4011"),
    ] {
        let error = connector(&f.agency.base_url(), key, secret)
            .query(&ctx(), &person)
            .await
            .expect_err("refused");
        assert_eq!(error.class, ErrorClass::Auth);
        assert!(!error.is_retryable());
        assert!(error.message.contains(code), "{}", error.message);
    }
    assert_eq!(f.agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn an_injected_503_is_a_retryable_server_error() {
    let f = fixture().await;
    f.agency.knobs.fail_next(1);
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let error = f.connector.query(&ctx(), &person).await.expect_err("503");
    assert_eq!(error.class, ErrorClass::Server);
    assert!(error.is_retryable());
    assert!(!found(&f.connector, &person).await.is_empty());
}

/// Serves `response` (a raw HTTP response) to every request, after reading its head.
async fn canned(response: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn http(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

const ROW: &str = r#"{"hphm":"鄂A12345","hpzl":"02","clsbdh":"LSVAN63F8KN000123","clpp1":"大众","clxh":"帕萨特","zt":"ZZ","djrq":"2019-05-01","cfxx":null,"dyxx":null}"#;

#[tokio::test]
async fn malformed_answers_are_reported_as_such() {
    let row = |zt: &str, vin: &str, extra: &str| {
        format!(
            r#"{{"hphm":"鄂A12345","hpzl":"02","clsbdh":"{vin}","clpp1":"大众","clxh":"帕萨特","zt":"{zt}","djrq":"2019-05-01"{extra}}}"#
        )
    };
    let success = |total: u32, rows: &str| {
        format!(r#"{{"code":1,"message":"成功","data":{{"total":{total},"rows":[{rows}]}}}}"#)
    };
    let vin = "LSVAN63F8KN000123";
    let bodies = [
        r#"{"code":1,"message":"成功","data":{"total":1,"ro"#.to_string(),
        "<html>gateway</html>".to_string(),
        r#"{"code":1,"message":"成功"}"#.to_string(),
        r#"{"code":"one","message":"?"}"#.to_string(),
        r#"{"code":7777,"message":"?"}"#.to_string(),
        success(2, &row("A", vin, "")),
        success(1, &row("A", "LSVAN63F8KN00012", "")),
        success(1, &row("A", "LSVAN63F8KN00012O", "")),
        success(1, &row("", vin, "")),
        success(1, ROW),
        success(
            1,
            &row(
                "A",
                vin,
                r#","dyxx":[{"dyqr":"某金融公司","dyje":120000.5,"dyrq":"2019-05-01"}]"#,
            ),
        ),
        success(
            1,
            &row(
                "A",
                vin,
                r#","dyxx":[{"dyqr":"某金融公司","dyje":"12万","dyrq":"2019-05-01"}]"#,
            ),
        ),
        success(
            1,
            &row(
                "A",
                vin,
                r#","cfxx":[{"cflx":"9","cfjg":"某法院","cfrq":"2025-01-02"}]"#,
            ),
        ),
        success(
            1,
            &row(
                "A",
                vin,
                r#","cfxx":[{"cflx":"1","cfjg":"某法院","cfrq":"2025-02-30"}]"#,
            ),
        ),
    ];
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    for body in bodies {
        let base = canned(http("200 OK", &body)).await;
        let error = connector(&base, KEY, SECRET)
            .query(&ctx(), &person)
            .await
            .expect_err("malformed answer");
        assert_eq!(error.class, ErrorClass::Malformed, "{body}: {error}");
    }
    // The same shapes, well formed, convert: the cases above fail for their own defect only.
    let good = success(
        1,
        &row(
            "gk",
            vin,
            r#","cfxx":[{"cflx":"2","cfjg":"某法院","cfwh":"(2025)鄂0102执1号","cfrq":"20250102","jfrq":null}],"dyxx":[{"dyqr":"某金融公司","dyje":"0.29","dyrq":"2019-05-01"}]"#,
        ),
    );
    let base = canned(http("200 OK", &good)).await;
    let assets = found(&connector(&base, KEY, SECRET), &person).await;
    let AssetDetail::Vehicle(v) = &assets[0].detail else {
        panic!("expected a vehicle");
    };
    assert_eq!(v.registration_status, "违法未处理、查封");
    assert_eq!(v.encumbrances[0].kind, EncumbranceKind::QueuedSeal);
    assert_eq!(v.encumbrances[0].holder, "某法院 (2025)鄂0102执1号");
    assert_eq!(v.encumbrances[0].since, "2025-01-02");
    assert_eq!(v.encumbrances[0].until, None);
    assert_eq!(v.encumbrances[1].amount.0, 29);
}

#[tokio::test]
async fn error_statuses_keep_the_administrations_message() {
    let cases = [
        (
            "400 Bad Request",
            r#"{"code":4001,"message":"缺少参数 ah","data":null}"#,
            ErrorClass::Rejected,
        ),
        (
            "401 Unauthorized",
            r#"{"code":4013,"message":"timestamp 超出有效期","data":null}"#,
            ErrorClass::Auth,
        ),
        (
            "500 Internal Server Error",
            r#"{"code":5000,"message":"系统繁忙","data":null}"#,
            ErrorClass::Server,
        ),
        (
            "429 Too Many Requests",
            "slow down",
            ErrorClass::RateLimited,
        ),
        (
            "200 OK",
            r#"{"code":4012,"message":"签名验证失败","data":null}"#,
            ErrorClass::Auth,
        ),
    ];
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    for (status, body, class) in cases {
        let base = canned(http(status, body)).await;
        let error = connector(&base, KEY, SECRET)
            .query(&ctx(), &person)
            .await
            .expect_err("error status");
        assert_eq!(error.class, class, "{status}: {error}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let error = connector(&format!("http://{addr}"), KEY, SECRET)
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Connect);
    assert!(error.is_retryable());
}

#[test]
fn bad_settings_are_config_errors() {
    let id = || SourceId::new(SOURCE).expect("source id");
    let base = "base_url = \"http://127.0.0.1:1\"";
    let cases = [
        "app_key = \"k\"\napp_secret = \"s\"".to_string(),
        format!("{base}\napp_secret = \"s\""),
        format!("{base}\napp_key = \"k\""),
        format!("{base}\napp_key = \"\"\napp_secret = \"s\""),
        format!("{base}\napp_key = \"钥匙\"\napp_secret = \"s\""),
        format!("{base}\napp_key = \"k\"\napp_secret = \"\""),
        format!("{base}\napp_key = \"k\"\napp_secret = \"s\"\ntimeout_ms = 0"),
        format!("{base}\napp_key = \"k\"\napp_secret = \"s\"\ntoken = \"typo\""),
        "base_url = \"mailto:x@y\"\napp_key = \"k\"\napp_secret = \"s\"".to_string(),
    ];
    for case in cases {
        let settings: toml::Table = toml::from_str(&case).expect("valid TOML");
        let error = build(id(), settings)
            .err()
            .unwrap_or_else(|| panic!("{case} builds"));
        assert_eq!(error.source_id, SOURCE);
    }
    let ok: toml::Table =
        toml::from_str(&format!("{base}\napp_key = \"k\"\napp_secret = \"s\"")).expect("TOML");
    let built = build(id(), ok).expect("defaults apply");
    assert_eq!(built.connector_type(), "vehicle");
    assert!(built.capabilities().contains(&Capability::Watch));
}

#[test]
fn statuses_dates_and_vins() {
    assert_eq!(status_text("A").as_deref(), Ok("正常"));
    assert_eq!(status_text("EM").as_deref(), Ok("注销、强制注销"));
    assert!(status_text("").is_err());
    assert!(status_text("A1").is_err());
    assert_eq!(iso_date("2019-05-01").as_deref(), Ok("2019-05-01"));
    assert_eq!(iso_date("20190501").as_deref(), Ok("2019-05-01"));
    for bad in [
        "2019-5-1",
        "2019/05/01",
        "2019-02-29",
        "1899-01-01",
        "2019-05-01T00:00",
    ] {
        assert!(iso_date(bad).is_err(), "{bad}");
    }
    assert!(vin_check_digit_ok("1M8GDM9AXKP042788"));
    assert!(!vin_check_digit_ok("1M8GDM9A1KP042788"));
    assert!(!vin_check_digit_ok("SHORT"));
}

#[test]
fn paths_and_signatures_match_the_administration() {
    assert_eq!(QUERY_PATH, assethub_mocks::vehicle::QUERY_PATH);
    assert_eq!(
        super::sign::sign(KEY, "1700000000000", SECRET),
        assethub_mocks::vehicle::sign(KEY, "1700000000000", SECRET)
    );
}
