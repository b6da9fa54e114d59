//! The registry connector against the mock registry (in process, ephemeral port) and against
//! canned broken answers: found / not found / name mismatch, exact conversions checked against
//! the registry's own records, error classes, and configuration errors.

use super::build;
use super::config::INQUIRY_PATH;
use super::convert::{iso_date, parse_area};
use super::wire::CxRequest;
use crate::connector::{CallContext, Connector, QueryAnswer};
use crate::domain::{AssetDetail, CaseNumber, Debtor, DebtorId, EncumbranceKind, SourceId};
use crate::error::ErrorClass;
use assethub_mocks::population::{
    Wealth, DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_mocks::real_estate::{data, Settings};
use assethub_mocks::server::RunningAgency;
use assethub_mocks::{AgencyConfig, FamilySettings, Population};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub(super) const SOURCE: &str = "registry-wuhan";
pub(super) const TOKEN: &str = "bdc-wuhan-demo-token";
const SEED: u64 = 20_241_116;

pub(super) struct Fixture {
    pub(super) agency: RunningAgency,
    pub(super) population: Arc<Population>,
    pub(super) connector: Arc<dyn Connector>,
}

pub(super) async fn fixture() -> Fixture {
    let population = Arc::new(Population::generate(SEED, 200));
    let config = AgencyConfig {
        name: SOURCE.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::RealEstate(Settings::demo(0)),
    };
    let agency = assethub_mocks::server::start(&config, population.clone())
        .await
        .expect("mock registry starts");
    let connector = connector(&agency.base_url(), TOKEN);
    Fixture {
        agency,
        population,
        connector,
    }
}

pub(super) fn connector(base_url: &str, token: &str) -> Arc<dyn Connector> {
    let settings: toml::Table = toml::from_str(&format!(
        "base_url = \"{base_url}\"\ntoken = \"{token}\"\ntimeout_ms = 2000\n"
    ))
    .expect("settings parse");
    build(SourceId::new(SOURCE).expect("source id"), settings).expect("connector builds")
}

pub(super) fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse("(2024)鄂0116执1234号").expect("case number"),
        request_id: "req-0001".into(),
    }
}

pub(super) fn debtor(id: &str, name: &str) -> Debtor {
    Debtor {
        id: DebtorId::parse(id).expect("valid id"),
        name: name.into(),
    }
}

#[tokio::test]
async fn the_demo_person_is_found_with_exact_values() {
    let f = fixture().await;
    let answer = f
        .connector
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect("query succeeds");
    let QueryAnswer::Found(assets) = answer else {
        panic!("expected Found, got {answer:?}");
    };
    let records = data::holdings_for(SOURCE, &Settings::demo(0), &f.population, DEMO_PERSON_ID)
        .expect("the registry knows the demo person");
    assert!(!records.is_empty());
    assert_eq!(assets.len(), records.len());
    let mut mortgages_checked = 0;
    for (asset, record) in assets.iter().zip(&records) {
        assert_eq!(asset.asset_ref.source.as_str(), SOURCE);
        assert_eq!(asset.asset_ref.local, record.certificate_number);
        let AssetDetail::Property(p) = &asset.detail else {
            panic!("expected a property, got {:?}", asset.detail);
        };
        assert_eq!(p.certificate_number, record.certificate_number);
        assert!(p.certificate_number.starts_with("鄂("));
        assert_eq!(p.address, record.address);
        assert_eq!(p.area_centi_m2, record.area_centi_m2);
        assert_eq!(p.usage, record.usage.label());
        let expected_share = match record.ownership.share() {
            Some(share) => format!("{} {share}", record.ownership.label()),
            None => record.ownership.label().to_string(),
        };
        assert_eq!(p.ownership_share, expected_share);
        assert_eq!(
            p.encumbrances.len(),
            record.mortgages.len() + record.seals.len()
        );
        let (mortgages, seals) = p.encumbrances.split_at(record.mortgages.len());
        for (e, m) in mortgages.iter().zip(&record.mortgages) {
            assert_eq!(e.kind, EncumbranceKind::Mortgage);
            assert_eq!(e.holder, m.holder);
            assert_eq!(e.amount.0, m.amount_fen, "exact fen");
            assert_eq!(
                e.since,
                format!(
                    "{:04}-{:02}-{:02}",
                    m.since.year, m.since.month, m.since.day
                )
            );
            assert!(e.until.is_some());
            mortgages_checked += 1;
        }
        for (e, s) in seals.iter().zip(&record.seals) {
            let kind = match s.kind {
                data::SealKind::Seal => EncumbranceKind::Seal,
                data::SealKind::Queued => EncumbranceKind::QueuedSeal,
            };
            assert_eq!(e.kind, kind);
            assert_eq!(e.holder, format!("{} {}", s.court, s.case_number));
            assert_eq!(e.until.is_some(), s.until.is_some());
            assert_eq!(e.amount.0, 0);
        }
    }
    assert!(
        mortgages_checked > 0,
        "the demo person's flats are mortgaged"
    );
    assert_eq!(f.agency.knobs.inquiries(), 1);
}

