//! Control acts: the one-click freeze of a debtor's funds up to the case's remaining claim
//! (previewed from the search answer first: which accounts, how much, what stays short),
//! freeze / seal / watch of one asset from the search results, release / deduct / renew
//! of an order, and an order's own page following it live to its final state. Every act asks
//! for the ruling and an explicit confirmation, and shows the idempotency key it sends — the
//! same key again (a double click, a resubmitted form) is the same act, not a second one.

use super::cases::{order_row, ORDERS_HEAD};
use super::{checked, fail, signed_in, State};
use crate::html::{action_name, csrf_field, error, esc, order_state, page, parse_yuan, url, yuan};
use crate::hub::plain;
use crate::session::{random_token, Session};
use assethub_proto::v1 as pb;
use axum::extract::{Form, Query, State as Ctx};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Longest ruling number accepted from a form (the hub checks it too).
const MAX_RULING: usize = 128;

fn new_key() -> String {
    format!("console-{}", random_token())
}

/// The ruling, idempotency key and confirmation every act's form asks for.
fn act_fields(session: &Session, key: &str) -> String {
    format!(
        r#"{csrf}<input type="hidden" name="key" value="{key}">
<label for="ruling">裁定书文号</label><input type="text" id="ruling" name="ruling" required maxlength="{MAX_RULING}" placeholder="(2024)鄂0116执1234号之一">
<label><input type="checkbox" id="confirm" name="confirm" value="1" required> 我已核对以上内容，确认执行</label>
<p class="muted">幂等键 <code id="key">{key}</code>：重复提交同一表单不会重复执行。</p>"#,
        csrf = csrf_field(session),
        key = esc(key),
    )
}

fn instruction(session: &Session, case: &str, ruling: &str, key: &str) -> pb::Instruction {
    pb::Instruction {
        case_number: case.to_string(),
        ruling: ruling.trim().to_string(),
        officer: session.credential.officer.clone(),
        idempotency_key: key.to_string(),
    }
}

/// The checks every act's form gets before anything is sent: a ruling and the confirmation.
fn form_problem(ruling: &str, confirm: &str, key: &str) -> Option<&'static str> {
    if ruling.trim().is_empty() || ruling.chars().count() > MAX_RULING {
        return Some("请填写裁定书文号。");
    }
    if confirm != "1" {
        return Some("请勾选确认后再提交。");
    }
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Some("表单已失效，请重新打开。");
    }
    None
}

async fn debtor_of(
    console: &crate::Console,
    token: &str,
    case: &str,
    index: usize,
) -> Result<(pb::Case, pb::Debtor), String> {
    let case = console
        .hub
        .cases(token)
        .get_case(pb::GetCaseRequest {
            case_number: case.to_string(),
            ..Default::default()
        })
        .await
        .map_err(|s| plain(&s))?
        .into_inner();
    let d = case
        .debtors
        .get(index)
        .ok_or("该案件没有这个被执行人。")?
        .clone();
    Ok((
        case,
        pb::Debtor {
            id_number: d.id_number,
            name: d.name,
        },
    ))
}

#[derive(Deserialize)]
pub struct Preview {
    #[serde(default)]
    case: String,
    #[serde(default)]
    debtor: usize,
    #[serde(default)]
    cap: String,
}

