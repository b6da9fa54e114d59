//! The money rules end to end, each story the way a hostile insider or a hurried court tried to
//! get around them, on SQLite and (when `ASSETHUB_TEST_PG_URL` is set) PostgreSQL: four-eyes
//! by case (split freezes, split deductions), by identity (self-approval under another display
//! name), deductions only into the case's account, foreign currency only at a configured rate,
//! renewals that do not stack, racing freezes of one account, crossing answers on one hold, a
//! freeze report whose figures add up, and a hold lifted at the counter found by
//! reconciliation. Oracles are the agencies' own registers and figures computed here.

use assethub_hub::auth::Claims;
use assethub_hub::config::{ApprovalRule, RateConfig};
use assethub_mocks::population::{DEMO_COMPANY_ID, DEMO_COMPANY_NAME};
use assethub_mocks::{FamilySettings, FaultRule};
use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::invariants;
use assethub_tests::{
    bearer, demo_debtor, instruction, ledger_backends, token, wait_with, Role, World, WorldOptions,
    CASE, CASE_ACCOUNT, COURT,
};
use std::time::Duration;
use tonic::Code;

type Orders = pb::orders_client::OrdersClient<assethub_tests::Authed>;

/// 100,000.00 yuan: the court's four-eyes threshold in these stories.
const ABOVE_FEN: i64 = 10_000_000;

fn four_eyes(config: &mut assethub_hub::HubConfig) {
    config.auth.approval = vec![ApprovalRule {
        court: COURT.into(),
        above_fen: ABOVE_FEN,
        seals: true,
        written_answers: false,
    }];
}

fn usd_rate(config: &mut assethub_hub::HubConfig) {
    config.control.exchange_rates.insert(
        "USD".into(),
        RateConfig {
            cny_per_unit: "7.1234".into(),
            date: "2026-11-30".into(),
        },
    );
}

/// A world on `ledger` whose banks decide freezes after 20 ms, with `tweak` applied.
async fn world(ledger: Option<String>, tweak: fn(&mut assethub_hub::HubConfig)) -> World {
    World::start_with(WorldOptions {
        ledger_url: ledger,
        tweak: Box::new(tweak),
        tweak_agencies: Box::new(|agencies| {
            for agency in agencies.iter_mut() {
                if let FamilySettings::Bank(bank) = &mut agency.settings {
                    bank.freeze_decision_ms = 20;
                }
            }
        }),
        ..WorldOptions::default()
    })
    .await
}

