//! The search page: a case and one of its debtors (by position in the case, so no identity
//! number travels in a URL), then each source's answer as it arrives (the hub's
//! `StreamQuery` relayed as server-sent events) with its latency, cached age and status —
//! the slow ones reported timed out at the deadline — and, when all have answered, the
//! assets' totals by kind. Each asset offers the act its kind allows; the one-click freeze
//! of the case's remaining claim is offered beside.

use super::{fail, signed_in, State};
use crate::html::{error, esc, kind_label, page, url, yuan};
use crate::hub::plain;
use assethub_proto::v1 as pb;
use axum::extract::{Query, State as Ctx};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::convert::Infallible;

#[derive(Deserialize, Default)]
pub struct Ask {
    #[serde(default)]
    case: String,
    #[serde(default)]
    debtor: Option<usize>,
    #[serde(default)]
    fresh: Option<u8>,
}

pub async fn form(Ctx(console): Ctx<State>, headers: HeaderMap, Query(q): Query<Ask>) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let token = &session.credential.token;
    let cases = console
        .hub
        .cases(token)
        .list_cases(pb::ListCasesRequest {
            states: vec![pb::CaseState::Open as i32],
            after_case_number: String::new(),
            limit: 500,
        })
        .await;
    let cases = match cases {
        Ok(c) => c.into_inner().cases,
        Err(status) => return fail("财产查询", &session, &plain(&status)),
    };
    let options: String = cases
        .iter()
        .map(|c| {
            format!(
                r#"<option value="{n}"{sel}>{n}</option>"#,
                n = esc(&c.case_number),
                sel = if c.case_number == q.case {
                    " selected"
                } else {
                    ""
                }
            )
        })
        .collect();
    let chosen = cases.iter().find(|c| c.case_number == q.case);
    let debtor_select = chosen
        .map(|c| {
            let options: String = c
                .debtors
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    format!(
                        r#"<option value="{i}"{sel}>{name} {id}</option>"#,
                        name = esc(&d.name),
                        id = esc(&d.id_masked),
                        sel = if q.debtor == Some(i) { " selected" } else { "" }
                    )
                })
                .collect();
            format!(r#"<label for="debtor">被执行人</label><select id="debtor" name="debtor">{options}</select>"#)
        })
        .unwrap_or_default();
    let mut body = format!(
        r#"<form method="get" action="/search" class="panel" id="search">
<label for="case">案件</label><select id="case" name="case" onchange="this.form.debtor && (this.form.debtor.disabled = true); this.form.submit()"><option value="">请选择案件</option>{options}</select>
{debtor_select}
<label><input type="checkbox" name="fresh" value="1"> 不使用缓存，重新向各单位查询</label>
<button type="submit" class="primary" id="search-submit">查询</button></form>"#
    );
    if let (Some(case), Some(i)) = (chosen, q.debtor) {
        let Some(debtor) = case.debtors.get(i) else {
            body.push_str(&error("该案件没有这个被执行人。"));
            return page("财产查询", Some(&session), &body).into_response();
        };
        let remaining = (case.claim_fen - case.reserved_fen).max(0);
        let fresh = u8::from(q.fresh == Some(1));
        body.push_str(&format!(
            r#"<div class="panel"><b>{name} {id}</b>　案件 {n}　执行标的 {claim} 元，尚可控制 {remaining} 元
<form method="get" action="/freeze" class="inline" id="freeze-all"><input type="hidden" name="case" value="{n}"><input type="hidden" name="debtor" value="{i}">
<label for="cap">一键冻结存款（至多，元）</label><input type="text" id="cap" name="cap" value="{cap}">
<button type="submit" class="primary" id="freeze-preview">预览冻结方案</button></form></div>
<div id="totals" class="panel muted">正在查询各单位……</div>
<div id="results" data-stream="/search/stream?case={u}&debtor={i}&fresh={fresh}" data-done="totals"></div>
<p><a href="/search?case={u}&debtor={i}&fresh=1" id="fresh">重新查询（不使用缓存）</a></p>
<script src="/live.js"></script>"#,
            name = esc(&debtor.name),
            id = esc(&debtor.id_masked),
            n = esc(&case.case_number),
            u = url(&case.case_number),
            claim = yuan(case.claim_fen),
            remaining = yuan(remaining),
            cap = yuan(remaining),
        ));
    }
    page("财产查询", Some(&session), &body).into_response()
}

