//! The payment connector against the mock platform (in process, port 0) and against a raw
//! fake platform for answers the mock never gives (junk, truncated JSON, refused tokens).

use super::build;
use crate::connector::{CallContext, Capability, QueryAnswer};
use crate::domain::{
    AssetDetail, AssetKind, AssetRef, CaseNumber, Debtor, DebtorId, Fen, PaymentBalance,
    PaymentBalanceType, ResidentId, SourceId,
};
use crate::error::{ConnectorError, ErrorClass};
use crate::Connector;
use assethub_mocks::payment::{data, Settings, TokenStats, ADMIN_REVOKE_PATH, ADMIN_TOKENS_PATH};
use assethub_mocks::population::{
    DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_mocks::server::{start, RunningAgency};
use assethub_mocks::{AgencyConfig, FamilySettings, Population};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SOURCE: &str = "pay-xinfu";
const SEED: u64 = 7;

struct Platform {
    agency: RunningAgency,
    population: Arc<Population>,
}

impl Platform {
    async fn start(settings: Settings) -> Self {
        let population = Arc::new(Population::generate(SEED, 200));
        let config = AgencyConfig {
            name: SOURCE.into(),
            host: "127.0.0.1".into(),
            port: 0,
            latency_ms: 0,
            jitter_ms: 0,
            settings: FamilySettings::Payment(settings),
        };
        let agency = start(&config, population.clone())
            .await
            .expect("mock platform starts");
        Self { agency, population }
    }

    async fn demo() -> Self {
        Self::start(Settings::demo(0)).await
    }

    fn connector(&self) -> Arc<dyn Connector> {
        connector_for(&self.agency.base_url(), "xinfu-demo-secret")
    }

    /// What the mock holds for a debtor of its population.
    fn account(&self, id: &str) -> data::Account {
        let record = self.population.get(id).expect("debtor in population");
        data::account_for(SOURCE, &self.population, record)
    }

    async fn token_stats(&self) -> TokenStats {
        let url = format!("{}{ADMIN_TOKENS_PATH}", self.agency.base_url());
        reqwest::get(url).await.unwrap().json().await.unwrap()
    }

    async fn revoke_tokens(&self) {
        let url = format!("{}{ADMIN_REVOKE_PATH}", self.agency.base_url());
        let status = reqwest::Client::new()
            .post(url)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }
}

fn settings(base_url: &str, secret: &str) -> toml::Table {
    let text = format!(
        "base_url = {base_url:?}\nclient_id = \"xinfu-court-client\"\n\
         client_secret = {secret:?}\ntimeout_ms = 3000\n"
    );
    toml::from_str(&text).unwrap()
}

fn connector_for(base_url: &str, secret: &str) -> Arc<dyn Connector> {
    build(SourceId::new(SOURCE).unwrap(), settings(base_url, secret)).expect("connector builds")
}

fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse("(2024)鄂0116执1234号").unwrap(),
        request_id: "req-42".into(),
    }
}

fn debtor(id: &str, name: &str) -> Debtor {
    Debtor {
        id: DebtorId::parse(id).unwrap(),
        name: name.into(),
    }
}

fn person() -> Debtor {
    debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME)
}

/// A valid identity number nobody in the population has.
fn stranger(population: &Population) -> Debtor {
    let body = "11010119900307001";
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    let id = format!(
        "{body}{}",
        ResidentId::check_character(&digits.try_into().unwrap())
    );
    assert!(population.get(&id).is_none());
    debtor(&id, "王五")
}

async fn query_err(connector: &Arc<dyn Connector>, debtor: &Debtor) -> ConnectorError {
    connector
        .query(&ctx(), debtor)
        .await
        .expect_err("the query fails")
}

fn found(answer: QueryAnswer) -> Vec<crate::domain::Asset> {
    match answer {
        QueryAnswer::Found(assets) => assets,
        other => panic!("expected Found, got {other:?}"),
    }
}