/// Fund accounts of `debtor` under `case`, fresh: (asset_ref, currency, available), largest
/// available first.
async fn accounts(
    world: &mut World,
    case: &str,
    debtor: &pb::Debtor,
) -> Vec<(String, String, i64)> {
    let response = world
        .client
        .query(pb::QueryRequest {
            kind_names: Default::default(),
            case_number: case.into(),
            debtor: Some(debtor.clone()),
            kinds: vec![pb::AssetKind::Bank as i32, pb::AssetKind::Payment as i32],
            fresh: true,
            deadline_ms: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    for asset in response.sources.iter().flat_map(|s| s.assets.iter()) {
        match &asset.detail {
            Some(pb::asset::Detail::Deposit(d)) => out.push((
                asset.asset_ref.clone(),
                d.currency.clone(),
                d.balance_fen - d.frozen_fen,
            )),
            Some(pb::asset::Detail::PaymentBalance(p)) => out.push((
                asset.asset_ref.clone(),
                "CNY".into(),
                p.balance_fen - p.frozen_fen,
            )),
            _ => {}
        }
    }
    out.sort_by_key(|(_, _, available)| std::cmp::Reverse(*available));
    out
}

fn person() -> pb::Debtor {
    demo_debtor().unwrap()
}

fn freeze(case: &str, key: &str, asset: &str, amount_fen: i64) -> pb::PlaceHoldRequest {
    pb::PlaceHoldRequest {
        quantity: Default::default(),
        instruction: instruction(case, key),
        action: pb::OrderAction::Freeze as i32,
        asset_ref: asset.into(),
        debtor: demo_debtor(),
        amount_fen,
        days: 30,
        currency: String::new(),
    }
}

fn act(key: &str, action: pb::OrderAction, order: &str, amount_fen: i64) -> pb::ActOnHoldRequest {
    pb::ActOnHoldRequest {
        instruction: instruction(CASE, key),
        action: action as i32,
        order_id: order.into(),
        amount_fen,
        case_account: String::new(),
        days: 0,
    }
}

fn state(order: &pb::Order) -> pb::OrderState {
    pb::OrderState::try_from(order.state).unwrap_or(pb::OrderState::Unspecified)
}

/// The freeze `order_id` once the agency decided it.
/// Places a hold that must be accepted (recorded, whatever the agency answers).
async fn placed(orders: &mut Orders, request: pb::PlaceHoldRequest) -> pb::Order {
    orders.place_hold(request).await.unwrap().into_inner()
}

async fn effective(orders: &mut Orders, order_id: &str) -> pb::Order {
    wait_with(orders, order_id, pb::OrderState::Effective).await
}

#[tokio::test]
async fn three_freezes_just_under_the_threshold_cannot_avoid_four_eyes() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = world(ledger, four_eyes).await;
        let found = accounts(&mut world, CASE, &person()).await;
        let mut states = Vec::new();
        for (n, (asset, _, available)) in found.iter().take(3).enumerate() {
            assert!(*available >= 9_999_999, "{backend}: {asset} holds enough");
            let order = placed(
                &mut world.orders,
                freeze(CASE, &format!("split-{n}"), asset, 9_999_999),
            )
            .await;
            states.push(state(&order));
        }
        assert_eq!(states[0], pb::OrderState::Effective, "{backend}");
        assert_eq!(
            &states[1..],
            [
                pb::OrderState::AwaitingApproval,
                pb::OrderState::AwaitingApproval
            ],
            "{backend}: the case would hold 199,999.98 yuan"
        );
    }
}

