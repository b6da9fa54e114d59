//! The remote connector against a fake securities depository served over
//! `assethub.connector.v1` in the test ([`agency`]): description, queries (found, not found,
//! name mismatch, by ticket), control by quantity and its status, notifications, and every
//! way a connector can fail — each gRPC code against a table written here, the protocol's
//! error details, deadlines, a closed port, malformed answers and another protocol version.

mod agency;
mod tls;

use crate::connector::{CallContext, Capability, Connector, QueryAnswer};
use crate::control::{ControlAction, ControlInstruction, HoldStatus};
use crate::domain::{
    AssetDetail, AssetKind, AttributeValue, CaseNumber, CivilDate, Debtor, DebtorId, Fen, HoldUnit,
    LegalClass, SourceId,
};
use crate::error::ErrorClass;

use crate::ConnectorFactory;
use agency::{Mode, COMPANY_ID, COMPANY_NAME, PERSON_ID, PERSON_NAME, TICKET};
use assethub_proto::connector::v1 as wire;
use std::sync::Arc;
use std::time::Duration;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

const CASE: &str = "(2024)鄂0116执1234号";

fn settings(address: &str, timeout_ms: u64) -> toml::Table {
    toml::from_str(&format!(
        "address = \"{address}\"\ntimeout_ms = {timeout_ms}\n[settings]\nmember_code = \"B001\"\n"
    ))
    .unwrap()
}

async fn connect(depository: &agency::Running) -> Arc<dyn Connector> {
    super::RemoteFactory
        .build(
            SourceId::new("csdc").unwrap(),
            settings(&depository.address(), 2_000),
        )
        .await
        .expect("the remote connector describes itself")
}

fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse(CASE).unwrap(),
        request_id: "req-1".into(),
    }
}

fn debtor(id: &str, name: &str) -> Debtor {
    Debtor {
        id: DebtorId::parse(id).unwrap(),
        name: name.into(),
    }
}

fn person() -> Debtor {
    debtor(PERSON_ID, PERSON_NAME)
}

