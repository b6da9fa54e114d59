//! The command centre (执行指挥中心) for supervisors and court leadership: the court's
//! enforcement at a glance, from the hub's API under the viewer's token — today's searches and
//! hits by kind of asset (`CourtFigures`), each agency's answer times and error rates, amounts
//! frozen, deducted and reserved over the court's cases (a bar per case), holds expiring within
//! 30 days, orders awaiting approval or an agency's answer — reloaded every 15 seconds. A part
//! the viewer's role may not read says so instead of a number.

use super::{signed_in, State};
use crate::html::{esc, kind_label, order_state, page, url, yuan};
use crate::hub::plain;
use assethub_proto::v1 as pb;
use axum::extract::State as Ctx;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

pub async fn show(Ctx(console): Ctx<State>, headers: HeaderMap) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let token = &session.credential.token;
    let cases = console
        .hub
        .cases(token)
        .list_cases(pb::ListCasesRequest {
            limit: 1000,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().cases);
    let orders = console
        .hub
        .orders(token)
        .list_orders(pb::ListOrdersRequest {
            limit: 1000,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().orders);
    let expiring = console
        .hub
        .orders(token)
        .list_orders(pb::ListOrdersRequest {
            expiring_within_days: 30,
            limit: 1000,
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().orders);
    let figures = console
        .hub
        .cases(token)
        .court_figures(pb::CourtFiguresRequest::default())
        .await
        .map(|r| r.into_inner());
    let mut body = String::new();
    match &figures {
        Ok(figures) => body.push_str(&today(figures)),
        Err(s) => body.push_str(&crate::html::error(&plain(s))),
    }
    match &cases {
        Ok(cases) => {
            let sum = |f: fn(&pb::Case) -> i64| cases.iter().map(f).sum::<i64>();
            let (frozen, deducted, reserved, claim) = (
                sum(|c| c.frozen_fen),
                sum(|c| c.deducted_fen),
                sum(|c| c.reserved_fen),
                sum(|c| c.claim_fen),
            );
            let count = |state: pb::OrderState| {
                orders
                    .as_ref()
                    .map(|o| {
                        o.iter()
                            .filter(|o| o.state == state as i32)
                            .count()
                            .to_string()
                    })
                    .unwrap_or_else(plain)
            };
            body.push_str(&format!(
                r#"<h2>控制与金额</h2><div class="grid" id="figures">
<div class="stat">在办案件<b>{cases}</b></div><div class="stat">执行标的合计（元）<b>{claim}</b></div>
<div class="stat">已冻结（元）<b id="total-frozen">{frozen}</b></div><div class="stat">已扣划（元）<b>{deducted}</b></div>
<div class="stat">已占用（元）<b>{reserved}</b></div><div class="stat">排队待冻结（元）<b id="queued-amount">{queued}</b></div><div class="stat">30 日内到期的控制<b id="expiring-count">{expiring}</b></div>
<div class="stat">待审批<b id="awaiting-approval">{approval}</b></div><div class="stat">等待协助单位反馈<b id="awaiting-agency">{agency}</b></div></div>"#,
                cases = cases.len(),
                claim = yuan(claim),
                frozen = yuan(frozen),
                deducted = yuan(deducted),
                reserved = yuan(reserved),
                expiring = expiring.as_ref().map(|e| e.len().to_string()).unwrap_or_else(plain),
                approval = count(pb::OrderState::AwaitingApproval),
                // Holds waiting behind others at the agency: what they count against their
                // claims, in yuan (a foreign currency at its recorded rate).
                queued = orders
                    .as_ref()
                    .map(|o| {
                        yuan(
                            o.iter()
                                .filter(|o| o.state == pb::OrderState::Queued as i32)
                                .map(|o| o.value_fen)
                                .sum(),
                        )
                    })
                    .unwrap_or_else(plain),
                agency = count(pb::OrderState::AwaitingAgency),
            ));
            // Where the money is held, case by case: bars are easier to compare than numbers.
            let mut by_case: Vec<&pb::Case> = cases.iter().filter(|c| c.reserved_fen > 0).collect();
            by_case.sort_by_key(|c| std::cmp::Reverse(c.reserved_fen));
            let top = by_case.first().map_or(1, |c| c.reserved_fen.max(1));
            let bars: String = by_case
                .iter()
                .take(12)
                .map(|c| {
                    let pct = (c.reserved_fen as f64 / top as f64 * 100.0).clamp(1.0, 100.0);
                    format!(
                        r#"<tr><td><a href="/case?n={u}">{n}</a></td><td style="width:50%"><div class="bar" style="width:{pct:.0}%" title="{v} 元"></div></td><td class="num">{v}</td></tr>"#,
                        u = url(&c.case_number),
                        n = esc(&c.case_number),
                        v = yuan(c.reserved_fen),
                    )
                })
                .collect();
            body.push_str(&format!(
                r#"<h2>各案件已占用金额</h2><table id="chart"><tbody>{bars}</tbody></table>"#
            ));
        }
        Err(s) => body.push_str(&crate::html::error(&plain(s))),
    }
    if let Ok(expiring) = &expiring {
        let rows: String = expiring
            .iter()
            .map(|o| {
                let (key, name) = order_state(o.state);
                format!(
                    r#"<tr><td><a href="/order?id={id}">{case}</a></td><td>{source}</td><td><span class="badge s-{key}">{name}</span></td><td>{end}（剩 {left} 天）</td></tr>"#,
                    id = url(&o.order_id),
                    case = esc(&o.case_number),
                    source = esc(&o.source),
                    end = esc(&o.end_date),
                    left = o.days_left,
                )
            })
            .collect();
        body.push_str(&format!(
            r#"<h2>30 日内到期，需续行或解除</h2><table id="expiring"><thead><tr><th>案号</th><th>单位</th><th>状态</th><th>到期</th></tr></thead><tbody>{rows}</tbody></table>"#
        ));
    }
    body.push_str("<script>setTimeout(function () { location.reload(); }, 15000);</script>");
    page("执行指挥中心", Some(&session), &body).into_response()
}

/// Percent of `part` in `whole`, one decimal ("—" for nothing counted).
fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "—".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// A bar `share` of the full width (0..=1), with its title.
fn bar(share: f64, title: &str, class: &str) -> String {
    let pct = (share * 100.0).clamp(0.0, 100.0);
    format!(
        r#"<div class="bar {class}" style="width:{pct:.0}%" title="{t}"></div>"#,
        t = esc(title)
    )
}

/// Today's searches and hits by kind of asset, and each agency's answer times and errors.
fn today(f: &pb::CourtFiguresResponse) -> String {
    // By kind: the sources of one kind added up, in the order they first appear.
    let mut kinds: Vec<(&str, i64, i64)> = Vec::new();
    for s in &f.sources {
        match kinds.iter_mut().find(|(k, _, _)| *k == s.kind) {
            Some(row) => {
                row.1 += s.answers;
                row.2 += s.hits;
            }
            None => kinds.push((&s.kind, s.answers, s.hits)),
        }
    }
    let top = kinds.iter().map(|k| k.1).max().unwrap_or(0).max(1);
    let kind_rows: String = kinds
        .iter()
        .map(|(kind, answers, hits)| {
            format!(
                r#"<tr class="kind" data-kind="{k}"><td>{name}</td><td class="num">{answers}</td><td class="num hits">{hits}</td><td>{rate}</td><td style="width:40%">{bar}</td></tr>"#,
                k = esc(kind),
                name = esc(kind_label(kind)),
                rate = percent(*hits, *answers),
                bar = bar(*hits as f64 / top as f64, &format!("{hits} / {answers}"), ""),
            )
        })
        .collect();
    let agency_rows: String = f
        .sources
        .iter()
        .map(|s| {
            let mean = if s.calls > 0 {
                format!("{} ms", s.latency_ms_total / s.calls)
            } else {
                "—".into()
            };
            let (fast, slow) = if s.calls > 0 {
                (
                    s.fast_calls as f64 / s.calls as f64,
                    s.slow_calls as f64 / s.calls as f64,
                )
            } else {
                (0.0, 0.0)
            };
            format!(
                r#"<tr class="agency" data-source="{id}"><td>{id}</td><td>{kind}</td><td class="num">{calls}</td><td class="num">{mean}</td><td style="width:24%"><div class="split">{fastbar}{slowbar}</div></td><td class="num errors">{errors}</td><td class="num">{timeouts}</td></tr>"#,
                id = esc(&s.source_id),
                kind = esc(kind_label(&s.kind)),
                calls = s.calls,
                fastbar = bar(fast, &format!("500 ms 内 {}", percent(s.fast_calls, s.calls)), "fast"),
                slowbar = bar(slow, &format!("超过 2 秒 {}", percent(s.slow_calls, s.calls)), "slow"),
                errors = percent(s.errors, s.calls),
                timeouts = percent(s.timeouts, s.calls),
            )
        })
        .collect();
    format!(
        r#"<h2>今日查询（{day}）</h2><div class="grid"><div class="stat">查询人次<b id="searches-today">{searches}</b></div><div class="stat">有财产的答复<b id="hits-today">{hits}</b></div></div>
<table id="kinds"><thead><tr><th>财产类别</th><th>答复</th><th>查到财产</th><th>查得率</th><th></th></tr></thead><tbody>{kind_rows}</tbody></table>
<h2>协助单位答复（今日，不含缓存）</h2><table id="agencies"><thead><tr><th>单位</th><th>类别</th><th>询问次数</th><th>平均用时</th><th>500 毫秒内 / 超过 2 秒</th><th>出错率</th><th>超时率</th></tr></thead><tbody>{agency_rows}</tbody></table>"#,
        day = esc(&f.day),
        searches = f.searches,
        hits = f.sources.iter().map(|s| s.hits).sum::<i64>(),
    )
}