#[tokio::test]
async fn deductions_wait_for_four_eyes_and_go_only_into_the_case_account() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = world(ledger, four_eyes).await;
        let (asset, _, _) = accounts(&mut world, CASE, &person()).await.remove(0);
        // A freeze of 150,000.00 yuan waits for a supervisor, who approves it.
        let hold = placed(
            &mut world.orders,
            freeze(CASE, "d-freeze", &asset, 15_000_000),
        )
        .await;
        assert_eq!(state(&hold), pb::OrderState::AwaitingApproval, "{backend}");
        let (_, mut supervisor) = world.clients_as(Role::Supervisor, COURT);
        supervisor
            .decide_approval(pb::DecideApprovalRequest {
                order_id: hold.order_id.clone(),
                approve: true,
                reason: String::new(),
            })
            .await
            .unwrap();
        let hold = effective(&mut world.orders, &hold.order_id).await;
        // The attack: the frozen money into an account the caller names.
        let mut elsewhere = act("d-1", pb::OrderAction::Deduct, &hold.order_id, 15_000_000);
        elsewhere.case_account = "ANY-ACCOUNT-I-LIKE-001".into();
        let refused = world.orders.act_on_hold(elsewhere).await.unwrap_err();
        assert_eq!(
            refused.code(),
            Code::FailedPrecondition,
            "{backend}: {refused:?}"
        );
        assert!(
            refused.message().contains("registered account"),
            "{refused:?}"
        );
        // A small deduction from a case holding more than the threshold waits too.
        let small = world
            .orders
            .act_on_hold(act("d-2", pb::OrderAction::Deduct, &hold.order_id, 100_000))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(state(&small), pb::OrderState::AwaitingApproval, "{backend}");
        assert_eq!(small.case_account, CASE_ACCOUNT);
        let deducted = supervisor
            .decide_approval(pb::DecideApprovalRequest {
                order_id: small.order_id.clone(),
                approve: true,
                reason: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let deducted = if state(&deducted) == pb::OrderState::Effective {
            deducted
        } else {
            effective(&mut world.orders, &small.order_id).await
        };
        assert_eq!(
            (deducted.deducted_fen, deducted.case_account.as_str()),
            (100_000, CASE_ACCOUNT)
        );
        assert!(
            deducted.approver_id.ends_with("supervisor@鄂0116"),
            "{deducted:?}"
        );
        // The agency moved exactly that, and the audit names where the money went.
        agencies_agree(&world, backend).await;
        let mut auditor = AuditClient::with_interceptor(
            world.channel.clone(),
            bearer(&token(Role::Auditor, COURT)),
        );
        let sent: Vec<pb::AuditRecord> = auditor
            .list_audit(pb::ListAuditRequest {
                limit: 1_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries
            .into_iter()
            .filter(|e| e.method.ends_with(":deduct"))
            .collect();
        assert_eq!(sent.len(), 1, "{backend}: one deduction reached an agency");
        assert!(
            sent[0].detail.contains(&format!("into {CASE_ACCOUNT}")),
            "{:?}",
            sent[0]
        );
        assert_eq!(sent[0].outcome, "effective");
    }
}

/// A token of the demo issuer for a supervisor of [`COURT`] with this subject and name.
fn supervisor_token(sub: &str, officer: &str) -> String {
    let now = assethub_hub::auth::now_secs();
    assethub_demo::token_issuer().issue(&Claims {
        iss: String::new(),
        sub: sub.into(),
        officer: officer.into(),
        court: COURT.into(),
        role: Role::Supervisor,
        jti: String::new(),
        iat: now,
        exp: now + 3_600,
    })
}

#[tokio::test]
async fn nobody_approves_their_own_order_under_another_display_name() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = world(ledger, four_eyes).await;
        let (asset, _, _) = accounts(&mut world, CASE, &person()).await.remove(0);
        let as_li = |sub: &str, name: &str| {
            pb::orders_client::OrdersClient::with_interceptor(
                world.channel.clone(),
                bearer(&supervisor_token(sub, name)),
            )
        };
        let mut li = as_li("li-0001", "李庭长");
        let mut request = freeze(CASE, "self-1", &asset, 15_000_000);
        if let Some(i) = request.instruction.as_mut() {
            // The officer is the token's.
            i.officer.clear();
        }
        let order = li.place_hold(request).await.unwrap().into_inner();
        assert_eq!(state(&order), pb::OrderState::AwaitingApproval);
        let approve = pb::DecideApprovalRequest {
            order_id: order.order_id.clone(),
            approve: true,
            reason: String::new(),
        };
        // The same subject under other display names is the same person.
        for name in ["李庭长 ", "李 庭长", "Li Tingzhang"] {
            let refused = as_li("li-0001", name)
                .decide_approval(approve.clone())
                .await
                .unwrap_err();
            assert_eq!(
                refused.code(),
                Code::PermissionDenied,
                "{backend}: {name:?}"
            );
        }
        // Another person who happens to bear the same name may approve.
        let approved = as_li("li-0002", "李庭长")
            .decide_approval(approve)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(approved.approver_id, "demo/li-0002", "{backend}");
        assert_eq!(approved.approver, "李庭长");
        assert_eq!(approved.officer_id, "demo/li-0001");
    }
}