fn signed(key: &str, asset: &str, action: ControlAction) -> ControlInstruction {
    let mut instruction = ControlInstruction {
        key: key.into(),
        case: CaseNumber::parse(CASE).unwrap(),
        ruling: format!("{CASE}之一"),
        officer: "王法官".into(),
        asset: asset.into(),
        debtor: person(),
        action,
        signature: None,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    instruction.signature =
        Some(assethub_mocks::demo_keys::instruction_signer().sign(&instruction, now));
    instruction
}

fn freeze(key: &str, quantity: u64) -> ControlInstruction {
    let until = CivilDate::parse("2027-06-30").unwrap();
    signed(
        key,
        "A123456789:600000",
        ControlAction::FreezeQuantity { quantity, until },
    )
}

#[tokio::test]
async fn the_description_registers_the_kind_with_its_rules_and_the_capabilities() {
    let depository = agency::start(1).await;
    let connector = connect(&depository).await;
    let securities = AssetKind::lookup("securities").expect("registered at build");
    assert_eq!(connector.kind(), securities);
    assert_eq!(connector.connector_type(), "remote");
    let spec = connector
        .kind_spec()
        .expect("a remote connector describes its kind");
    assert_eq!(spec.kind, securities);
    assert_eq!(spec.label, "证券");
    assert_eq!(spec.class, LegalClass::OtherRights);
    assert_eq!(spec.unit, HoldUnit::Units("shares".into()));
    // max_days 0: the class's default, three years for other property rights.
    assert_eq!(spec.max_days, 1095);
    assert!(!spec.holds_money);
    use Capability::*;
    assert_eq!(spec.actions, vec![Freeze, Release, Renew]);
    // "teleport" is no capability this hub knows: left out, not fatal.
    assert_eq!(
        connector.capabilities(),
        &[Query, Freeze, Release, Renew, Watch]
    );
    let sent: serde_json::Value = serde_json::from_str(&depository.state().settings_json).unwrap();
    assert_eq!(sent, serde_json::json!({"member_code": "B001"}));
    assert_eq!(connector.check().await, Ok(()));
}

#[tokio::test]
async fn another_protocol_version_is_refused_at_build() {
    let depository = agency::start(2).await;
    let error = super::RemoteFactory
        .build(
            SourceId::new("csdc").unwrap(),
            settings(&depository.address(), 2_000),
        )
        .await
        .err()
        .expect("refused");
    assert_eq!(error.source_id, "csdc");
    assert!(error.message.contains("protocol version 2"), "{error}");
    assert!(error.message.contains("version 1 only"), "{error}");
}

#[tokio::test]
async fn a_connector_that_cannot_be_reached_or_refuses_its_settings_stops_the_build() {
    let depository = agency::start(1).await;
    let address = depository.address();
    depository.stop().await;
    let error = super::RemoteFactory
        .build(SourceId::new("csdc").unwrap(), settings(&address, 2_000))
        .await
        .err()
        .expect("refused");
    assert!(
        error.message.contains("could not describe itself"),
        "{error}"
    );

    let depository = agency::start(1).await;
    depository.set_mode(Mode::Fail(Status::invalid_argument("member_code unknown")));
    let error = super::RemoteFactory
        .build(
            SourceId::new("csdc").unwrap(),
            settings(&depository.address(), 2_000),
        )
        .await
        .err()
        .expect("refused");
    assert!(error.message.contains("refused its settings"), "{error}");
    assert!(error.message.contains("member_code unknown"), "{error}");
}

#[tokio::test]
async fn queries_answer_found_not_found_name_mismatch_and_pending_then_by_ticket() {
    let depository = agency::start(1).await;
    let connector = connect(&depository).await;
    let Ok(QueryAnswer::Found(assets)) = connector.query(&ctx(), &person()).await else {
        panic!("张伟 holds positions");
    };
    assert_eq!(assets.len(), 2);
    let first = &assets[0];
    assert_eq!(first.asset_ref.to_string(), "csdc:A123456789:600000");
    let AssetDetail::Other(position) = &first.detail else {
        panic!("a generic detail");
    };
    assert_eq!(position.kind.as_str(), "securities");
    assert_eq!(position.title, "600000 浦发银行");
    assert_eq!(position.quantity, Some(20_000));
    assert_eq!(position.frozen_quantity, Some(1_000));
    assert_eq!(position.value, Some(Fen(1_234_500)));
    let values: Vec<(&str, &AttributeValue)> = position
        .attributes
        .iter()
        .map(|a| (a.key.as_str(), &a.value))
        .collect();
    assert_eq!(
        values,
        vec![
            ("security_code", &AttributeValue::Text("600000".into())),
            ("quantity", &AttributeValue::Integer(20_000)),
            ("market_value", &AttributeValue::Money(Fen(1_234_500))),
            ("listed_on", &AttributeValue::Date("1999-11-10".into())),
            ("tradable", &AttributeValue::Flag(true)),
        ]
    );
    assert_eq!(position.attributes[1].unit, "shares");
    // The per-attempt timeout travels as the gRPC deadline.
    let deadline = depository
        .state()
        .last_deadline
        .clone()
        .expect("a deadline");
    assert!(
        deadline.ends_with('m') || deadline.ends_with('u'),
        "{deadline}"
    );

    let answer = connector.query(&ctx(), &debtor(PERSON_ID, "张三")).await;
    assert_eq!(answer, Ok(QueryAnswer::NameMismatch));
    let nobody = debtor("110105194912310038", "李四");
    assert_eq!(
        connector.query(&ctx(), &nobody).await,
        Ok(QueryAnswer::NotFound)
    );

    let answer = connector
        .query(&ctx(), &debtor(COMPANY_ID, COMPANY_NAME))
        .await;
    assert_eq!(
        answer,
        Ok(QueryAnswer::Pending {
            ticket: TICKET.into(),
            expected_in: Some(Duration::from_secs(30)),
        })
    );
    let Ok(QueryAnswer::Found(later)) = connector.query_status(&ctx(), TICKET).await else {
        panic!("the ticket is answered");
    };
    assert_eq!(later[0].asset_ref.local, "B987654321:601398");
    let unknown = connector.query_status(&ctx(), "tk-none").await.unwrap_err();
    assert_eq!(unknown.class, ErrorClass::Rejected, "{unknown}");
}

#[tokio::test]
async fn a_freeze_by_quantity_is_signed_idempotent_and_its_status_known_by_key() {
    let depository = agency::start(1).await;
    let connector = connect(&depository).await;
    let answer = connector
        .control(&ctx(), &freeze("k-1", 12_000))
        .await
        .unwrap();
    assert_eq!(answer.status, HoldStatus::Effective);
    assert_eq!(answer.hold, "H-1");
    assert_eq!(answer.held_quantity, 12_000);
    assert_eq!(answer.held, Fen(0));
    assert_eq!(answer.until, Some(CivilDate::parse("2027-06-30").unwrap()));
    // Sent again with the same key: the same answer, nothing frozen twice.
    let again = connector
        .control(&ctx(), &freeze("k-1", 12_000))
        .await
        .unwrap();
    assert_eq!(again, answer);
    assert_eq!(depository.state().holds.len(), 1);
    // More than is free: what is free, and the agency's words.
    let partial = connector
        .control(&ctx(), &freeze("k-2", 50_000))
        .await
        .unwrap();
    assert_eq!(partial.held_quantity, 19_000);
    assert_eq!(partial.message, "only 19000 shares free");

    assert_eq!(
        connector.control_status(&ctx(), "k-1").await,
        Ok(Some(answer))
    );
    assert_eq!(
        connector.control_status(&ctx(), "k-unknown").await,
        Ok(None)
    );

    let release = signed(
        "k-3",
        "A123456789:600000",
        ControlAction::Release { hold: "H-1".into() },
    );
    let released = connector.control(&ctx(), &release).await.unwrap();
    assert_eq!(released.status, HoldStatus::Released);
    let stray = signed(
        "k-4",
        "A123456789:600000",
        ControlAction::Release {
            hold: "H-404".into(),
        },
    );
    let refused = connector.control(&ctx(), &stray).await.unwrap_err();
    assert_eq!(refused.class, ErrorClass::Rejected);

    // An instruction altered after signing is refused by the agency (its signature check).
    let mut altered = freeze("k-5", 100);
    altered.action = ControlAction::FreezeQuantity {
        quantity: 19_000,
        until: CivilDate::parse("2027-06-30").unwrap(),
    };
    let error = connector.control(&ctx(), &altered).await.unwrap_err();
    assert_eq!(error.class, ErrorClass::Auth, "{error}");
}

#[tokio::test]
async fn notifications_give_the_sightings_and_the_cursor() {
    let depository = agency::start(1).await;
    let connector = connect(&depository).await;
    let page = connector.sightings("").await.unwrap();
    assert_eq!(page.cursor, "c-3");
    assert_eq!(page.sightings.len(), 1, "the query_ready is no sighting");
    assert_eq!(page.sightings[0].hold, "W-1");
    assert_eq!(page.sightings[0].plate, "鄂A12345");
    let next = connector.sightings(&page.cursor).await.unwrap();
    assert!(next.sightings.is_empty());
    // The same feed read for answered inquiries: the query_ready's ticket only.
    let ready = connector.ready_tickets("").await.unwrap();
    assert_eq!(ready.tickets, vec![agency::TICKET.to_string()]);
    assert_eq!(ready.cursor, "c-3");
    assert!(connector
        .ready_tickets(&ready.cursor)
        .await
        .unwrap()
        .tickets
        .is_empty());
}

#[tokio::test]
async fn each_grpc_code_means_the_class_the_protocol_table_gives() {
    // connector.proto's table, written out independently of the code under test.
    let table = [
        (Code::Unavailable, ErrorClass::Connect, true),
        (Code::DeadlineExceeded, ErrorClass::Timeout, true),
        (Code::ResourceExhausted, ErrorClass::RateLimited, true),
        (Code::Internal, ErrorClass::Server, true),
        (Code::Unknown, ErrorClass::Server, true),
        (Code::Unauthenticated, ErrorClass::Auth, false),
        (Code::PermissionDenied, ErrorClass::Auth, false),
        (Code::InvalidArgument, ErrorClass::Rejected, false),
        (Code::FailedPrecondition, ErrorClass::Rejected, false),
        (Code::NotFound, ErrorClass::Rejected, false),
        (Code::DataLoss, ErrorClass::Malformed, false),
        (Code::Unimplemented, ErrorClass::Unsupported, false),
    ];
    let depository = agency::start(1).await;
    let connector = connect(&depository).await;
    for (code, class, retryable) in table {
        depository.set_mode(Mode::Fail(Status::new(code, "agency says no")));
        let error = connector.query(&ctx(), &person()).await.unwrap_err();
        assert_eq!(error.class, class, "{code:?}: {error}");
        assert_eq!(error.is_retryable(), retryable, "{code:?}");
        assert!(error.message.contains("agency says no"), "{error}");
        assert_eq!(error.retry_after, None);
        let error = connector
            .control(&ctx(), &freeze("k-e", 1))
            .await
            .unwrap_err();
        assert_eq!(error.class, class, "control, {code:?}");
    }
}

#[tokio::test]
async fn error_details_override_the_class_and_carry_retry_after_without_personal_data() {
    let depository = agency::start(1).await;
    let connector = connect(&depository).await;
    let throttled = Status::with_error_details(
        Code::ResourceExhausted,
        "quota of member B001 exhausted",
        ErrorDetails::with_retry_info(Some(Duration::from_secs(3))),
    );
    depository.set_mode(Mode::Fail(throttled));
    let error = connector.query(&ctx(), &person()).await.unwrap_err();
    assert_eq!(error.class, ErrorClass::RateLimited);
    assert_eq!(error.retry_after, Some(Duration::from_secs(3)));

    let mut details = ErrorDetails::with_error_info("REJECTED", "assethub.connector.v1", []);
    details.set_retry_info(Some(Duration::from_millis(1500)));
    let overridden = Status::with_error_details(Code::Internal, "account closed", details);
    depository.set_mode(Mode::Fail(overridden));
    let error = connector.query(&ctx(), &person()).await.unwrap_err();
    assert_eq!(
        error.class,
        ErrorClass::Rejected,
        "the reason wins: {error}"
    );
    assert_eq!(error.retry_after, Some(Duration::from_millis(1500)));
    // Another domain's reasons are not the protocol's.
    let foreign = Status::with_error_details(
        Code::Internal,
        "boom",
        ErrorDetails::with_error_info("REJECTED", "example.com", []),
    );
    depository.set_mode(Mode::Fail(foreign));
    let error = connector.query(&ctx(), &person()).await.unwrap_err();
    assert_eq!(error.class, ErrorClass::Server);

    let leaky = format!("{PERSON_NAME} {PERSON_ID} not allowed; {}", "x".repeat(400));
    depository.set_mode(Mode::Fail(Status::invalid_argument(leaky)));
    let error = connector.query(&ctx(), &person()).await.unwrap_err();
    assert!(!error.message.contains(PERSON_ID), "{error}");
    assert!(!error.message.contains(PERSON_NAME), "{error}");
    assert!(error.message.contains("110105********002X"), "{error}");
    assert!(error.message.chars().count() < 300, "bounded: {error}");
}

#[tokio::test]
async fn a_slow_connector_times_out_and_a_closed_port_is_a_connect_error() {
    let depository = agency::start(1).await;
    let connector = super::RemoteFactory
        .build(
            SourceId::new("csdc").unwrap(),
            settings(&depository.address(), 300),
        )
        .await
        .unwrap();
    depository.set_mode(Mode::Slow(Duration::from_secs(3)));
    let started = std::time::Instant::now();
    let error = connector.query(&ctx(), &person()).await.unwrap_err();
    assert_eq!(error.class, ErrorClass::Timeout, "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    depository.set_mode(Mode::Normal);
    depository.stop().await;
    let error = connector.query(&ctx(), &person()).await.unwrap_err();
    assert_eq!(error.class, ErrorClass::Connect, "{error}");
    assert!(error.is_retryable());
}

fn asset(local_id: &str) -> wire::Asset {
    let mut asset = agency::person_positions().remove(0);
    asset.local_id = local_id.into();
    asset
}

fn found(assets: Vec<wire::Asset>) -> wire::QueryResponse {
    wire::QueryResponse {
        answer: Some(wire::query_response::Answer::Found(wire::Found { assets })),
    }
}

#[tokio::test]
async fn malformed_answers_are_malformed_errors() {
    use wire::attribute::Value;
    let with = |change: fn(&mut wire::Asset)| {
        let mut a = asset("A1:600000");
        change(&mut a);
        found(vec![a])
    };
    let queries = [
        ("no answer at all", wire::QueryResponse { answer: None }),
        ("a path in the local id", found(vec![asset("../etc")])),
        ("a space in the local id", found(vec![asset("A1 600000")])),
        ("an empty local id", found(vec![asset("")])),
        ("a local id too long", found(vec![asset(&"9".repeat(129))])),
        ("a local id twice", found(vec![asset("A1"), asset("A1")])),
        ("a negative value", with(|a| a.value_fen = Some(-1))),
        (
            "more frozen than held",
            with(|a| a.frozen_quantity = Some(20_001)),
        ),
        ("no title", with(|a| a.title = " ".into())),
        (
            "a date that is no date",
            with(|a| a.attributes[3].value = Some(Value::Date("2024-02-30".into()))),
        ),
        (
            "a compact date",
            with(|a| a.attributes[3].value = Some(Value::Date("20240201".into()))),
        ),
        (
            "negative money",
            with(|a| a.attributes[2].value = Some(Value::MoneyFen(-5))),
        ),
        (
            "an attribute without value",
            with(|a| a.attributes[0].value = None),
        ),
        (
            "an attribute key in capitals",
            with(|a| a.attributes[0].key = "Code".into()),
        ),
        (
            "a ticket with a slash",
            wire::QueryResponse {
                answer: Some(wire::query_response::Answer::Pending(wire::Pending {
                    ticket: "a/b".into(),
                    expected_in_seconds: 0,
                })),
            },
        ),
    ];
    let depository = agency::start(1).await;
    let connector = connect(&depository).await;
    for (what, answer) in queries {
        depository.set_mode(Mode::Answer(answer));
        let error = connector.query(&ctx(), &person()).await.unwrap_err();
        assert_eq!(error.class, ErrorClass::Malformed, "{what}: {error}");
        assert!(!error.message.contains(PERSON_ID), "{what}: {error}");
    }
    let effective = || wire::ControlAnswer {
        hold: "H-1".into(),
        status: wire::HoldStatus::Effective as i32,
        ..Default::default()
    };
    let controls = [
        (
            "an unspecified status",
            wire::ControlAnswer {
                status: 0,
                ..effective()
            },
        ),
        (
            "an unknown status",
            wire::ControlAnswer {
                status: 99,
                ..effective()
            },
        ),
        (
            "queued at position 0",
            wire::ControlAnswer {
                status: 3,
                ..effective()
            },
        ),
        (
            "no hold",
            wire::ControlAnswer {
                hold: String::new(),
                ..effective()
            },
        ),
        (
            "negative fen held",
            wire::ControlAnswer {
                held_fen: -1,
                ..effective()
            },
        ),
        (
            "negative fen deducted",
            wire::ControlAnswer {
                deducted_fen: -1,
                ..effective()
            },
        ),
        (
            "an end date that is no date",
            wire::ControlAnswer {
                until: "2027-13-01".into(),
                ..effective()
            },
        ),
    ];
    for (what, answer) in controls {
        depository.set_mode(Mode::Control(answer));
        let error = connector
            .control(&ctx(), &freeze("k-m", 1))
            .await
            .unwrap_err();
        assert_eq!(error.class, ErrorClass::Malformed, "{what}: {error}");
    }
    // A refusal before any hold was made is well formed.
    depository.set_mode(Mode::Control(wire::ControlAnswer {
        hold: String::new(),
        status: wire::HoldStatus::Rejected as i32,
        message: format!("{PERSON_NAME} is not the holder"),
        ..Default::default()
    }));
    let refused = connector.control(&ctx(), &freeze("k-r", 1)).await.unwrap();
    assert_eq!(refused.status, HoldStatus::Rejected);
    assert_eq!(refused.message, "张* is not the holder");
}