/// The plan the one-click freeze would follow, from the search answer: accounts in the
/// order the hub plans them, each up to what it has free, until the amount is reached.
pub async fn freeze_preview(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(q): Query<Preview>,
) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let title = "一键冻结：预览";
    let token = &session.credential.token;
    let (case, debtor) = match debtor_of(&console, token, &q.case, q.debtor).await {
        Ok(x) => x,
        Err(e) => return fail(title, &session, &e),
    };
    let remaining = (case.claim_fen - case.reserved_fen).max(0);
    let Some(cap) = parse_yuan(&q.cap).filter(|c| *c > 0) else {
        return page(
            title,
            Some(&session),
            &error("请填写要冻结的金额（元，至多两位小数）。"),
        )
        .into_response();
    };
    let answer = console
        .hub
        .search(token)
        .query(pb::QueryRequest {
            case_number: case.case_number.clone(),
            debtor: Some(debtor.clone()),
            ..Default::default()
        })
        .await;
    let answer = match answer {
        Ok(a) => a.into_inner(),
        Err(s) => return fail(title, &session, &plain(&s)),
    };
    let aim = cap.min(remaining);
    let mut left = aim;
    let mut rows = String::new();
    for source in &answer.sources {
        for asset in &source.assets {
            let (balance, frozen) = match &asset.detail {
                Some(pb::asset::Detail::Deposit(d))
                    if d.currency.is_empty() || d.currency == "CNY" =>
                {
                    (d.balance_fen, d.frozen_fen)
                }
                Some(pb::asset::Detail::PaymentBalance(p)) => (p.balance_fen, p.frozen_fen),
                _ => continue,
            };
            let free = (balance - frozen).max(0);
            let take = free.min(left);
            left -= take;
            rows.push_str(&format!(
                r#"<tr class="plan"><td>{source}</td><td>{asset}</td><td class="num">{free}</td><td class="num">{take}</td><td>{note}</td></tr>"#,
                source = esc(&source.source),
                asset = esc(&asset.asset_ref),
                free = yuan(free),
                take = yuan(take),
                note = if take == 0 && free == 0 && frozen > 0 {
                    "已被冻结，将轮候"
                } else {
                    ""
                },
            ));
        }
    }
    let key = new_key();
    let body = format!(
        r#"<div class="panel">案件 {n}　被执行人 {name}　执行标的 {claim} 元，尚可控制 {remaining} 元。<br>本次至多冻结 <b id="aim">{aim}</b> 元{capped}。</div>
<table id="plan"><thead><tr><th>单位</th><th>账户</th><th class="num">可冻结（元）</th><th class="num">预计冻结</th><th></th></tr></thead><tbody>{rows}</tbody></table>
<p class="muted">预计不足 <b id="short">{short}</b> 元。以上按查询结果估算；实际方案由平台在执行时按各账户最新余额确定，超出执行标的的部分一律不冻结。</p>
<form method="post" action="/freeze" class="panel" id="freeze-confirm">
<input type="hidden" name="case" value="{n}"><input type="hidden" name="debtor" value="{debtor_index}"><input type="hidden" name="cap_fen" value="{aim_fen}">
{fields}<button type="submit" class="primary" id="freeze-submit">确认冻结</button></form>"#,
        n = esc(&case.case_number),
        name = esc(&debtor.name),
        claim = yuan(case.claim_fen),
        remaining = yuan(remaining),
        aim = yuan(aim),
        capped = if cap > remaining {
            "（已按尚可控制金额封顶）"
        } else {
            ""
        },
        short = yuan(left),
        debtor_index = q.debtor,
        aim_fen = aim,
        fields = act_fields(&session, &key),
    );
    page(title, Some(&session), &body).into_response()
}

#[derive(Deserialize)]
pub struct Freeze {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    case: String,
    #[serde(default)]
    debtor: usize,
    #[serde(default)]
    cap_fen: i64,
    #[serde(default)]
    ruling: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    key: String,
}

pub async fn freeze(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Form(f): Form<Freeze>,
) -> Response {
    let session = match checked(&console, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let title = "一键冻结";
    if let Some(problem) = form_problem(&f.ruling, &f.confirm, &f.key) {
        return fail(title, &session, problem);
    }
    let token = &session.credential.token;
    let (case, debtor) = match debtor_of(&console, token, &f.case, f.debtor).await {
        Ok(x) => x,
        Err(e) => return fail(title, &session, &e),
    };
    let done = console
        .hub
        .orders(token)
        .freeze_funds(pb::FreezeFundsRequest {
            instruction: Some(instruction(&session, &case.case_number, &f.ruling, &f.key)),
            debtor: Some(debtor),
            cap_fen: f.cap_fen.max(0),
            days: 0,
        })
        .await;
    let r = match done {
        Ok(r) => r.into_inner(),
        Err(s) => return fail(title, &session, &plain(&s)),
    };
    let rows: String = r.orders.iter().map(order_row).collect();
    let unavailable = if r.unavailable_sources.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"muted\">未能及时答复余额的单位：{}（未在其处冻结）</p>",
            esc(&r.unavailable_sources.join("、"))
        )
    };
    let body = format!(
        r#"<div class="ok" id="freeze-result">已提交。目标 {cap} 元：本次冻结 <b id="frozen-now">{frozen}</b> 元，案件合计 {total} 元，处理中 {pending} 元，轮候 {queued} 元，不足 {short} 元。</div>{unavailable}
<p>幂等键 <code id="key">{key}</code>　<a href="/case?n={u}">返回案件</a></p>
<h2>本次指令 <span class="muted" style="font-size:13px">（实时）</span></h2>
<table>{head}<tbody id="orders" data-only>{rows}</tbody></table>
<div data-stream="/events?n={u}" hidden></div><script src="/live.js"></script>"#,
        cap = yuan(r.cap_fen),
        frozen = yuan(r.frozen_fen),
        total = yuan(r.case_total_fen),
        pending = yuan(r.pending_fen),
        queued = yuan(r.queued_fen),
        short = yuan(r.short_fen),
        key = esc(&f.key),
        u = url(&case.case_number),
        head = ORDERS_HEAD,
    );
    page(title, Some(&session), &body).into_response()
}