#[tokio::test]
async fn describes_itself() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    assert_eq!(connector.id().as_str(), SOURCE);
    assert_eq!(connector.kind(), AssetKind::PAYMENT);
    assert_eq!(connector.connector_type(), "payment");
    assert!(connector.capabilities().contains(&Capability::Query));
}

#[tokio::test]
async fn finds_the_demo_person_with_the_platform_amounts() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    let assets = found(connector.query(&ctx(), &person()).await.unwrap());
    let held = platform.account(DEMO_PERSON_ID);
    assert!(!held.holdings.is_empty());
    assert_eq!(assets.len(), held.holdings.len());
    for (asset, holding) in assets.iter().zip(&held.holdings) {
        let balance_type = match holding.product {
            data::Product::Fund => PaymentBalanceType::Fund,
            _ => PaymentBalanceType::Wallet,
        };
        assert_eq!(
            asset.asset_ref,
            AssetRef::new(
                &SourceId::new(SOURCE).unwrap(),
                format!("{}:{}", holding.account_id, holding.product.code())
            )
        );
        assert_eq!(
            asset.detail,
            AssetDetail::Payment(PaymentBalance {
                account_id: holding.account_id.clone(),
                balance_type,
                balance: Fen(holding.amount_fen),
                frozen: Fen(holding.frozen_fen),
            })
        );
        assert_eq!(
            Fen::from_yuan_str(&Fen(holding.amount_fen).to_yuan_string()),
            Ok(Fen(holding.amount_fen))
        );
    }
    assert_eq!(platform.agency.knobs.inquiries(), 1);
}

#[tokio::test]
async fn finds_the_demo_company_merchant_balance_as_a_wallet() {
    let platform = Platform::demo().await;
    let company = debtor(DEMO_COMPANY_ID, DEMO_COMPANY_NAME);
    let assets = found(platform.connector().query(&ctx(), &company).await.unwrap());
    let held = platform.account(DEMO_COMPANY_ID);
    let merchant = held
        .holdings
        .iter()
        .find(|h| h.product == data::Product::Merchant)
        .expect("a rich company keeps a merchant balance");
    let asset = assets
        .iter()
        .find(|a| a.asset_ref.local.starts_with(&merchant.account_id))
        .expect("merchant balance reported");
    let AssetDetail::Payment(balance) = &asset.detail else {
        panic!("not a payment balance: {asset:?}");
    };
    assert_eq!(balance.balance_type, PaymentBalanceType::Wallet);
    assert_eq!(balance.balance, Fen(merchant.amount_fen));
    assert_eq!(
        asset.asset_ref.local,
        format!("{}:MERCHANT", merchant.account_id)
    );
}

#[tokio::test]
async fn penniless_debtors_are_found_with_nothing() {
    let platform = Platform::demo().await;
    let poor = platform
        .population
        .debtors()
        .iter()
        .find(|d| d.wealth == assethub_mocks::population::Wealth::None)
        .expect("someone owns nothing");
    let answer = platform
        .connector()
        .query(&ctx(), &debtor(&poor.id_number, &poor.name))
        .await
        .unwrap();
    assert_eq!(answer, QueryAnswer::Found(vec![]));
}

