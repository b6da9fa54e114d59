//! One chaos caller: a judge of one court working one case, issuing seeded random mixed
//! requests — searches (Query, BatchQuery), holds on what searches found (freeze, seal, watch),
//! one-click freezes, and release / deduct / renew of holds it placed, plus the races a
//! hostile or hurried court makes: two freezes of one account at once under different keys,
//! and two actions on one hold at once (two deductions, or a deduction and a renewal) — until
//! told to stop.
//! A request that fails because the hub died or did not answer is sent again with the same
//! idempotency key, as a real case system would; every attempt and every request's final
//! outcome is tallied.

use super::{code_word, transient, Tally, RETRY_FOR};
use crate::{bearer, token, Authed, Role};
use assethub_proto::v1 as pb;
use assethub_proto::v1::asset_hub_client::AssetHubClient;
use assethub_proto::v1::orders_client::OrdersClient;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tonic::transport::Channel;

/// Longest a caller waits for one answer. Not sent as the gRPC deadline: the hub then answers
/// control requests at its own default deadline, with the order as it stands.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// The hub answers a search with what it has after this long (slow sources time out).
const SEARCH_DEADLINE_MS: u32 = 1_500;
/// Pause before sending a failed request again.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// What kind of asset a search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Funds,
    RealEstate,
    Vehicle,
}

/// An asset a search found, with its owner and (funds) what was free to freeze.
#[derive(Debug, Clone)]
struct Known {
    asset_ref: String,
    kind: Kind,
    debtor: usize,
    available_fen: i64,
}

/// A hold order this caller placed.
#[derive(Debug, Clone)]
struct Placed {
    order_id: String,
    action: pb::OrderAction,
}

/// One caller's identity and plan.
pub struct Caller {
    pub index: usize,
    pub court: String,
    pub case: String,
    pub seed: u64,
}

pub struct Worker {
    caller: Caller,
    rng: StdRng,
    search: AssetHubClient<Authed>,
    orders: OrdersClient<Authed>,
    debtors: Arc<Vec<(String, String)>>,
    known: Vec<Known>,
    placed: Vec<Placed>,
    tally: Arc<Tally>,
    keys: u64,
}

impl Worker {
    /// A judge of `caller.court` calling over `channel` (which reconnects by itself after the
    /// hub restarts), searching `debtors` (id number, name).
    pub fn new(
        caller: Caller,
        channel: &Channel,
        debtors: Arc<Vec<(String, String)>>,
        tally: Arc<Tally>,
    ) -> Self {
        let auth = bearer(&token(Role::Judge, &caller.court));
        Self {
            rng: StdRng::seed_from_u64(
                caller.seed ^ (caller.index as u64).wrapping_mul(0x9e37_79b9),
            ),
            search: AssetHubClient::with_interceptor(channel.clone(), auth.clone()),
            orders: OrdersClient::with_interceptor(channel.clone(), auth),
            caller,
            debtors,
            known: Vec::new(),
            placed: Vec::new(),
            tally,
            keys: 0,
        }
    }

    /// Issues requests until `until`; the request under way then is finished.
    pub async fn run(mut self, until: Instant) {
        while Instant::now() < until {
            let roll = self.rng.random_range(0..100);
            match roll {
                0..=24 => self.query().await,
                25..=32 => self.batch_query().await,
                33..=45 => self.freeze().await,
                46..=52 => self.seal().await,
                53..=59 => self.watch().await,
                60..=64 => self.freeze_funds().await,
                65..=69 => self.freeze_twice().await,
                70..=74 => self.act_twice().await,
                _ => self.act().await,
            }
        }
    }

    fn instruction(&mut self) -> Option<pb::Instruction> {
        self.keys += 1;
        Some(pb::Instruction {
            case_number: self.caller.case.clone(),
            ruling: format!("{}之一", self.caller.case),
            officer: crate::officer_of(Role::Judge).into(),
            idempotency_key: format!(
                "chaos-{}-{}-{}",
                self.caller.seed, self.caller.index, self.keys
            ),
        })
    }

    fn debtor(&self, index: usize) -> Option<pb::Debtor> {
        let (id, name) = &self.debtors[index];
        Some(pb::Debtor {
            id_number: id.clone(),
            name: name.clone(),
        })
    }

