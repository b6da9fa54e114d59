//! The court's cases (filterable), one case's page — debtors, amounts, its orders with state,
//! period and days left — and the live event feed of a case (server-sent events from the
//! hub's `WatchEvents`), which updates the orders table and the feed as the hub records.

use super::{fail, signed_in, State};
use crate::html::{action_name, case_state, error, esc, order_state, page, url, yuan};
use crate::hub::plain;
use assethub_proto::v1 as pb;
use axum::extract::{Query, State as Ctx};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use std::convert::Infallible;

/// Most cases one page lists.
const MAX_LISTED: u32 = 500;

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
}

pub async fn list(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let states = match f.state.as_str() {
        "open" => vec![pb::CaseState::Open as i32],
        "suspended" => vec![pb::CaseState::Suspended as i32],
        "closed" => vec![pb::CaseState::Closed as i32],
        _ => vec![],
    };
    let listed = console
        .hub
        .cases(&session.credential.token)
        .list_cases(pb::ListCasesRequest {
            states,
            after_case_number: String::new(),
            limit: MAX_LISTED,
        })
        .await;
    let q = f.q.trim().chars().take(64).collect::<String>();
    let body = match listed {
        Err(status) => error(&plain(&status)),
        Ok(cases) => {
            let rows: String = cases
                .into_inner()
                .cases
                .iter()
                .filter(|c| {
                    q.is_empty()
                        || c.case_number.contains(&q)
                        || c.debtors.iter().any(|d| d.name.contains(&q))
                })
                .map(case_row)
                .collect();
            let selected = |v: &str| if f.state == v { " selected" } else { "" };
            format!(
                r#"<form method="get" action="/cases" class="panel" id="case-filter">
<label for="q">案号或被执行人</label><input type="text" id="q" name="q" value="{q}">
<label for="state">状态</label><select id="state" name="state"><option value="">全部</option><option value="open"{o}>执行中</option><option value="suspended"{s}>中止</option><option value="closed"{c}>结案</option></select>
<button type="submit" class="secondary">筛选</button></form>
<table id="cases"><thead><tr><th>案号</th><th>状态</th><th>被执行人</th><th class="num">执行标的（元）</th><th class="num">已冻结</th><th class="num">已扣划</th><th class="num">已占用</th><th class="num">在控财产</th><th>最近到期</th></tr></thead><tbody>{rows}</tbody></table>"#,
                q = esc(&q),
                o = selected("open"),
                s = selected("suspended"),
                c = selected("closed"),
            )
        }
    };
    page("案件", Some(&session), &body).into_response()
}

fn case_row(c: &pb::Case) -> String {
    let debtors: Vec<String> = c
        .debtors
        .iter()
        .map(|d| format!("{} {}", esc(&d.name), esc(&d.id_masked)))
        .collect();
    format!(
        r#"<tr class="case" data-case="{n}"><td><a href="/case?n={u}">{n}</a></td><td>{state}</td><td>{debtors}</td><td class="num">{claim}</td><td class="num">{frozen}</td><td class="num">{deducted}</td><td class="num">{reserved}</td><td class="num">{holds}</td><td>{end}</td></tr>"#,
        n = esc(&c.case_number),
        u = url(&c.case_number),
        state = case_state(c.state),
        debtors = debtors.join("<br>"),
        claim = yuan(c.claim_fen),
        frozen = yuan(c.frozen_fen),
        deducted = yuan(c.deducted_fen),
        reserved = yuan(c.reserved_fen),
        holds = c.holds_in_force,
        end = esc(if c.nearest_end_date.is_empty() {
            "—"
        } else {
            &c.nearest_end_date
        }),
    )
}

/// One order as a table row (its id makes live updates replace it).
pub(crate) fn order_row(o: &pb::Order) -> String {
    let (state_key, state_name) = order_state(o.state);
    let period = if o.end_date.is_empty() {
        "—".to_string()
    } else {
        format!(
            "{} 至 {}（剩 {} 天）",
            esc(&o.start_date),
            esc(&o.end_date),
            o.days_left
        )
    };
    let queue = if o.queue_position > 0 {
        format!("（轮候第 {} 位）", o.queue_position)
    } else {
        String::new()
    };
    format!(
        r#"<tr id="order-{id}" class="order" data-state="{state_key}"><td>{action}</td><td><span class="badge s-{state_key}">{state_name}</span>{queue}</td><td>{source}<br><span class="muted">{asset}</span></td><td class="num">{amount}</td><td class="num">{frozen}</td><td>{period}</td><td>{ruling}</td><td>{officer}</td><td><a href="/order?id={uid}">详情</a></td></tr>"#,
        id = esc(&o.order_id),
        uid = url(&o.order_id),
        action = action_name(o.action),
        source = esc(&o.source),
        asset = esc(&o.asset_ref),
        amount = yuan(o.amount_fen),
        frozen = yuan(o.frozen_fen),
        ruling = esc(&o.ruling),
        officer = esc(&o.officer),
    )
}

pub(crate) const ORDERS_HEAD: &str = r#"<thead><tr><th>动作</th><th>状态</th><th>财产</th><th class="num">金额（元）</th><th class="num">已冻结</th><th>期限</th><th>文书</th><th>承办人</th><th></th></tr></thead>"#;

#[derive(Deserialize)]
pub struct One {
    #[serde(default)]
    n: String,
}