#[derive(Deserialize)]
pub struct HoldAsk {
    #[serde(default)]
    case: String,
    #[serde(default)]
    debtor: usize,
    #[serde(default)]
    asset: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    amount: String,
}

fn hold_action(name: &str) -> Option<(pb::OrderAction, &'static str)> {
    match name {
        "freeze" => Some((pb::OrderAction::Freeze, "冻结")),
        "seal" => Some((pb::OrderAction::Seal, "查封")),
        "watch" => Some((pb::OrderAction::Watch, "布控")),
        _ => None,
    }
}

pub async fn hold_form(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(q): Query<HoldAsk>,
) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some((action, label)) = hold_action(&q.action) else {
        return fail("控制", &session, "没有这种控制措施。");
    };
    let amount = if action == pb::OrderAction::Freeze {
        format!(
            r#"<label for="amount">冻结金额（元）</label><input type="text" id="amount" name="amount" value="{}">"#,
            esc(&q.amount)
        )
    } else {
        String::new()
    };
    let body = format!(
        r#"<form method="post" action="/hold" class="panel" id="hold">
<p>案件 {n}　财产 <code>{asset}</code>　措施 <b>{label}</b></p>
<input type="hidden" name="case" value="{n}"><input type="hidden" name="debtor" value="{debtor}"><input type="hidden" name="asset" value="{asset}"><input type="hidden" name="action" value="{act}">
{amount}<label for="days">期限（天，0 为法定最长期限）</label><input type="text" id="days" name="days" value="0">
{fields}<button type="submit" class="primary" id="hold-submit">确认{label}</button></form>"#,
        n = esc(&q.case),
        asset = esc(&q.asset),
        debtor = q.debtor,
        act = esc(&q.action),
        fields = act_fields(&session, &new_key()),
    );
    page(&format!("{label}财产"), Some(&session), &body).into_response()
}

#[derive(Deserialize)]
pub struct Hold {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    case: String,
    #[serde(default)]
    debtor: usize,
    #[serde(default)]
    asset: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    ruling: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    key: String,
}

pub async fn hold(Ctx(console): Ctx<State>, headers: HeaderMap, Form(f): Form<Hold>) -> Response {
    let session = match checked(&console, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let title = "控制财产";
    let Some((action, _)) = hold_action(&f.action) else {
        return fail(title, &session, "没有这种控制措施。");
    };
    if let Some(problem) = form_problem(&f.ruling, &f.confirm, &f.key) {
        return fail(title, &session, problem);
    }
    let amount_fen = if action == pb::OrderAction::Freeze {
        match parse_yuan(&f.amount) {
            Some(a) if a > 0 => a,
            _ => {
                return page(
                    title,
                    Some(&session),
                    &error("请填写冻结金额（元，至多两位小数）。"),
                )
                .into_response()
            }
        }
    } else {
        0
    };
    let Ok(days) = f.days.trim().parse::<u32>() else {
        return fail(title, &session, "期限应为天数。");
    };
    let token = &session.credential.token;
    let (case, debtor) = match debtor_of(&console, token, &f.case, f.debtor).await {
        Ok(x) => x,
        Err(e) => return fail(title, &session, &e),
    };
    let placed = console
        .hub
        .orders(token)
        .place_hold(pb::PlaceHoldRequest {
            instruction: Some(instruction(&session, &case.case_number, &f.ruling, &f.key)),
            action: action as i32,
            asset_ref: f.asset.clone(),
            debtor: Some(debtor),
            amount_fen,
            days,
            currency: String::new(),
            quantity: 0,
        })
        .await;
    match placed {
        Ok(o) => order_page(&session, &o.into_inner(), Some(&f.key)),
        Err(s) => fail(title, &session, &plain(&s)),
    }
}

#[derive(Deserialize)]
pub struct ActAsk {
    #[serde(default)]
    id: String,
    #[serde(default)]
    action: String,
}

fn act_action(name: &str) -> Option<(pb::OrderAction, &'static str)> {
    match name {
        "release" => Some((pb::OrderAction::Release, "解除")),
        "deduct" => Some((pb::OrderAction::Deduct, "扣划")),
        "renew" => Some((pb::OrderAction::Renew, "续行")),
        _ => None,
    }
}

pub async fn act_form(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(q): Query<ActAsk>,
) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some((action, label)) = act_action(&q.action) else {
        return fail("控制", &session, "没有这种操作。");
    };
    let extra = match action {
        pb::OrderAction::Deduct => {
            r#"<label for="amount">扣划金额（元）</label><input type="text" id="amount" name="amount">
<p class="muted">款项划入案件登记的执行款专户，由平台按案件登记确定，不能在此填写。</p>"#
        }
        pb::OrderAction::Renew => {
            r#"<label for="days">续行期限（天，0 为法定最长期限）</label><input type="text" id="days" name="days" value="0">"#
        }
        _ => "",
    };
    let body = format!(
        r#"<form method="post" action="/act" class="panel" id="act"><p>指令 <code>{id}</code>　操作 <b>{label}</b></p>
<input type="hidden" name="id" value="{id}"><input type="hidden" name="action" value="{act}">{extra}
{fields}<button type="submit" class="primary" id="act-submit">确认{label}</button></form>"#,
        id = esc(&q.id),
        act = esc(&q.action),
        fields = act_fields(&session, &new_key()),
    );
    page(label, Some(&session), &body).into_response()
}

