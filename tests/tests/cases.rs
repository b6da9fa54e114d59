//! Cases as the court's case system registers them, and the stories of every way around them
//! that a hostile insider tried: a search or a freeze under a case that exists nowhere, against
//! a debtor of another case or under another name, on a suspended or closed case; a case system
//! registering another court's case; re-registration with other content; and the audit of every
//! debtor a batch searched (查询留痕).

use assethub_mocks::population::{DEMO_PERSON_ID, DEMO_PERSON_NAME};
use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::{
    bearer, cases_client, demo_debtor, demo_person_query, instruction, query, token, Role, World,
    CASE, COURT, OTHER_COURT_CASE,
};
use futures::StreamExt;
use tonic::Code;
use tonic_types::StatusExt;

const INVENTED: &str = "(2024)鄂0116执7654321号";

/// The google.rpc.ErrorInfo reason of a refusal.
fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

fn in_case(case: &str, id: &str, name: &str) -> pb::QueryRequest {
    pb::QueryRequest {
        case_number: case.into(),
        ..query(id, name)
    }
}

fn debtor(id: &str, name: &str) -> (String, String) {
    (id.to_string(), name.to_string())
}

/// A fund account of the demo person (from a search under [`CASE`]).
async fn an_account(world: &mut World) -> String {
    let mut request = demo_person_query();
    request.kinds = vec![pb::AssetKind::Bank as i32];
    let response = world.client.query(request).await.unwrap().into_inner();
    response.sources[0].assets[0].asset_ref.clone()
}