#[tokio::test]
async fn foreign_currency_counts_toward_the_claim_only_at_a_configured_rate() {
    let company = pb::Debtor {
        id_number: DEMO_COMPANY_ID.into(),
        name: DEMO_COMPANY_NAME.into(),
    };
    let cap = 18_000_000_000;
    for (backend, ledger) in ledger_backends().await {
        for with_rate in [false, true] {
            let tweak: fn(&mut assethub_hub::HubConfig) = if with_rate { usd_rate } else { |_| {} };
            // The second hub shares the first one's ledger: a case of its own.
            let case = if with_rate {
                "(2024)鄂0116执5401号"
            } else {
                "(2024)鄂0116执5400号"
            };
            let mut world = world(ledger.clone(), tweak).await;
            world
                .register(
                    case,
                    &[(DEMO_COMPANY_ID.into(), DEMO_COMPANY_NAME.into())],
                    20_000_000_000,
                    "HB0116-ZX-2024-5400",
                )
                .await;
            let found = accounts(&mut world, case, &company).await;
            let usd: Vec<&(String, String, i64)> =
                found.iter().filter(|(_, c, _)| c == "USD").collect();
            assert_eq!(usd.len(), 2, "the company keeps two US-dollar accounts");
            let report = world
                .orders
                .freeze_funds(pb::FreezeFundsRequest {
                    instruction: instruction(case, &format!("usd-{with_rate}-1")),
                    debtor: Some(company.clone()),
                    cap_fen: cap,
                    days: 0,
                })
                .await
                .unwrap()
                .into_inner();
            let context = format!("{backend} rate {with_rate}: {report:?}");
            assert_eq!(report.cap_fen, cap);
            assert_eq!(
                report.case_total_fen + report.pending_fen + report.queued_fen + report.short_fen,
                cap,
                "{context}"
            );
            let mut value = 0i64;
            for order in &report.orders {
                let minor = i128::from(order.amount_fen.max(order.frozen_fen));
                let expected = if order.currency == "USD" {
                    // 7.1234 yuan a dollar: 7.1234 fen a cent, rounded up.
                    i64::try_from((minor * 71_234 + 9_999) / 10_000).unwrap()
                } else {
                    assert_eq!(order.currency, "CNY", "{context}");
                    i64::try_from(minor).unwrap()
                };
                assert_eq!(order.value_fen, expected, "{context}");
                value += expected;
            }
            assert!(value <= cap, "{context}");
            let usd_orders = report.orders.iter().filter(|o| o.currency == "USD").count();
            if with_rate {
                // Counted at its rate, a dollar account is planned like any other.
                assert!(usd_orders >= 1, "{context}");
                assert!(report.excluded.is_empty(), "{context}");
                assert!(report
                    .orders
                    .iter()
                    .any(|o| o.exchange_rate == "7.1234" && o.rate_date == "2026-11-30"));
            } else {
                assert_eq!(usd_orders, 0, "no dollar is frozen as a yuan: {context}");
                let mut left_out: Vec<(&str, i64)> = report
                    .excluded
                    .iter()
                    .map(|e| (e.asset_ref.as_str(), e.available_fen))
                    .collect();
                left_out.sort();
                let mut expected: Vec<(&str, i64)> =
                    usd.iter().map(|(a, _, v)| (a.as_str(), *v)).collect();
                expected.sort();
                assert_eq!(left_out, expected, "{context}");
                assert!(report.excluded.iter().all(|e| e.currency == "USD"));
            }
            // A freeze of a dollar account by its asset: refused without a rate.
            let single = world
                .orders
                .place_hold(pb::PlaceHoldRequest {
                    debtor: Some(company.clone()),
                    ..freeze(case, &format!("usd-{with_rate}-2"), &usd[0].0, 100)
                })
                .await;
            match (with_rate, single) {
                (false, Err(status)) => {
                    assert_eq!(status.code(), Code::FailedPrecondition, "{context}");
                    assert!(
                        status.message().contains("exchange_rates.USD"),
                        "{status:?}"
                    );
                }
                // With a rate the plan already holds it: one live hold per case and asset.
                (true, Err(status)) => assert_eq!(status.code(), Code::FailedPrecondition),
                (rate, Ok(order)) => panic!("rate {rate}: {order:?}"),
            }
        }
    }
}