#[tokio::test]
async fn the_demo_company_holds_property() {
    let f = fixture().await;
    let answer = f
        .connector
        .query(&ctx(), &debtor(DEMO_COMPANY_ID, DEMO_COMPANY_NAME))
        .await
        .expect("query succeeds");
    let QueryAnswer::Found(assets) = answer else {
        panic!("expected Found, got {answer:?}");
    };
    let records = data::holdings_for(SOURCE, &Settings::demo(0), &f.population, DEMO_COMPANY_ID)
        .expect("known");
    assert_eq!(assets.len(), records.len());
    assert!(!assets.is_empty());
    let total_area: u64 = assets
        .iter()
        .filter_map(|a| match &a.detail {
            AssetDetail::Property(p) => Some(p.area_centi_m2),
            _ => None,
        })
        .sum();
    let expected: u64 = records.iter().map(|r| r.area_centi_m2).sum();
    assert_eq!(total_area, expected);
    let mortgage_fen: i64 = assets
        .iter()
        .filter_map(|a| match &a.detail {
            AssetDetail::Property(p) => {
                Some(p.encumbrances.iter().map(|e| e.amount.0).sum::<i64>())
            }
            _ => None,
        })
        .sum();
    let expected: i64 = records
        .iter()
        .flat_map(|r| r.mortgages.iter().map(|m| m.amount_fen))
        .sum();
    assert_eq!(mortgage_fen, expected);
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
    let answer = f
        .connector
        .query(&ctx(), &debtor(&poor.id_number, &poor.name))
        .await
        .expect("query succeeds");
    assert_eq!(answer, QueryAnswer::Found(vec![]));
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
        .query(&ctx(), &debtor(DEMO_PERSON_ID, "李四"))
        .await
        .expect("query succeeds");
    assert_eq!(mismatch, QueryAnswer::NameMismatch);
}

#[tokio::test]
async fn a_wrong_token_is_an_auth_error() {
    let f = fixture().await;
    let wrong = connector(&f.agency.base_url(), "bdc-stolen-token");
    let error = wrong
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Auth);
    assert!(!error.is_retryable());
    assert!(error.message.contains("3001"), "{}", error.message);
}

#[tokio::test]
async fn an_injected_503_is_a_retryable_server_error() {
    let f = fixture().await;
    f.agency.knobs.fail_next(1);
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let error = f.connector.query(&ctx(), &person).await.expect_err("503");
    assert_eq!(error.class, ErrorClass::Server);
    assert!(error.is_retryable());
    assert!(error.message.contains("503"), "{}", error.message);
    assert!(matches!(
        f.connector.query(&ctx(), &person).await,
        Ok(QueryAnswer::Found(_))
    ));
}

/// Serves `response` (a raw HTTP response) to every request, after reading the request.
pub(super) async fn canned(response: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = stream.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if complete(&request) {
                        break;
                    }
                }
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// Whether a raw HTTP request has arrived in full (headers and Content-Length bytes of body).
fn complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    body.len() >= length
}