/// Each source's answer as an `append` event, then the totals as `done`.
pub async fn stream(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(q): Query<Ask>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    let session = signed_in(&console, &headers)?;
    let token = session.credential.token.clone();
    let case = console
        .hub
        .cases(&token)
        .get_case(pb::GetCaseRequest {
            case_number: q.case.clone(),
            ..Default::default()
        })
        .await;
    let (answers, problem) = match case {
        Err(status) => (None, Some(plain(&status))),
        Ok(case) => {
            let case = case.into_inner();
            match q.debtor.and_then(|i| case.debtors.get(i)) {
                None => (None, Some("该案件没有这个被执行人。".to_string())),
                Some(d) => {
                    let request = pb::QueryRequest {
                        case_number: case.case_number.clone(),
                        debtor: Some(pb::Debtor {
                            id_number: d.id_number.clone(),
                            name: d.name.clone(),
                        }),
                        fresh: q.fresh == Some(1),
                        ..Default::default()
                    };
                    match console.hub.search(&token).stream_query(request).await {
                        Ok(s) => (
                            Some((
                                s.into_inner(),
                                case.case_number.clone(),
                                q.debtor.unwrap_or(0),
                            )),
                            None,
                        ),
                        Err(status) => (None, Some(plain(&status))),
                    }
                }
            }
        }
    };
    let head = futures::stream::iter(problem.map(|p| {
        Ok(Event::default().event("done").data(format!(
            r#"<div class="error" role="alert">{}</div>"#,
            esc(&p)
        )))
    }));
    let body = futures::stream::unfold(
        answers.map(|(s, case, debtor)| (s, case, debtor, Totals::default(), false)),
        |state| async move {
            let (mut s, case, debtor, mut totals, over) = state?;
            if over {
                return None;
            }
            match s.message().await {
                Ok(Some(result)) => {
                    totals.add(&result);
                    let html = source_section(&result, &case, debtor);
                    Some((
                        Ok(Event::default().event("append").data(html)),
                        Some((s, case, debtor, totals, false)),
                    ))
                }
                Ok(None) => Some((
                    Ok(Event::default().event("done").data(totals.html())),
                    Some((s, case, debtor, totals, true)),
                )),
                Err(status) => Some((
                    Ok(Event::default().event("done").data(format!(
                        "{}{}",
                        error(&plain(&status)),
                        totals.html()
                    ))),
                    Some((s, case, debtor, totals, true)),
                )),
            }
        },
    );
    Ok(Sse::new(head.chain(body)).keep_alive(KeepAlive::default()))
}

fn status_name(status: i32) -> (&'static str, &'static str) {
    use pb::SourceStatus as S;
    match S::try_from(status).unwrap_or(S::Unspecified) {
        S::Ok => ("OK", "已答复"),
        S::NotFound => ("NOT_FOUND", "无记录"),
        S::NameMismatch => ("NAME_MISMATCH", "姓名不符"),
        S::Error => ("ERROR", "出错"),
        S::TimedOut => ("TIMED_OUT", "超时未答复"),
        S::Pending => ("PENDING", "已受理，稍后答复"),
        S::Expired => ("EXPIRED", "逾期未答复"),
        S::Unspecified => ("UNSPECIFIED", "—"),
    }
}

/// The acts a search result offers for an asset of `kind`.
fn acts_for(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "bank" | "payment" => &[("freeze", "冻结")],
        "real_estate" => &[("seal", "查封")],
        "vehicle" => &[("seal", "查封"), ("watch", "布控")],
        _ => &[("freeze", "冻结"), ("seal", "查封")],
    }
}