#[tokio::test]
async fn unknown_debtors_and_wrong_names_are_answers() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    let stranger = stranger(&platform.population);
    assert_eq!(
        connector.query(&ctx(), &stranger).await,
        Ok(QueryAnswer::NotFound)
    );
    assert_eq!(
        connector
            .query(&ctx(), &debtor(DEMO_PERSON_ID, "王五"))
            .await,
        Ok(QueryAnswer::NameMismatch)
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_auth_error() {
    let platform = Platform::demo().await;
    let connector = connector_for(&platform.agency.base_url(), "not-the-secret");
    let error = query_err(&connector, &person()).await;
    assert_eq!(error.class, ErrorClass::Auth, "{error}");
    assert!(error.message.contains("invalid_client"), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(platform.agency.knobs.inquiries(), 0);
}

#[tokio::test]
async fn reuses_one_token_across_queries() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    for _ in 0..5 {
        connector.query(&ctx(), &person()).await.unwrap();
    }
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let connector = connector.clone();
            tokio::spawn(async move { connector.query(&ctx(), &person()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(platform.token_stats().await.issued, 1);
    assert_eq!(platform.agency.knobs.inquiries(), 15);
}

#[tokio::test]
async fn concurrent_first_queries_fetch_one_token() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let connector = connector.clone();
            tokio::spawn(async move { connector.query(&ctx(), &person()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(platform.token_stats().await.issued, 1);
}

#[tokio::test(start_paused = true)]
async fn refreshes_the_token_shortly_before_it_expires() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    connector.query(&ctx(), &person()).await.unwrap();
    // 300 s tokens are used for 240 s, then replaced before the platform would refuse them.
    tokio::time::advance(Duration::from_secs(230)).await;
    connector.query(&ctx(), &person()).await.unwrap();
    assert_eq!(platform.token_stats().await.issued, 1);
    tokio::time::advance(Duration::from_secs(20)).await;
    connector.query(&ctx(), &person()).await.unwrap();
    let stats = platform.token_stats().await;
    assert_eq!(stats.issued, 2);
    // Far past expiry, no request is ever refused: the cache refreshes first.
    tokio::time::advance(Duration::from_secs(3_600)).await;
    connector.query(&ctx(), &person()).await.unwrap();
    assert_eq!(platform.token_stats().await.issued, 3);
    assert_eq!(platform.agency.knobs.inquiries(), 4);
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_the_inquiry_retried() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    connector.query(&ctx(), &person()).await.unwrap();
    platform.revoke_tokens().await;
    let answer = connector.query(&ctx(), &person()).await.unwrap();
    assert!(matches!(answer, QueryAnswer::Found(ref a) if !a.is_empty()));
    assert_eq!(platform.token_stats().await.issued, 2);
    assert_eq!(platform.agency.knobs.inquiries(), 2);
}

#[tokio::test]
async fn a_platform_that_keeps_refusing_tokens_is_asked_only_twice() {
    let fake = Fake::start(
        Reply::token(),
        Reply::new(
            401,
            r#"{"error":"invalid_token","error_description":"revoked"}"#,
        ),
    )
    .await;
    let connector = connector_for(&fake.base_url, "s");
    let error = query_err(&connector, &person()).await;
    assert_eq!(error.class, ErrorClass::Auth, "{error}");
    assert_eq!(fake.token_requests(), 2);
    assert_eq!(fake.inquiries(), 2);
}

#[tokio::test]
async fn the_quota_answers_rate_limited_with_its_retry_after() {
    let platform = Platform::start(Settings {
        quota_per_sec: 2,
        ..Settings::demo(0)
    })
    .await;
    let connector = platform.connector();
    connector.query(&ctx(), &person()).await.unwrap();
    connector.query(&ctx(), &person()).await.unwrap();
    let error = query_err(&connector, &person()).await;
    assert_eq!(error.class, ErrorClass::RateLimited, "{error}");
    assert_eq!(error.retry_after, Some(Duration::from_secs(1)));
    assert!(error.message.contains("QUOTA_EXCEEDED"), "{error}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn gateway_throttling_and_failures_are_retryable() {
    let platform = Platform::demo().await;
    let connector = platform.connector();
    // Before any token: the token request itself meets the gateway.
    platform
        .agency
        .knobs
        .throttle_next(1, Duration::from_secs(7));
    let error = query_err(&connector, &person()).await;
    assert_eq!(error.class, ErrorClass::RateLimited, "{error}");
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    platform.agency.knobs.fail_next(1);
    let error = query_err(&connector, &person()).await;
    assert_eq!(error.class, ErrorClass::Server, "{error}");
    assert!(error.is_retryable());
    // With a token cached: the inquiry meets it.
    connector.query(&ctx(), &person()).await.unwrap();
    platform.agency.knobs.fail_next(1);
    let error = query_err(&connector, &person()).await;
    assert_eq!(error.class, ErrorClass::Server, "{error}");
    assert!(error.message.contains("503"), "{error}");
    assert!(error.is_retryable());
    connector.query(&ctx(), &person()).await.unwrap();
}

#[tokio::test]
async fn junk_and_truncated_answers_are_malformed() {
    let holdings_answers = [
        Reply::new(200, "<html>gateway says hi</html>"),
        Reply::new(
            200,
            r#"{"result_code":"SUCCESS","holdings":[{"product":"FU"#,
        ),
        Reply::new(200, r#"{"result_code":"SUCCESS"}"#),
        Reply::new(200, r#"{"result_code":"SYSTEM_BUSY","result_msg":"later"}"#),
        Reply::new(
            200,
            r#"{"result_code":"SUCCESS","holdings":[{"product":"GOLD","account_id":"1","amount_fen":1,"frozen_fen":0}]}"#,
        ),
        Reply::new(
            200,
            r#"{"result_code":"SUCCESS","holdings":[{"product":"FUND","account_id":"1","amount_fen":12.5,"frozen_fen":0}]}"#,
        ),
        Reply::new(
            200,
            r#"{"result_code":"SUCCESS","holdings":[{"product":"FUND","account_id":"1","amount_fen":100,"frozen_fen":101}]}"#,
        ),
        Reply::new(
            200,
            r#"{"result_code":"SUCCESS","request_id":"someone-else","holdings":[]}"#,
        ),
    ];
    for answer in holdings_answers {
        let body = answer.body.clone();
        let fake = Fake::start(Reply::token(), answer).await;
        let error = query_err(&connector_for(&fake.base_url, "s"), &person()).await;
        assert_eq!(error.class, ErrorClass::Malformed, "{body}: {error}");
    }
    for token in [
        r#"{"access_token":"abc","token_type":"Bea"#,
        r#"{"access_token":"abc","token_type":"MAC","expires_in":300}"#,
        r#"{"access_token":"","token_type":"Bearer","expires_in":300}"#,
        r#"{"token_type":"Bearer","expires_in":300}"#,
    ] {
        let fake = Fake::start(Reply::new(200, token), Reply::new(200, "{}")).await;
        let error = query_err(&connector_for(&fake.base_url, "s"), &person()).await;
        assert_eq!(error.class, ErrorClass::Malformed, "{token}: {error}");
        assert_eq!(fake.inquiries(), 0);
    }
}

#[tokio::test]
async fn the_fake_platform_works_when_it_answers_well() {
    let fake = Fake::start(
        Reply::token(),
        Reply::new(
            200,
            r#"{"result_code":"SUCCESS","request_id":"req-42","user_id":"2088000000000001","holdings":[{"product":"FUND","account_id":"20880000000000010301","amount_fen":1234567,"frozen_fen":29}]}"#,
        ),
    )
    .await;
    let assets = found(
        connector_for(&fake.base_url, "s")
            .query(&ctx(), &person())
            .await
            .unwrap(),
    );
    assert_eq!(
        assets[0].detail,
        AssetDetail::Payment(PaymentBalance {
            account_id: "20880000000000010301".into(),
            balance_type: PaymentBalanceType::Fund,
            balance: Fen::from_yuan_str("12345.67").unwrap(),
            frozen: Fen::from_yuan_str("0.29").unwrap(),
        })
    );
    assert_eq!(
        assets[0].asset_ref.to_string(),
        "pay-xinfu:20880000000000010301:FUND"
    );
}

#[tokio::test]
async fn a_refused_inquiry_is_rejected() {
    let fake = Fake::start(
        Reply::token(),
        Reply::new(
            400,
            r#"{"result_code":"INVALID_PARAMETER","result_msg":"case_no is not an enforcement case number"}"#,
        ),
    )
    .await;
    let error = query_err(&connector_for(&fake.base_url, "s"), &person()).await;
    assert_eq!(error.class, ErrorClass::Rejected, "{error}");
    assert!(error.message.contains("INVALID_PARAMETER"), "{error}");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let connector = connector_for(&format!("http://{addr}"), "s");
    let error = query_err(&connector, &person()).await;
    assert_eq!(error.class, ErrorClass::Connect, "{error}");
    assert!(error.is_retryable());
}

#[test]
fn bad_configurations_are_refused() {
    let id = || SourceId::new(SOURCE).unwrap();
    let good = settings("http://127.0.0.1:1", "secret");
    assert!(build(id(), good.clone()).is_ok());
    let mut without_timeout = good.clone();
    without_timeout.remove("timeout_ms");
    assert!(build(id(), without_timeout).is_ok());

    use toml::Value;
    let broken: [(&str, &str, Option<Value>); 9] = [
        ("no secret", "client_secret", None),
        ("no client id", "client_id", None),
        ("no base url", "base_url", None),
        ("ftp", "base_url", Some(Value::from("ftp://x"))),
        ("not a url", "base_url", Some(Value::from("127.0.0.1:80"))),
        ("empty secret", "client_secret", Some(Value::from(""))),
        ("colon in id", "client_id", Some(Value::from("a:b"))),
        ("zero timeout", "timeout_ms", Some(Value::Integer(0))),
        ("typo", "client_secert", Some(Value::from("x"))),
    ];
    for (what, key, value) in broken {
        let mut table = good.clone();
        match value {
            Some(value) => table.insert(key.into(), value),
            None => table.remove(key),
        };
        let error = build(id(), table)
            .err()
            .unwrap_or_else(|| panic!("{what} accepted"));
        assert_eq!(error.source_id, SOURCE, "{what}");
        assert!(!error.message.contains("secret\""), "{what}: {error}");
    }
}

/// One canned HTTP answer of the fake platform.
#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.into(),
        }
    }

    fn token() -> Self {
        Self::new(
            200,
            r#"{"access_token":"fake-token","token_type":"Bearer","expires_in":300}"#,
        )
    }

    fn to_http(&self) -> String {
        format!(
            "HTTP/1.1 {} Canned\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{}",
            self.status,
            self.body.len(),
            self.body
        )
    }
}

/// A raw HTTP/1.1 platform giving canned answers on the token and holdings paths.
struct Fake {
    base_url: String,
    token_requests: Arc<AtomicUsize>,
    inquiries: Arc<AtomicUsize>,
}

impl Fake {
    async fn start(token: Reply, holdings: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let token_requests = Arc::new(AtomicUsize::new(0));
        let inquiries = Arc::new(AtomicUsize::new(0));
        let counters = (token_requests.clone(), inquiries.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (token, holdings) = (token.clone(), holdings.clone());
                let (token_requests, inquiries) = counters.clone();
                tokio::spawn(async move {
                    let Some(head) = read_request(&mut socket).await else {
                        return;
                    };
                    let reply = if head.starts_with("POST /oauth2/token ") {
                        token_requests.fetch_add(1, Ordering::SeqCst);
                        token
                    } else if head.starts_with("GET /v3/judicial/holdings?") {
                        inquiries.fetch_add(1, Ordering::SeqCst);
                        holdings
                    } else {
                        Reply::new(404, "not here")
                    };
                    let _ = socket.write_all(reply.to_http().as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            base_url,
            token_requests,
            inquiries,
        }
    }

    fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }

    fn inquiries(&self) -> usize {
        self.inquiries.load(Ordering::SeqCst)
    }
}

/// Reads one request (head and `content-length` body) and returns its head.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_string();
        let length = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            return Some(head);
        }
    }
}