#[tokio::test]
async fn a_case_that_exists_nowhere_finds_nothing_and_freezes_nothing() {
    let mut world = World::start().await;
    let account = an_account(&mut world).await;
    let asked_before = world.inquiries();
    let refused = world
        .client
        .query(in_case(INVENTED, DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert_eq!(reason(&refused), "CASE_NOT_REGISTERED");
    assert!(!refused.message().contains(DEMO_PERSON_ID));
    let freeze = world
        .orders
        .place_hold(pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(INVENTED, "invented-1"),
            action: pb::OrderAction::Freeze as i32,
            asset_ref: account,
            debtor: demo_debtor(),
            amount_fen: 10_000,
            days: 0,
            currency: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&freeze), "CASE_NOT_REGISTERED", "{freeze:?}");
    assert_eq!(world.inquiries(), asked_before, "no agency was asked");
    let orders = world
        .orders
        .list_orders(pb::ListOrdersRequest {
            case_number: INVENTED.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(orders.is_empty(), "nothing recorded: {orders:?}");
}

#[tokio::test]
async fn only_a_party_of_the_case_under_its_registered_name_can_be_searched() {
    let mut world = World::start().await;
    let other = world.population.debtors()[7].clone();
    world
        .register(
            "(2024)鄂0116执5100号",
            &[debtor(&other.id_number, &other.name)],
            100_000,
            "HB0116-ZX-2024-5100",
        )
        .await;
    // 张伟 is no debtor of that case.
    let refused = world
        .client
        .query(in_case(
            "(2024)鄂0116执5100号",
            DEMO_PERSON_ID,
            DEMO_PERSON_NAME,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "DEBTOR_NOT_A_PARTY", "{refused:?}");
    // The right number under another name is refused too, without echoing either.
    let refused = world
        .client
        .query(in_case("(2024)鄂0116执5100号", &other.id_number, "王五"))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "DEBTOR_NOT_A_PARTY");
    assert!(!refused.message().contains(&other.id_number) && !refused.message().contains("王五"));
    // The registered name with stray spaces is the same name.
    let spaced = format!(" {} ", other.name);
    world
        .client
        .query(in_case("(2024)鄂0116执5100号", &other.id_number, &spaced))
        .await
        .unwrap();
}

#[tokio::test]
async fn registering_is_idempotent_and_every_change_is_a_version() {
    let world = World::start().await;
    let mut cases = cases_client(&world.channel, COURT);
    let register = |claim_fen: i64| pb::RegisterCaseRequest {
        case_number: "（2024）鄂0116执5200号".into(),
        debtors: vec![pb::Debtor {
            id_number: DEMO_PERSON_ID.into(),
            name: DEMO_PERSON_NAME.into(),
        }],
        claim_fen,
        account: "HB0116-ZX-2024-5200".into(),
    };
    let first = cases
        .register_case(register(50_000_000))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.case_number, "(2024)鄂0116执5200号", "normalised");
    assert_eq!(
        (first.version, first.state),
        (1, pb::CaseState::Open as i32)
    );
    let again = cases
        .register_case(register(50_000_000))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.version, 1, "the same content again changes nothing");
    let other = cases.register_case(register(1)).await.unwrap_err();
    assert_eq!(other.code(), Code::AlreadyExists, "{other:?}");

    let reduced = cases
        .update_case(pb::UpdateCaseRequest {
            case_number: first.case_number.clone(),
            claim_fen: Some(46_000_000),
            reason: "partial recovery".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!((reduced.version, reduced.claim_fen), (2, 46_000_000));
    let company = world.population.debtors()[1].clone();
    let added = cases
        .update_case(pb::UpdateCaseRequest {
            case_number: first.case_number.clone(),
            expected_version: 2,
            add_debtors: vec![pb::Debtor {
                id_number: company.id_number.clone(),
                name: company.name.clone(),
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!((added.version, added.debtors.len()), (3, 2));
    // Based on an old version: refused, nothing changes.
    let stale = cases
        .update_case(pb::UpdateCaseRequest {
            case_number: first.case_number.clone(),
            expected_version: 2,
            claim_fen: Some(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);

    // A judge reads it with its history; a judge cannot change it.
    let mut judge = pb::cases_client::CasesClient::with_interceptor(
        world.channel.clone(),
        bearer(&token(Role::Judge, COURT)),
    );
    let read = judge
        .get_case(pb::GetCaseRequest {
            case_number: first.case_number.clone(),
            include_history: true,
        })
        .await
        .unwrap()
        .into_inner();
    let changes: Vec<&str> = read.history.iter().map(|v| v.change.as_str()).collect();
    assert_eq!(read.history.len(), 3, "{changes:?}");
    assert!(
        changes[1].contains("claim 500000.00 -> 460000.00 yuan: partial recovery"),
        "{changes:?}"
    );
    assert!(
        changes[2].contains("added 913501********0Y43"),
        "{changes:?}"
    );
    assert!(read
        .history
        .iter()
        .all(|v| v.actor.contains("case_system@鄂0116")));
    let denied = judge.register_case(register(50_000_000)).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // Another court's case system registers no case of this court.
    let mut elsewhere = cases_client(&world.channel, "鄂01");
    let denied = elsewhere
        .register_case(pb::RegisterCaseRequest {
            case_number: "(2024)鄂0116执5201号".into(),
            ..register(100)
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    // Bad content is refused field by field.
    let bad = cases
        .register_case(pb::RegisterCaseRequest {
            case_number: "(2024)鄂0116执5202号".into(),
            debtors: vec![],
            claim_fen: 0,
            account: "../ACCOUNT\n".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let fields: Vec<String> = bad
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["debtors", "claim_fen", "account"]);
}

#[tokio::test]
async fn a_suspended_or_closed_case_releases_its_holds_and_does_nothing_else() {
    let mut world = World::start().await;
    let case = "(2024)鄂0116执5300号";
    world
        .register(
            case,
            &[debtor(DEMO_PERSON_ID, DEMO_PERSON_NAME)],
            100_000_000,
            "HB0116-ZX-2024-5300",
        )
        .await;
    let account = an_account(&mut world).await;
    let freeze = |key: &str| pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(case, key),
        action: pb::OrderAction::Freeze as i32,
        asset_ref: account.clone(),
        debtor: demo_debtor(),
        amount_fen: 1_000,
        days: 30,
        currency: String::new(),
    };
    let hold = world
        .orders
        .place_hold(freeze("s-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hold.state, pb::OrderState::Effective as i32, "{hold:?}");
    let mut system = cases_client(&world.channel, COURT);
    let moved = system
        .update_case(pb::UpdateCaseRequest {
            case_number: case.into(),
            account: Some("ATTACKER-9".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(moved.code(), Code::FailedPrecondition, "{moved:?}");
    assert!(
        moved.message().contains("account cannot change"),
        "{moved:?}"
    );
    let state = |state: pb::CaseState| pb::UpdateCaseRequest {
        case_number: case.into(),
        state: state as i32,
        reason: "debtor has nothing more".into(),
        ..Default::default()
    };
    let suspended = system
        .update_case(state(pb::CaseState::Suspended))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(suspended.holds_in_force.len(), 1);
    let search = world
        .client
        .query(in_case(case, DEMO_PERSON_ID, DEMO_PERSON_NAME))
        .await
        .unwrap_err();
    assert_eq!(reason(&search), "CASE_NOT_OPEN");
    let another = world.orders.place_hold(freeze("s-2")).await.unwrap_err();
    assert_eq!(reason(&another), "CASE_NOT_OPEN");
    let act = |key: &str, action: pb::OrderAction| pb::ActOnHoldRequest {
        instruction: instruction(case, key),
        action: action as i32,
        order_id: hold.order_id.clone(),
        amount_fen: if action == pb::OrderAction::Deduct {
            100
        } else {
            0
        },
        case_account: String::new(),
        days: if action == pb::OrderAction::Renew {
            10
        } else {
            0
        },
    };
    // Suspended: holds must not lapse, so a renewal goes; a deduction does not.
    let renewed = world
        .orders
        .act_on_hold(act("s-3", pb::OrderAction::Renew))
        .await
        .unwrap();
    assert_eq!(renewed.into_inner().state, pb::OrderState::Effective as i32);
    let deduct = world
        .orders
        .act_on_hold(act("s-4", pb::OrderAction::Deduct))
        .await
        .unwrap_err();
    assert_eq!(reason(&deduct), "CASE_NOT_OPEN");
    // Closed: the answer lists the hold still in force; only its release goes.
    let closed = system
        .update_case(state(pb::CaseState::Closed))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.holds_in_force.len(), 1);
    assert_eq!(closed.holds_in_force[0].order_id, hold.order_id);
    let renew = world
        .orders
        .act_on_hold(act("s-5", pb::OrderAction::Renew))
        .await
        .unwrap_err();
    assert_eq!(reason(&renew), "CASE_NOT_OPEN");
    let released = world
        .orders
        .act_on_hold(act("s-6", pb::OrderAction::Release))
        .await
        .unwrap();
    assert_eq!(
        released.into_inner().state,
        pb::OrderState::Effective as i32
    );
    // Where its money goes cannot move while the case holds anything.
    let moved = system
        .update_case(pb::UpdateCaseRequest {
            case_number: case.into(),
            account: Some("ATTACKER-9".into()),
            ..Default::default()
        })
        .await;
    assert!(moved.is_ok(), "released: nothing held any more: {moved:?}");
    let reopen = system
        .update_case(state(pb::CaseState::Open))
        .await
        .unwrap_err();
    assert_eq!(
        reopen.code(),
        Code::FailedPrecondition,
        "a closed case stays closed"
    );
}

#[tokio::test]
async fn every_debtor_a_batch_searches_leaves_an_audit_entry_refused_ones_too() {
    let world = World::start().await;
    let debtors = world.population.debtors();
    let mut items: Vec<pb::BatchItem> = debtors[..20]
        .iter()
        .map(|d| pb::BatchItem {
            case_number: CASE.into(),
            debtor: Some(pb::Debtor {
                id_number: d.id_number.clone(),
                name: d.name.clone(),
            }),
        })
        .collect();
    // Refused: a case of another court, a case that exists nowhere, an invalid number.
    let person = pb::Debtor {
        id_number: DEMO_PERSON_ID.into(),
        name: DEMO_PERSON_NAME.into(),
    };
    for case in [OTHER_COURT_CASE, INVENTED] {
        items.push(pb::BatchItem {
            case_number: case.into(),
            debtor: Some(person.clone()),
        });
    }
    items.push(pb::BatchItem {
        case_number: CASE.into(),
        debtor: Some(pb::Debtor {
            id_number: "123".into(),
            name: "某".into(),
        }),
    });
    let total = items.len();
    let mut stream = world
        .client
        .clone()
        .batch_query(pb::BatchQueryRequest {
            items,
            item_deadline_ms: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut reasons = Vec::new();
    while let Some(item) = stream.next().await {
        if let Some(pb::batch_item_result::Outcome::Error(e)) = item.unwrap().outcome {
            reasons.push((e.code, e.reason));
        }
    }
    reasons.sort();
    assert_eq!(
        reasons,
        [
            (
                "FAILED_PRECONDITION".to_string(),
                "CASE_NOT_REGISTERED".to_string()
            ),
            ("INVALID_ARGUMENT".to_string(), String::new()),
            ("PERMISSION_DENIED".to_string(), String::new()),
        ]
    );
    let mut auditor =
        AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)));
    let entries = auditor
        .list_audit(pb::ListAuditRequest {
            method: "BatchQuery.item".into(),
            limit: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), total, "one entry per debtor");
    let searched: Vec<_> = entries.iter().filter(|e| e.outcome == "OK").collect();
    assert_eq!(searched.len(), 20);
    assert!(searched
        .iter()
        .all(|e| e.case_number == CASE && e.debtor_ref.len() == 32));
    // The 20 searched debtors are 20 different keyed references.
    let mut refs: Vec<&str> = searched.iter().map(|e| e.debtor_ref.as_str()).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 20);
    let refused: Vec<&str> = entries
        .iter()
        .filter(|e| e.outcome != "OK")
        .map(|e| e.outcome.as_str())
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    // The auditor's own reading is audited too.
    let reads = auditor
        .list_audit(pb::ListAuditRequest {
            method: "ListAudit".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(!reads.is_empty(), "the auditor's reads leave a trace");
    assert_eq!(reads[0].role, "auditor");
}