#[tokio::test]
async fn renewals_never_end_later_than_today_plus_the_legal_period() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = world(ledger, |_| {}).await;
        let (asset, _, _) = accounts(&mut world, CASE, &person()).await.remove(0);
        let hold = placed(&mut world.orders, freeze(CASE, "r-0", &asset, 10_000)).await;
        let hold = effective(&mut world.orders, &hold.order_id).await;
        let start = hold.start_date.clone();
        let mut outcomes = Vec::new();
        for n in 1..=3 {
            let renewed = world
                .orders
                .act_on_hold(act(
                    &format!("r-{n}"),
                    pb::OrderAction::Renew,
                    &hold.order_id,
                    0,
                ))
                .await;
            outcomes.push(
                renewed
                    .map(|r| state(&r.into_inner()))
                    .map_err(|s| s.code()),
            );
        }
        assert_eq!(
            outcomes,
            [
                Ok(pb::OrderState::Effective),
                Err(Code::FailedPrecondition),
                Err(Code::FailedPrecondition)
            ],
            "{backend}"
        );
        let now = world
            .orders
            .get_order(pb::GetOrderRequest {
                order_id: hold.order_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let limit = assethub_connectors::domain::CivilDate::parse(&start)
            .unwrap()
            .plus_days(365);
        assert_eq!(
            now.end_date,
            limit.to_string(),
            "{backend}: one year from today, not four"
        );
        agencies_agree(&world, backend).await;
    }
}

#[tokio::test]
async fn two_freezes_of_one_account_at_once_make_one_hold() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = world(ledger, |_| {}).await;
        let (asset, _, _) = accounts(&mut world, CASE, &person()).await.remove(0);
        let calls = (0..6).map(|n| {
            let mut orders = world.orders.clone();
            let request = freeze(CASE, &format!("race-{n}"), &asset, 10_000);
            async move { orders.place_hold(request).await }
        });
        let answers = futures::future::join_all(calls).await;
        let placed = answers.iter().filter(|a| a.is_ok()).count();
        assert_eq!(placed, 1, "{backend}: {answers:?}");
        for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
            assert_eq!(refused.code(), Code::FailedPrecondition);
            assert!(refused.message().contains("already holds"), "{refused:?}");
        }
        agencies_agree(&world, backend).await;
    }
}