#[derive(Deserialize)]
pub struct Act {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    ruling: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    key: String,
}

pub async fn act(Ctx(console): Ctx<State>, headers: HeaderMap, Form(f): Form<Act>) -> Response {
    let session = match checked(&console, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let title = "控制指令";
    let Some((action, _)) = act_action(&f.action) else {
        return fail(title, &session, "没有这种操作。");
    };
    if let Some(problem) = form_problem(&f.ruling, &f.confirm, &f.key) {
        return fail(title, &session, problem);
    }
    let token = &session.credential.token;
    let target = match console
        .hub
        .orders(token)
        .get_order(pb::GetOrderRequest {
            order_id: f.id.clone(),
        })
        .await
    {
        Ok(o) => o.into_inner(),
        Err(s) => return fail(title, &session, &plain(&s)),
    };
    let amount_fen = match action {
        pb::OrderAction::Deduct => match parse_yuan(&f.amount) {
            Some(a) if a > 0 => a,
            _ => {
                return page(
                    title,
                    Some(&session),
                    &error("请填写扣划金额（元，至多两位小数）。"),
                )
                .into_response()
            }
        },
        _ => 0,
    };
    let days = f.days.trim().parse::<u32>().unwrap_or(0);
    let done = console
        .hub
        .orders(token)
        .act_on_hold(pb::ActOnHoldRequest {
            instruction: Some(instruction(
                &session,
                &target.case_number,
                &f.ruling,
                &f.key,
            )),
            action: action as i32,
            order_id: f.id.clone(),
            amount_fen,
            // Never typed by a person: the hub deducts into the case's registered account.
            case_account: String::new(),
            days,
        })
        .await;
    match done {
        Ok(o) => order_page(&session, &o.into_inner(), Some(&f.key)),
        Err(s) => fail(title, &session, &plain(&s)),
    }
}

#[derive(Deserialize)]
pub struct OrderAsk {
    #[serde(default)]
    id: String,
}

pub async fn order(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(q): Query<OrderAsk>,
) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match console
        .hub
        .orders(&session.credential.token)
        .get_order(pb::GetOrderRequest { order_id: q.id })
        .await
    {
        Ok(o) => order_page(&session, &o.into_inner(), None),
        Err(s) => fail("控制指令", &session, &plain(&s)),
    }
}

/// One order, followed live, with the acts its state allows.
fn order_page(session: &Session, o: &pb::Order, key: Option<&str>) -> Response {
    let (state_key, _) = order_state(o.state);
    let acts: String = match state_key {
        "effective" | "queued" | "partial" => {
            [("release", "解除"), ("deduct", "扣划"), ("renew", "续行")]
                .iter()
                .map(|(a, l)| {
                    format!(
                        r#"<a class="secondary" href="/act?id={}&action={a}">{l}</a> "#,
                        url(&o.order_id)
                    )
                })
                .collect()
        }
        _ => String::new(),
    };
    let sent = key
        .map(|k| {
            format!(
                r#"<div class="ok">已提交，幂等键 <code id="key">{}</code>。</div>"#,
                esc(k)
            )
        })
        .unwrap_or_default();
    let detail = if o.detail.is_empty() {
        String::new()
    } else {
        format!(r#"<p class="muted">{}</p>"#, esc(&o.detail))
    };
    let body = format!(
        r#"{sent}<table>{head}<tbody id="orders" data-only>{row}</tbody></table>{detail}
<p>{acts}<a href="/case?n={u}">返回案件 {n}</a></p>
<div data-stream="/events?n={u}" hidden></div><script src="/live.js"></script>"#,
        head = ORDERS_HEAD,
        row = order_row(o),
        u = url(&o.case_number),
        n = esc(&o.case_number),
    );
    page(
        &format!("{}指令", action_name(o.action)),
        Some(session),
        &body,
    )
    .into_response()
}