pub(super) fn http_200(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/xml; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn malformed_answers_are_reported_as_such() {
    let property = |area: &str, extra: &str| {
        format!(
            "<Bdcxx><Bdcqzh>鄂(2021)武汉市不动产权第0123456号</Bdcqzh><Zl>武汉市武昌区中北路1号</Zl><Jzmj>{area}</Jzmj><Yt>住宅</Yt><Gyfs>单独所有</Gyfs>{extra}</Bdcxx>"
        )
    };
    let answer = |zs: u32, properties: &str| {
        format!("<?xml version=\"1.0\"?><CxResponse><Head><Code>0</Code><Msg>查询成功</Msg><Qqbh>req-0001</Qqbh></Head><Body><Zs>{zs}</Zs>{properties}</Body></CxResponse>")
    };
    let bodies = [
        "<CxResponse><Head><Code>0</Code><Msg>查询成".to_string(),
        "{\"code\": 0}".to_string(),
        "<html><body>gateway</body></html>".to_string(),
        answer(2, &property("89.50", "")),
        answer(1, &property("89.5x", "")),
        answer(1, &property("89.505", "")),
        answer(
            1,
            &property("89.50", "<Dyxx><Dyqr>某银行</Dyqr><Bdbzqse>1,000.00</Bdbzqse><Zwlxqssj>20210101</Zwlxqssj></Dyxx>"),
        ),
        answer(
            1,
            &property("89.50", "<Cfxx><Cflx>查封</Cflx><Cfjg>某法院</Cfjg><Cfwh>x</Cfwh><Cfqssj>20210231</Cfqssj></Cfxx>"),
        ),
        answer(
            1,
            &property("89.50", "<Cfxx><Cflx>冻结</Cflx><Cfjg>某法院</Cfjg><Cfwh>x</Cfwh><Cfqssj>20210201</Cfqssj></Cfxx>"),
        ),
        "<CxResponse><Head><Code>0</Code><Qqbh>req-9999</Qqbh></Head><Body><Zs>0</Zs></Body></CxResponse>".to_string(),
        "<CxResponse><Head><Code>0</Code></Head></CxResponse>".to_string(),
        "<CxResponse><Head><Code>4242</Code></Head></CxResponse>".to_string(),
    ];
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    for body in bodies {
        let base = canned(http_200(&body)).await;
        let error = connector(&base, TOKEN)
            .query(&ctx(), &person)
            .await
            .expect_err("malformed answer");
        assert_eq!(error.class, ErrorClass::Malformed, "{body}: {error}");
        assert!(!error.is_retryable());
    }
    // A well-formed answer from the canned server converts, so the cases above fail for
    // their own defect only.
    let good = answer(
        1,
        &property(
            "89.5",
            "<Qlbl>1/2</Qlbl><Dyxx><Dyqr>某银行</Dyqr><Bdbzqse>0.29</Bdbzqse><Zwlxqssj>2021-01-05</Zwlxqssj><Zwlxjssj></Zwlxjssj></Dyxx>",
        ),
    );
    let base = canned(http_200(&good)).await;
    let answer = connector(&base, TOKEN)
        .query(&ctx(), &person)
        .await
        .expect("well-formed");
    let QueryAnswer::Found(assets) = answer else {
        panic!("expected Found");
    };
    let AssetDetail::Property(p) = &assets[0].detail else {
        panic!("expected a property");
    };
    assert_eq!(p.area_centi_m2, 8_950);
    assert_eq!(p.encumbrances[0].amount.0, 29);
    assert_eq!(p.encumbrances[0].since, "2021-01-05");
    assert_eq!(p.encumbrances[0].until, None);
}

#[tokio::test]
async fn a_body_cut_short_is_malformed() {
    let truncated = "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 500\r\nConnection: close\r\n\r\n<CxResponse><Head><Code>0</Code>".to_string();
    let base = canned(truncated).await;
    let error = connector(&base, TOKEN)
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect_err("cut short");
    assert_eq!(error.class, ErrorClass::Malformed, "{error}");
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let error = connector(&format!("http://{addr}"), TOKEN)
        .query(&ctx(), &debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .expect_err("refused");
    assert_eq!(error.class, ErrorClass::Connect);
    assert!(error.is_retryable());
}

#[test]
fn bad_settings_are_config_errors() {
    let id = || SourceId::new(SOURCE).expect("source id");
    let cases = [
        "token = \"t\"",
        "base_url = \"http://127.0.0.1:1\"",
        "base_url = \"http://127.0.0.1:1\"\ntoken = \"\"",
        "base_url = \"http://127.0.0.1:1\"\ntoken = \"令牌\"",
        "base_url = \"ftp://127.0.0.1:1\"\ntoken = \"t\"",
        "base_url = \"not a url\"\ntoken = \"t\"",
        "base_url = \"http://127.0.0.1:1\"\ntoken = \"t\"\ntimeout_ms = 0",
        "base_url = \"http://127.0.0.1:1\"\ntoken = \"t\"\ntimeout_ms = -5",
        "base_url = \"http://127.0.0.1:1\"\ntoken = \"t\"\napi_key = \"typo\"",
    ];
    for case in cases {
        let settings: toml::Table = toml::from_str(case).expect("valid TOML");
        let error = build(id(), settings)
            .err()
            .unwrap_or_else(|| panic!("{case} builds"));
        assert_eq!(error.source_id, SOURCE);
    }
    let ok: toml::Table =
        toml::from_str("base_url = \"http://127.0.0.1:1/\"\ntoken = \"t\"").expect("TOML");
    let built = build(id(), ok).expect("defaults apply");
    assert_eq!(built.connector_type(), "real_estate");
    use crate::connector::Capability;
    assert_eq!(
        built.capabilities(),
        &[
            Capability::Query,
            Capability::Seal,
            Capability::Release,
            Capability::Renew
        ]
    );
}

#[test]
fn areas_convert_exactly() {
    assert_eq!(parse_area("89.50"), Ok(8_950));
    assert_eq!(parse_area("89.5"), Ok(8_950));
    assert_eq!(parse_area(" 120 "), Ok(12_000));
    assert_eq!(parse_area("0.29"), Ok(29));
    assert_eq!(parse_area("1367.120"), Ok(136_712));
    for bad in [
        "",
        ".5",
        "89.",
        "89,50",
        "-1.00",
        "8e2",
        "89.505",
        "１２",
        "99999999999999999999",
    ] {
        assert!(parse_area(bad).is_err(), "{bad}");
    }
}

#[test]
fn dates_become_iso() {
    assert_eq!(iso_date("20210315").as_deref(), Ok("2021-03-15"));
    assert_eq!(iso_date("2024-02-29").as_deref(), Ok("2024-02-29"));
    for bad in [
        "20230229",
        "2021315",
        "2021-3-15",
        "20211301",
        "abcdefgh",
        "二〇二一年",
    ] {
        assert!(iso_date(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_request_names_case_court_and_document_type() {
    let ctx = ctx();
    let company = debtor(DEMO_COMPANY_ID, "A&B <公司>");
    let xml = CxRequest::new(&ctx, &company).to_xml().expect("encodes");
    assert!(xml.contains("<Ajh>(2024)鄂0116执1234号</Ajh>"), "{xml}");
    assert!(xml.contains("<Fy>鄂0116</Fy>"));
    assert!(xml.contains("<Qqbh>req-0001</Qqbh>"));
    assert!(xml.contains("<Zjzl>7</Zjzl>"));
    assert!(xml.contains("<Qlrmc>A&amp;B &lt;公司&gt;</Qlrmc>"));
    let person = debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME);
    let xml = CxRequest::new(&ctx, &person).to_xml().expect("encodes");
    assert!(xml.contains("<Zjzl>1</Zjzl><Zjh>11010519491231002X</Zjh>"));
}

#[test]
fn inquiry_path_matches_the_registry() {
    assert_eq!(INQUIRY_PATH, assethub_mocks::real_estate::INQUIRY_PATH);
}