#[tokio::test]
async fn deduction_answers_that_cross_leave_the_ledger_where_the_bank_is() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = world(ledger, |_| {}).await;
        let found = accounts(&mut world, CASE, &person()).await;
        let (asset, _, _) = found
            .iter()
            .find(|(a, _, v)| a.starts_with("bank-") && *v >= 9_465_540)
            .cloned()
            .expect("a bank account with 94,655.40 yuan free");
        let hold = placed(&mut world.orders, freeze(CASE, "x-0", &asset, 9_465_540)).await;
        let hold = effective(&mut world.orders, &hold.order_id).await;
        let bank = world.agency(asset.split(':').next().unwrap());
        // The first deduction is carried out at once but its answer comes back slowly...
        bank.knobs.faults().add_rules([FaultRule {
            slow_body_rate: 1.0,
            slow_body_chunk_bytes: 16,
            slow_body_delay_ms: 120,
            ..FaultRule::on("/gateway/v2/judicial/deduct")
        }]);
        let mut orders = world.orders.clone();
        let first_id = hold.order_id.clone();
        let first = tokio::spawn(async move {
            orders
                .act_on_hold(act("x-1", pb::OrderAction::Deduct, &first_id, 1_000_000))
                .await
        });
        tokio::time::sleep(Duration::from_millis(400)).await;
        bank.knobs.faults().remove_rules(None);
        // ...after the second one's, which the bank carried out later.
        let second = world
            .orders
            .act_on_hold(act(
                "x-2",
                pb::OrderAction::Deduct,
                &hold.order_id,
                2_000_000,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(state(&second), pb::OrderState::Effective, "{backend}");
        let first = first.await.unwrap().unwrap().into_inner();
        assert_eq!(state(&first), pb::OrderState::Effective, "{backend}");
        let now = world
            .orders
            .get_order(pb::GetOrderRequest {
                order_id: hold.order_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (now.frozen_fen, now.deducted_fen),
            (9_465_540 - 3_000_000, 3_000_000),
            "{backend}: the bank holds 64,655.40 and moved 30,000.00"
        );
        agencies_agree(&world, backend).await;
    }
}

#[tokio::test]
async fn a_freeze_report_adds_up_while_the_bank_still_decides() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = World::start_with(WorldOptions {
            ledger_url: ledger,
            tweak: Box::new(|config| config.server.default_deadline_ms = 1_000),
            tweak_agencies: Box::new(|agencies| {
                for agency in agencies.iter_mut() {
                    if let FamilySettings::Bank(bank) = &mut agency.settings {
                        bank.freeze_decision_ms = 4_000;
                    }
                }
            }),
            ..WorldOptions::default()
        })
        .await;
        let found = accounts(&mut world, CASE, &person()).await;
        // Enough that the plan reaches the banks, whose answers come after the hub's.
        let cap: i64 = found.iter().map(|(_, _, v)| v).sum::<i64>() - 1;
        let report = world
            .orders
            .freeze_funds(pb::FreezeFundsRequest {
                instruction: instruction(CASE, "sum-1"),
                debtor: demo_debtor(),
                cap_fen: cap,
                days: 0,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(
            report.pending_fen > 0,
            "{backend}: the banks are still deciding: {report:?}"
        );
        assert_eq!(
            report.case_total_fen + report.pending_fen + report.queued_fen + report.short_fen,
            report.cap_fen,
            "{backend}: {report:?}"
        );
    }
}

#[tokio::test]
async fn a_hold_lifted_at_the_counter_is_found_by_reconciliation() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = World::start_with(WorldOptions {
            ledger_url: ledger,
            tweak: Box::new(|config| config.control.reconcile_ms = 200),
            ..WorldOptions::default()
        })
        .await;
        let (asset, _, _) = accounts(&mut world, CASE, &person())
            .await
            .into_iter()
            .find(|(a, _, _)| a.starts_with("pay-"))
            .expect("a payment balance");
        let hold = placed(&mut world.orders, freeze(CASE, "lift-0", &asset, 10_000)).await;
        assert_eq!(state(&hold), pb::OrderState::Effective, "{backend}");
        let platform = world.agency(asset.split(':').next().unwrap());
        assert!(
            platform.knobs.lift_at_counter(&hold.agency_ref),
            "{backend}"
        );
        let released = wait_with(&mut world.orders, &hold.order_id, pb::OrderState::Released).await;
        assert!(
            released.detail.contains("reconciled"),
            "{backend}: {released:?}"
        );
        assert_eq!(released.frozen_fen, 0);
    }
}

