//! Assistance notices end to end: a judge asks the hub for the notice of a freeze and of a
//! deduction on it; the PDF's QR payload verifies against the demo hub's public instruction
//! key and states the order (amount, case, court, debtor, the hold, the case account); the
//! same notice comes back byte for byte; another court, unknown orders and malformed requests
//! are refused; every call is in the audit log. The PDF checks that need poppler skip with a
//! reason unless ASSETHUB_REQUIRE_POPPLER=1.

use assethub_mocks::demo_keys;
use assethub_mocks::population::{DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_notice::{verify_qr_text, PublicKeys, Signed};
use assethub_proto::v1 as pb;
use assethub_proto::v1::get_notice_request::Subject;
use assethub_proto::v1::notices_client::NoticesClient;
use assethub_tests::{
    bearer, demo_debtor, demo_person_query, instruction, token, Authed, Role, World, CASE,
    CASE_ACCOUNT, COURT, OTHER_COURT,
};
use std::process::Command;
use tonic::Code;

fn notices(world: &World, role: Role, court: &str) -> NoticesClient<Authed> {
    NoticesClient::with_interceptor(world.channel.clone(), bearer(&token(role, court)))
}

fn of_order(id: &str) -> pb::GetNoticeRequest {
    pb::GetNoticeRequest {
        subject: Some(Subject::OrderId(id.into())),
    }
}

fn hub_key() -> PublicKeys {
    let signer = demo_keys::instruction_signer();
    PublicKeys::default()
        .with(Some(demo_keys::INSTRUCTION_KEY_ID), &signer.public_key())
        .unwrap()
}

fn poppler() -> bool {
    let here = Command::new("pdftoppm").arg("-v").output().is_ok();
    if !here {
        assert!(
            std::env::var("ASSETHUB_REQUIRE_POPPLER").as_deref() != Ok("1"),
            "pdftoppm (Debian's poppler-utils) is missing and ASSETHUB_REQUIRE_POPPLER=1"
        );
        eprintln!("skipped the PDF checks: pdftoppm (poppler-utils) not installed");
    }
    here
}

#[tokio::test]
async fn a_judge_gets_the_signed_notice_of_a_freeze_and_of_a_deduction_on_it() {
    let mut world = World::start().await;
    let mut query = demo_person_query();
    query.kinds = vec![pb::AssetKind::Payment as i32];
    let found = world.client.query(query).await.unwrap().into_inner();
    let account = found.sources[0].assets[0].asset_ref.clone();
    let hold = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(CASE, "notice-freeze"),
            action: pb::OrderAction::Freeze as i32,
            asset_ref: account,
            debtor: demo_debtor(),
            amount_fen: 1_000,
            days: 0,
            currency: String::new(),
        })
        .await
        .unwrap()
        .into_inner();

    let mut judge = notices(&world, Role::Judge, COURT);
    let notice = judge
        .get_notice(of_order(&hold.order_id))
        .await
        .unwrap()
        .into_inner();
    assert!(notice.pdf.starts_with(b"%PDF"));
    assert_eq!(notice.title, "协助执行通知书");
    assert_eq!(notice.key_id, demo_keys::INSTRUCTION_KEY_ID);
    assert_eq!(notice.file_name, format!("notice-{}.pdf", hold.order_id));
    let payload = verify_qr_text(&notice.payload, &hub_key()).unwrap();
    let Signed::Instruction(fields) = &payload.body else {
        panic!("an order's notice signs its instruction");
    };
    assert_eq!(fields.key, hold.order_id);
    assert_eq!(fields.action, "freeze");
    assert_eq!(fields.amount_fen, 1_000);
    assert_eq!(fields.case, CASE);
    assert_eq!(fields.court, COURT);
    assert_eq!(fields.debtor_id, DEMO_PERSON_ID);
    assert_eq!(fields.debtor_name, DEMO_PERSON_NAME);
    assert_eq!(fields.ruling, format!("{CASE}之一"));
    assert_eq!(notice.signed_at, payload.signed_at);
    // Signed at the order's recorded time, so asking again gives the same document.
    let again = judge
        .get_notice(of_order(&hold.order_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.pdf, notice.pdf);
    // A supervisor's key the hub does not sign with: refused.
    let stranger = PublicKeys::default()
        .with(None, &base64_key([5u8; 32]))
        .unwrap();
    assert!(verify_qr_text(&notice.payload, &stranger).is_err());

    if poppler() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("notice.pdf");
        std::fs::write(&pdf, &notice.pdf).unwrap();
        let verified = assethub_notice::verify_file(&pdf, &hub_key()).unwrap();
        assert!(verified.printed_checked);
        assert_eq!(verified.payload, payload);
    }

    // A deduction on the hold: the notice names the agency's hold and the case account.
    let deduct = world
        .orders
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: instruction(CASE, "notice-deduct"),
            action: pb::OrderAction::Deduct as i32,
            order_id: hold.order_id.clone(),
            amount_fen: 400,
            case_account: String::new(),
            days: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let held = world
        .orders
        .get_order(pb::GetOrderRequest {
            order_id: hold.order_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let notice = judge
        .get_notice(of_order(&deduct.order_id))
        .await
        .unwrap()
        .into_inner();
    let payload = verify_qr_text(&notice.payload, &hub_key()).unwrap();
    let Signed::Instruction(fields) = &payload.body else {
        panic!("an order's notice signs its instruction");
    };
    assert_eq!(fields.action, "deduct");
    assert_eq!(fields.amount_fen, 400);
    assert_eq!(fields.into_account, CASE_ACCOUNT);
    assert!(!held.agency_ref.is_empty());
    assert_eq!(fields.hold, held.agency_ref);

    // Another court's judge, an unknown order, an unknown inquiry, nothing asked.
    let refused = notices(&world, Role::Judge, OTHER_COURT)
        .get_notice(of_order(&hold.order_id))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    let unknown = judge.get_notice(of_order("ord-none")).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    let inquiry = judge
        .get_notice(pb::GetNoticeRequest {
            subject: Some(Subject::InquiryId("inq-1".into())),
        })
        .await
        .unwrap_err();
    assert_eq!(inquiry.code(), Code::NotFound, "{inquiry:?}");
    for bad in [
        pb::GetNoticeRequest { subject: None },
        of_order(""),
        of_order(&"x".repeat(200)),
    ] {
        let status = judge.get_notice(bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    }

    // Every call is audited under its method.
    let mut auditor = pb::audit_client::AuditClient::with_interceptor(
        world.channel.clone(),
        bearer(&token(Role::Auditor, COURT)),
    );
    let entries = auditor
        .list_audit(pb::ListAuditRequest {
            method: "GetNotice".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 9, "{entries:?}");
    assert!(entries.iter().all(|e| e.method == "GetNotice"));
}

fn base64_key(seed: [u8; 32]) -> String {
    assethub_connectors::signature::InstructionSigner::from_seed(
        "other",
        &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, seed),
    )
    .unwrap()
    .public_key()
}

#[tokio::test]
async fn no_notice_is_issued_before_a_supervisor_approves_nor_after_a_rejection() {
    let mut world = World::start_with(assethub_tests::WorldOptions {
        tweak: Box::new(|config| {
            config.auth.approval = vec![assethub_hub::config::ApprovalRule {
                court: COURT.into(),
                above_fen: 100_000_000,
                seals: true,
                written_answers: false,
            }];
        }),
        ..Default::default()
    })
    .await;
    let mut query = demo_person_query();
    query.kinds = vec![pb::AssetKind::Vehicle as i32];
    let found = world.client.query(query).await.unwrap().into_inner();
    let cars: Vec<String> = found.sources[0]
        .assets
        .iter()
        .map(|a| a.asset_ref.clone())
        .collect();
    let seal = |key: &str, car: &str| pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(CASE, key),
        action: pb::OrderAction::Seal as i32,
        asset_ref: car.into(),
        debtor: demo_debtor(),
        amount_fen: 0,
        days: 30,
        currency: String::new(),
    };
    let first = world
        .orders
        .place_hold(seal("notice-seal-1", &cars[0]))
        .await
        .unwrap()
        .into_inner();
    let second = world
        .orders
        .place_hold(seal("notice-seal-2", &cars[1]))
        .await
        .unwrap()
        .into_inner();
    let mut judge = notices(&world, Role::Judge, COURT);
    let waiting = judge
        .get_notice(of_order(&first.order_id))
        .await
        .unwrap_err();
    assert_eq!(waiting.code(), Code::FailedPrecondition, "{waiting:?}");
    assert!(waiting.message().contains("approval"), "{waiting:?}");

    let (_, mut supervisor) = world.clients_as(Role::Supervisor, COURT);
    supervisor
        .decide_approval(pb::DecideApprovalRequest {
            order_id: first.order_id.clone(),
            approve: true,
            reason: String::new(),
        })
        .await
        .unwrap();
    supervisor
        .decide_approval(pb::DecideApprovalRequest {
            order_id: second.order_id.clone(),
            approve: false,
            reason: "证据不足".into(),
        })
        .await
        .unwrap();
    let approved = judge
        .get_notice(of_order(&first.order_id))
        .await
        .unwrap()
        .into_inner();
    let payload = verify_qr_text(&approved.payload, &hub_key()).unwrap();
    let Signed::Instruction(fields) = &payload.body else {
        panic!("an order's notice signs its instruction");
    };
    assert_eq!(fields.action, "seal");
    let rejected = judge
        .get_notice(of_order(&second.order_id))
        .await
        .unwrap_err();
    assert_eq!(rejected.code(), Code::FailedPrecondition, "{rejected:?}");
}

/// An off-line registry that has no record of a debtor answers the search with a ticket: the
/// inquiry is recorded, and its 协助查询通知书 is a notice signed by the hub whose QR names the
/// inquiry, the case, the debtor and the ticket; another court gets none.
#[tokio::test]
async fn an_inquiry_awaiting_an_off_line_agency_has_its_signed_inquiry_notice() {
    let world = World::start_with(assethub_tests::WorldOptions {
        tweak: Box::new(assethub_demo::offline::add),
        ..Default::default()
    })
    .await;
    let other = world.population.debtors()[7].clone();
    let mut query = assethub_tests::query(&other.id_number, &other.name);
    query.kind_names = vec!["real_estate".into()];
    let found = world
        .client
        .clone()
        .query(query)
        .await
        .unwrap()
        .into_inner();
    let pending = found
        .sources
        .iter()
        .find(|s| s.source == assethub_demo::offline::SOURCE)
        .expect("the off-line registry was asked");
    assert_eq!(
        pending.status,
        pb::SourceStatus::Pending as i32,
        "{pending:?}"
    );
    assert!(!pending.inquiry_id.is_empty() && !pending.ticket.is_empty());

    let mut judge = notices(&world, Role::Judge, COURT);
    let notice = judge
        .get_notice(pb::GetNoticeRequest {
            subject: Some(Subject::InquiryId(pending.inquiry_id.clone())),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(notice.pdf.starts_with(b"%PDF-"));
    assert_eq!(notice.title, "协助查询通知书");
    let payload = verify_qr_text(&notice.payload, &hub_key()).unwrap();
    let Signed::Inquiry(fields) = &payload.body else {
        panic!("an inquiry notice signs an inquiry: {payload:?}")
    };
    assert_eq!(fields.inquiry_id, pending.inquiry_id);
    assert_eq!(fields.case, CASE);
    assert_eq!(fields.debtor_id, other.id_number);
    assert_eq!(fields.ticket, pending.ticket);
    // Asked again: the same signed notice.
    let again = judge
        .get_notice(pb::GetNoticeRequest {
            subject: Some(Subject::InquiryId(pending.inquiry_id.clone())),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.payload, notice.payload);
    let refused = notices(&world, Role::Judge, OTHER_COURT)
        .get_notice(pb::GetNoticeRequest {
            subject: Some(Subject::InquiryId(pending.inquiry_id.clone())),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
}