pub async fn one(Ctx(console): Ctx<State>, headers: HeaderMap, Query(q): Query<One>) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let token = &session.credential.token;
    let case = match console
        .hub
        .cases(token)
        .get_case(pb::GetCaseRequest {
            case_number: q.n.clone(),
            ..Default::default()
        })
        .await
    {
        Ok(c) => c.into_inner(),
        Err(status) => return fail("案件", &session, &plain(&status)),
    };
    let orders = console
        .hub
        .orders(token)
        .list_orders(pb::ListOrdersRequest {
            case_number: case.case_number.clone(),
            limit: 1000,
            ..Default::default()
        })
        .await;
    let rows = match orders {
        Ok(o) => o
            .into_inner()
            .orders
            .iter()
            .map(order_row)
            .collect::<String>(),
        Err(status) => error(&plain(&status)),
    };
    let debtors: String = case
        .debtors
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                r#"<li>{name} {id} — <a href="/search?case={u}&debtor={i}">查询财产</a></li>"#,
                name = esc(&d.name),
                id = esc(&d.id_masked),
                u = url(&case.case_number),
            )
        })
        .collect();
    let remaining = (case.claim_fen - case.reserved_fen).max(0);
    let body = format!(
        r#"<div class="grid">
<div class="stat">状态<b>{state}</b></div><div class="stat">执行标的（元）<b id="claim">{claim}</b></div>
<div class="stat">已冻结<b id="frozen">{frozen}</b></div><div class="stat">已扣划<b>{deducted}</b></div>
<div class="stat">已占用 / 尚可控制<b>{reserved} / {remaining}</b></div><div class="stat">在控财产 / 最近到期<b>{holds} / {end}</b></div></div>
<h2>控制指令</h2><table>{head}<tbody id="orders">{rows}</tbody></table>
<h2>动态 <span class="muted" style="font-size:13px">（实时）</span></h2><ul id="feed" class="feed" data-stream="/events?n={u}"></ul>
<h2>被执行人（{count}）</h2><ul id="debtors" class="debtors">{debtors}</ul>
<script src="/live.js"></script>"#,
        state = case_state(case.state),
        claim = yuan(case.claim_fen),
        frozen = yuan(case.frozen_fen),
        deducted = yuan(case.deducted_fen),
        reserved = yuan(case.reserved_fen),
        remaining = yuan(remaining),
        holds = case.holds_in_force,
        end = esc(if case.nearest_end_date.is_empty() {
            "—"
        } else {
            &case.nearest_end_date
        }),
        head = ORDERS_HEAD,
        u = url(&case.case_number),
        count = case.debtors.len(),
    );
    page(&case.case_number, Some(&session), &body).into_response()
}

/// The case's events as they are recorded: each order event replaces its row (`row`) and adds
/// a line to the feed (`feed`).
pub async fn events(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(q): Query<One>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    let session = signed_in(&console, &headers)?;
    let feed = console
        .hub
        .orders(&session.credential.token)
        .watch_events(pb::WatchEventsRequest {
            after_cursor: 0,
            case_number: q.n.clone(),
        })
        .await;
    let stream = async_stream(feed);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn async_stream(
    feed: Result<tonic::Response<tonic::Streaming<pb::OrderEvent>>, tonic::Status>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    use futures::StreamExt;
    let first: Vec<Result<Event, Infallible>> = match &feed {
        Err(status) => vec![Ok(Event::default()
            .event("feed")
            .data(format!("<li>{}</li>", esc(&plain(status)))))],
        Ok(_) => vec![],
    };
    let events = feed.ok().map(|r| r.into_inner());
    futures::stream::iter(first).chain(
        futures::stream::unfold(events, |events| async move {
            let mut events = events?;
            match events.message().await {
                Ok(Some(event)) => {
                    let items = event_items(&event);
                    Some((futures::stream::iter(items), Some(events)))
                }
                _ => None,
            }
        })
        .flatten(),
    )
}

fn event_items(event: &pb::OrderEvent) -> Vec<Result<Event, Infallible>> {
    let when = crate::html::beijing(event.at_ms);
    match &event.body {
        Some(pb::order_event::Body::Order(o)) => {
            let (key, name) = order_state(o.state);
            vec![
                Ok(Event::default().event("row").data(order_row(o))),
                Ok(Event::default().event("feed").data(format!(
                    r#"<li class="event" data-order="{id}" data-state="{key}">{when} {action} {source} <span class="badge s-{key}">{name}</span> {amount} 元</li>"#,
                    id = esc(&o.order_id),
                    action = action_name(o.action),
                    source = esc(&o.source),
                    amount = yuan(o.frozen_fen.max(o.amount_fen)),
                ))),
            ]
        }
        Some(pb::order_event::Body::Inquiry(i)) => {
            vec![Ok(Event::default().event("feed").data(format!(
                r#"<li class="event">{when} 查询 {source}：{state}</li>"#,
                source = esc(&i.source),
                state = match i.state.as_str() {
                    "pending" => "已受理，稍后答复",
                    "answered" => "已答复",
                    "expired" => "逾期未答复",
                    "failed" => "失败",
                    other => other,
                },
            )))]
        }
        Some(pb::order_event::Body::Sighting(s)) => {
            vec![Ok(Event::default().event("feed").data(format!(
                r#"<li class="event">{when} 布控发现：{plate} 于 {place}</li>"#,
                plate = esc(&s.plate),
                place = esc(&s.place),
            )))]
        }
        None => vec![],
    }
}