    /// Sends `make()` until it succeeds, fails for good, or [`RETRY_FOR`] has passed; the same
    /// request (same idempotency key) every time.
    async fn call<T, Fut>(
        &self,
        op: &str,
        mut make: impl FnMut() -> Fut,
    ) -> Result<T, tonic::Status>
    where
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let started = Instant::now();
        let give_up = started + RETRY_FOR;
        loop {
            let answer = tokio::time::timeout(CALL_TIMEOUT, make())
                .await
                .unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("no answer in time")));
            match answer {
                Ok(response) => {
                    self.tally.call(op, "ok");
                    self.tally.op(op, "ok", started.elapsed());
                    return Ok(response.into_inner());
                }
                Err(status) => {
                    self.tally.call(op, &code_word(status.code()));
                    if transient(status.code()) && Instant::now() < give_up {
                        tokio::time::sleep(RETRY_PAUSE).await;
                        continue;
                    }
                    if transient(status.code()) {
                        self.tally.gave_up(op, &status);
                    }
                    self.tally
                        .op(op, &code_word(status.code()), started.elapsed());
                    return Err(status);
                }
            }
        }
    }

    async fn query(&mut self) {
        let debtor = self.rng.random_range(0..self.debtors.len());
        let request = pb::QueryRequest {
            kind_names: Default::default(),
            case_number: self.caller.case.clone(),
            debtor: self.debtor(debtor),
            kinds: vec![],
            fresh: self.rng.random_bool(0.1),
            deadline_ms: SEARCH_DEADLINE_MS,
        };
        let client = self.search.clone();
        let answer = self
            .call("query", || {
                let mut client = client.clone();
                let message = timed(request.clone());
                async move { client.query(message).await }
            })
            .await;
        if let Ok(response) = answer {
            self.learn(debtor, &response);
        }
    }

    async fn batch_query(&mut self) {
        let picks: Vec<usize> = (0..self.rng.random_range(2..=5))
            .map(|_| self.rng.random_range(0..self.debtors.len()))
            .collect();
        let request = pb::BatchQueryRequest {
            kind_names: Default::default(),
            items: picks
                .iter()
                .map(|&d| pb::BatchItem {
                    case_number: self.caller.case.clone(),
                    debtor: self.debtor(d),
                })
                .collect(),
            kinds: vec![],
            fresh: false,
            item_deadline_ms: SEARCH_DEADLINE_MS,
        };
        let client = self.search.clone();
        let answer = self
            .call("batch_query", || {
                let mut client = client.clone();
                let request = request.clone();
                async move {
                    let stream = client.batch_query(timed(request)).await?;
                    let mut stream = stream.into_inner();
                    let mut items = Vec::new();
                    while let Some(item) = stream.message().await? {
                        items.push(item);
                    }
                    Ok::<_, tonic::Status>(tonic::Response::new(items))
                }
            })
            .await;
        for item in answer.unwrap_or_default() {
            if let (Some(pb::batch_item_result::Outcome::Response(response)), Some(&debtor)) =
                (&item.outcome, picks.get(item.index as usize))
            {
                self.learn(debtor, response);
            }
        }
    }

    /// Remembers what a search found on `debtor`.
    fn learn(&mut self, debtor: usize, response: &pb::QueryResponse) {
        for asset in response.sources.iter().flat_map(|s| s.assets.iter()) {
            let (kind, available_fen) = match &asset.detail {
                Some(pb::asset::Detail::Deposit(d)) => (Kind::Funds, d.balance_fen - d.frozen_fen),
                Some(pb::asset::Detail::PaymentBalance(p)) => {
                    (Kind::Funds, p.balance_fen - p.frozen_fen)
                }
                Some(pb::asset::Detail::Property(_)) => (Kind::RealEstate, 0),
                Some(pb::asset::Detail::Vehicle(_)) => (Kind::Vehicle, 0),
                None => continue,
            };
            let known = Known {
                asset_ref: asset.asset_ref.clone(),
                kind,
                debtor,
                available_fen,
            };
            match self
                .known
                .iter_mut()
                .find(|k| k.asset_ref == known.asset_ref)
            {
                Some(k) => *k = known,
                None => self.known.push(known),
            }
        }
    }

    fn pick(&mut self, kinds: &[Kind]) -> Option<Known> {
        let fitting: Vec<&Known> = self
            .known
            .iter()
            .filter(|k| kinds.contains(&k.kind))
            .collect();
        if fitting.is_empty() {
            return None;
        }
        Some(fitting[self.rng.random_range(0..fitting.len())].clone())
    }

    async fn freeze(&mut self) {
        let Some(asset) = self.pick(&[Kind::Funds]) else {
            return self.query().await;
        };
        let most = (asset.available_fen / 2).max(100);
        let amount = self.rng.random_range(1..=most);
        self.place(pb::OrderAction::Freeze, "freeze", &asset, amount)
            .await;
    }

    async fn seal(&mut self) {
        let Some(asset) = self.pick(&[Kind::RealEstate, Kind::Vehicle]) else {
            return self.query().await;
        };
        self.place(pb::OrderAction::Seal, "seal", &asset, 0).await;
    }

    async fn watch(&mut self) {
        let Some(asset) = self.pick(&[Kind::Vehicle]) else {
            return self.query().await;
        };
        self.place(pb::OrderAction::Watch, "watch", &asset, 0).await;
    }

    fn hold_request(
        &mut self,
        action: pb::OrderAction,
        asset: &Known,
        amount_fen: i64,
    ) -> pb::PlaceHoldRequest {
        pb::PlaceHoldRequest {
            quantity: Default::default(),
            instruction: self.instruction(),
            action: action as i32,
            asset_ref: asset.asset_ref.clone(),
            debtor: self.debtor(asset.debtor),
            amount_fen,
            // Shorter than the legal maximum, so that renewals can extend it.
            days: 60,
            currency: String::new(),
        }
    }

    async fn send_hold(&self, op: &str, request: pb::PlaceHoldRequest) -> Option<Placed> {
        let client = self.orders.clone();
        let action =
            pb::OrderAction::try_from(request.action).unwrap_or(pb::OrderAction::Unspecified);
        self.call(op, || {
            let mut client = client.clone();
            let message = timed(request.clone());
            async move { client.place_hold(message).await }
        })
        .await
        .ok()
        .map(|order| Placed {
            order_id: order.order_id,
            action,
        })
    }

    async fn place(&mut self, action: pb::OrderAction, op: &str, asset: &Known, amount_fen: i64) {
        let request = self.hold_request(action, asset, amount_fen);
        if let Some(placed) = self.send_hold(op, request).await {
            self.placed.push(placed);
        }
    }

    /// Two freezes of one account by this case at once, under different keys: one may hold it.
    async fn freeze_twice(&mut self) {
        let Some(asset) = self.pick(&[Kind::Funds]) else {
            return self.query().await;
        };
        let most = (asset.available_fen / 4).max(100);
        let (a, b) = (
            self.rng.random_range(1..=most),
            self.rng.random_range(1..=most),
        );
        let first = self.hold_request(pb::OrderAction::Freeze, &asset, a);
        let second = self.hold_request(pb::OrderAction::Freeze, &asset, b);
        let (a, b) = tokio::join!(
            self.send_hold("freeze_race", first),
            self.send_hold("freeze_race", second)
        );
        self.placed.extend(a.into_iter().chain(b));
    }

    /// Two actions at once on one freeze this caller placed: two deductions whose answers may
    /// cross, or a deduction and a renewal.
    async fn act_twice(&mut self) {
        let freezes: Vec<Placed> = self
            .placed
            .iter()
            .filter(|p| p.action == pb::OrderAction::Freeze)
            .cloned()
            .collect();
        if freezes.is_empty() {
            return self.query().await;
        }
        let placed = freezes[self.rng.random_range(0..freezes.len())].clone();
        let Some(order) = self.current(&placed).await else {
            return;
        };
        if order.state != pb::OrderState::Effective as i32
            && order.state != pb::OrderState::Partial as i32
            || order.frozen_fen < 2
        {
            return;
        }
        let third = (order.frozen_fen / 3).max(1);
        let deduct = self.rng.random_range(1..=third);
        let first = self.act_request(&placed, pb::OrderAction::Deduct, deduct, 0);
        let second = if self.rng.random_bool(0.5) {
            let more = self.rng.random_range(1..=third);
            self.act_request(&placed, pb::OrderAction::Deduct, more, 0)
        } else {
            let days = self.rng.random_range(1..=30);
            self.act_request(&placed, pb::OrderAction::Renew, 0, days)
        };
        let _ = tokio::join!(
            self.send_act("act_race", first),
            self.send_act("act_race", second)
        );
    }

    /// The order as it stands now.
    async fn current(&self, placed: &Placed) -> Option<pb::Order> {
        let client = self.orders.clone();
        let get = pb::GetOrderRequest {
            order_id: placed.order_id.clone(),
        };
        self.call("get", || {
            let mut client = client.clone();
            let message = timed(get.clone());
            async move { client.get_order(message).await }
        })
        .await
        .ok()
    }

    fn act_request(
        &mut self,
        placed: &Placed,
        action: pb::OrderAction,
        amount_fen: i64,
        days: u32,
    ) -> pb::ActOnHoldRequest {
        pb::ActOnHoldRequest {
            instruction: self.instruction(),
            action: action as i32,
            order_id: placed.order_id.clone(),
            amount_fen,
            case_account: String::new(),
            days,
        }
    }

    async fn send_act(&self, op: &str, request: pb::ActOnHoldRequest) {
        let client = self.orders.clone();
        let _ = self
            .call(op, || {
                let mut client = client.clone();
                let message = timed(request.clone());
                async move { client.act_on_hold(message).await }
            })
            .await;
    }

    async fn freeze_funds(&mut self) {
        let Some(asset) = self.pick(&[Kind::Funds]) else {
            return self.query().await;
        };
        let request = pb::FreezeFundsRequest {
            instruction: self.instruction(),
            debtor: self.debtor(asset.debtor),
            cap_fen: self.rng.random_range(10_000..=2_000_000),
            days: 0,
        };
        let client = self.orders.clone();
        let answer = self
            .call("freeze_funds", || {
                let mut client = client.clone();
                let message = timed(request.clone());
                async move { client.freeze_funds(message).await }
            })
            .await;
        if let Ok(report) = answer {
            self.placed
                .extend(report.orders.into_iter().map(|o| Placed {
                    order_id: o.order_id,
                    action: pb::OrderAction::Freeze,
                }));
        }
    }

    /// Releases, deducts from or renews a hold this caller placed, as it stands now.
    async fn act(&mut self) {
        if self.placed.is_empty() {
            return self.query().await;
        }
        let at = self.rng.random_range(0..self.placed.len());
        let placed = self.placed[at].clone();
        let Some(order) = self.current(&placed).await else {
            return;
        };
        let state = pb::OrderState::try_from(order.state).unwrap_or(pb::OrderState::Unspecified);
        let live = matches!(
            state,
            pb::OrderState::Effective | pb::OrderState::Partial | pb::OrderState::Queued
        );
        if !live {
            if !matches!(
                state,
                pb::OrderState::Requested | pb::OrderState::AwaitingAgency
            ) {
                self.placed.swap_remove(at);
            }
            return;
        }
        let roll = self.rng.random_range(0..100);
        let can_deduct = placed.action == pb::OrderAction::Freeze
            && state != pb::OrderState::Queued
            && order.frozen_fen > 0;
        let (action, op, amount_fen, days) = if roll < 40 {
            (pb::OrderAction::Release, "release", 0, 0)
        } else if roll < 70 && can_deduct {
            let amount = self.rng.random_range(1..=order.frozen_fen);
            (pb::OrderAction::Deduct, "deduct", amount, 0)
        } else {
            (
                pb::OrderAction::Renew,
                "renew",
                0,
                self.rng.random_range(1..=30),
            )
        };
        let request = self.act_request(&placed, action, amount_fen, days);
        self.send_act(op, request).await;
    }
}

/// A request as the caller sends it (no gRPC deadline; see [`CALL_TIMEOUT`]).
fn timed<T>(message: T) -> tonic::Request<T> {
    tonic::Request::new(message)
}