#[tokio::test]
async fn concurrent_deductions_never_exceed_a_reduced_claim() {
    for (backend, ledger) in ledger_backends().await {
        let mut world = world(ledger, |_| {}).await;
        let case = "(2024)鄂0116执5500号";
        world
            .register(
                case,
                &[(
                    assethub_mocks::population::DEMO_PERSON_ID.into(),
                    assethub_mocks::population::DEMO_PERSON_NAME.into(),
                )],
                1_000_000,
                "HB0116-ZX-2024-5500",
            )
            .await;
        let (asset, _, _) = accounts(&mut world, case, &person())
            .await
            .into_iter()
            .find(|(a, _, v)| a.starts_with("pay-") && *v >= 1_000_000)
            .expect("a payment balance of 10,000.00");
        let hold = placed(&mut world.orders, freeze(case, "cd-0", &asset, 1_000_000)).await;
        assert_eq!(state(&hold), pb::OrderState::Effective, "{backend}");
        // A partial recovery paid outside the hub: the claim goes down to 5,000.00.
        assethub_tests::cases_client(&world.channel, COURT)
            .update_case(pb::UpdateCaseRequest {
                case_number: case.into(),
                claim_fen: Some(500_000),
                reason: "partial recovery".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let deductions = [400_000, 400_000, 300_000, 170_000]
            .into_iter()
            .enumerate()
            .map(|(n, amount)| {
                let mut orders = world.orders.clone();
                let request = pb::ActOnHoldRequest {
                    instruction: instruction(case, &format!("cd-{}", n + 1)),
                    ..act("unused", pb::OrderAction::Deduct, &hold.order_id, amount)
                };
                async move { orders.act_on_hold(request).await }
            });
        futures::future::join_all(deductions).await;
        let case_now = assethub_tests::cases_client(&world.channel, COURT)
            .get_case(pb::GetCaseRequest {
                case_number: case.into(),
                include_history: false,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(case_now.deducted_fen > 0, "{backend}: {case_now:?}");
        assert!(
            case_now.deducted_fen <= 500_000,
            "{backend}: deducted {} on a 5,000.00 claim",
            case_now.deducted_fen
        );
        agencies_agree(&world, backend).await;
    }
}

#[tokio::test]
async fn the_hub_never_instructs_an_agency_about_an_asset_not_the_debtors_or_spelled_otherwise() {
    let mut world = world(None, |_| {}).await;
    let mut request = pb::QueryRequest {
        kinds: vec![
            pb::AssetKind::Vehicle as i32,
            pb::AssetKind::RealEstate as i32,
        ],
        ..assethub_tests::demo_person_query()
    };
    request.fresh = true;
    let found = world.client.query(request).await.unwrap().into_inner();
    let car = found
        .sources
        .iter()
        .find(|s| s.source == "vehicle-hubei")
        .map(|s| s.assets[0].asset_ref.clone())
        .unwrap();
    let flat = found
        .sources
        .iter()
        .find(|s| s.source == "registry-wuhan")
        .map(|s| s.assets[0].asset_ref.clone())
        .unwrap();
    let instructions = |world: &World| -> usize {
        world
            .agencies
            .iter()
            .filter_map(|a| a.knobs.register())
            .map(|r| r.keyed.len())
            .sum()
    };
    let before = instructions(&world);
    let hold = |key: &str, action: pb::OrderAction, asset: &str, debtor: pb::Debtor| {
        pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: instruction(CASE, key),
            action: action as i32,
            asset_ref: asset.into(),
            debtor: Some(debtor),
            amount_fen: 0,
            days: 30,
            currency: String::new(),
        }
    };
    // The car's VIN in lower case: the vehicle agency would take it for the same car.
    let lower = car.to_lowercase();
    let company = pb::Debtor {
        id_number: DEMO_COMPANY_ID.into(),
        name: DEMO_COMPANY_NAME.into(),
    };
    for (key, action, asset, debtor) in [
        ("own-1", pb::OrderAction::Seal, lower.as_str(), person()),
        ("own-2", pb::OrderAction::Watch, lower.as_str(), person()),
        // 张伟's flat and car, named as the company's (a party of the same case).
        (
            "own-3",
            pb::OrderAction::Seal,
            flat.as_str(),
            company.clone(),
        ),
        (
            "own-4",
            pb::OrderAction::Watch,
            car.as_str(),
            company.clone(),
        ),
    ] {
        let refused = world
            .orders
            .place_hold(hold(key, action, asset, debtor))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::FailedPrecondition,
            "{key}: {refused:?}"
        );
        assert!(
            refused.message().contains("lists no asset"),
            "{key}: {refused:?}"
        );
    }
    assert_eq!(instructions(&world), before, "nothing was signed and sent");
    // Spelled as the search reported it, for its owner, it goes.
    let seal = placed(
        &mut world.orders,
        hold("own-5", pb::OrderAction::Seal, &car, person()),
    )
    .await;
    assert_eq!(state(&seal), pb::OrderState::Effective);
}

/// The invariant checker finds the world's ledger and its agencies' registers in agreement
/// (states, amounts, end dates, one live hold per case and asset).
async fn agencies_agree(world: &World, backend: &str) {
    let orders = invariants::ledger_orders(&world.config.ledger.url)
        .await
        .unwrap();
    let report = invariants::check(&orders, &invariants::registers(&world.agencies));
    assert!(report.mismatches.is_empty(), "{backend}: {report}");
}