fn source_section(r: &pb::SourceResult, case: &str, debtor: usize) -> String {
    let (key, name) = status_name(r.status);
    let age = if r.cached {
        format!(" · 缓存 {} 秒前", r.age_ms / 1000)
    } else {
        String::new()
    };
    let reason = if r.reason.is_empty() {
        String::new()
    } else {
        format!(r#"<p class="muted">{}</p>"#, esc(&r.reason))
    };
    let rows: String = r
        .assets
        .iter()
        .map(|a| {
            let g = a.generic.clone().unwrap_or_default();
            let value = match &a.detail {
                Some(pb::asset::Detail::Deposit(d)) => format!(
                    "余额 {} 元，已冻结 {} 元",
                    yuan(d.balance_fen),
                    yuan(d.frozen_fen)
                ),
                Some(pb::asset::Detail::PaymentBalance(p)) => format!(
                    "余额 {} 元，已冻结 {} 元",
                    yuan(p.balance_fen),
                    yuan(p.frozen_fen)
                ),
                _ => g.value_fen.map(|v| format!("{} 元", yuan(v))).unwrap_or_default(),
            };
            let available = match &a.detail {
                Some(pb::asset::Detail::Deposit(d)) => (d.balance_fen - d.frozen_fen).max(0),
                Some(pb::asset::Detail::PaymentBalance(p)) => (p.balance_fen - p.frozen_fen).max(0),
                _ => 0,
            };
            let acts: String = acts_for(&r.kind_name)
                .iter()
                .map(|(act, label)| {
                    format!(
                        r#" <a class="act" data-act="{act}" href="/hold?case={c}&debtor={debtor}&asset={asset}&action={act}&amount={amount}">{label}</a>"#,
                        c = url(case),
                        asset = url(&a.asset_ref),
                        amount = yuan(available),
                    )
                })
                .collect();
            format!(
                r#"<tr class="asset" data-asset="{ref_}"><td>{title}</td><td>{value}</td><td>{acts}</td></tr>"#,
                ref_ = esc(&a.asset_ref),
                title = esc(if g.title.is_empty() { &a.asset_ref } else { &g.title }),
            )
        })
        .collect();
    let table = if rows.is_empty() {
        String::new()
    } else {
        format!("<table><tbody>{rows}</tbody></table>")
    };
    format!(
        r#"<section class="source" data-source="{id}" data-status="{key}"><h3>{id} <span class="badge s-{key}">{name}</span> <span class="muted" style="font-size:13px">{kind} · 耗时 {latency} 毫秒{age}</span></h3>{reason}{table}</section>"#,
        id = esc(&r.source),
        kind = esc(kind_label(&r.kind_name)),
        latency = r.latency_ms,
    )
}

/// What the answers hold, by kind.
#[derive(Default)]
struct Totals {
    sources: usize,
    answered: usize,
    kinds: BTreeMap<String, (usize, i64)>,
}

impl Totals {
    fn add(&mut self, r: &pb::SourceResult) {
        self.sources += 1;
        if r.status == pb::SourceStatus::Ok as i32 || r.status == pb::SourceStatus::NotFound as i32
        {
            self.answered += 1;
        }
        for a in &r.assets {
            let value = match &a.detail {
                Some(pb::asset::Detail::Deposit(d)) => d.balance_fen,
                Some(pb::asset::Detail::PaymentBalance(p)) => p.balance_fen,
                _ => a.generic.as_ref().and_then(|g| g.value_fen).unwrap_or(0),
            };
            let entry = self.kinds.entry(r.kind_name.clone()).or_default();
            entry.0 += 1;
            entry.1 = entry.1.saturating_add(value);
        }
    }

    fn html(&self) -> String {
        let rows: String = self
            .kinds
            .iter()
            .map(|(kind, (count, value))| {
                format!(
                    r#"<tr><td>{}</td><td class="num">{count}</td><td class="num">{}</td></tr>"#,
                    esc(kind_label(kind)),
                    yuan(*value)
                )
            })
            .collect();
        format!(
            r#"<div id="done" data-sources="{s}">{s} 个单位，{a} 个已答复。<table><thead><tr><th>财产类别</th><th class="num">项数</th><th class="num">金额（元）</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
            s = self.sources,
            a = self.answered,
        )
    }
}
