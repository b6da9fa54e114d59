//! The audit log for auditors: entries by case, method and time (Beijing dates), and the
//! verification of the whole hash chain against the latest signed checkpoint — both done by
//! the hub's Audit service under the auditor's own token.

use super::{checked, signed_in, State};
use crate::html::{beijing, csrf_field, error, esc, page};
use crate::hub::plain;
use assethub_proto::v1 as pb;
use axum::extract::{Form, Query, State as Ctx};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    case: String,
    #[serde(default)]
    method: String,
    /// Beijing civil date, "2026-12-03": entries of that day only.
    #[serde(default)]
    day: String,
}

async fn render(
    console: &crate::Console,
    session: &crate::session::Session,
    f: &Filter,
    notice: String,
) -> Response {
    let (since_ms, until_ms) = if f.day.trim().is_empty() {
        (0, 0)
    } else {
        match crate::html::beijing_day(&f.day) {
            Some(range) => range,
            None => {
                return page(
                    "审计日志",
                    Some(session),
                    &error("日期格式应为 2026-12-03。"),
                )
                .into_response()
            }
        }
    };
    let listed = console
        .hub
        .audit(&session.credential.token)
        .list_audit(pb::ListAuditRequest {
            after_seq: 0,
            limit: 500,
            case_number: f.case.trim().to_string(),
            method: f.method.trim().to_string(),
            since_ms,
            until_ms,
            max_bytes: 0,
        })
        .await;
    let table = match listed {
        Err(s) => error(&plain(&s)),
        Ok(list) => {
            let rows: String = list
                .into_inner()
                .entries
                .iter()
                .rev()
                .map(|e| {
                    format!(
                        r#"<tr class="entry"><td class="num">{seq}</td><td>{at}</td><td>{actor}<br><span class="muted">{role} {court}</span></td><td>{method}</td><td>{case}</td><td>{debtor}</td><td>{decision} / {outcome}</td><td class="muted">{detail}</td></tr>"#,
                        seq = e.seq,
                        at = beijing(e.at_ms),
                        actor = esc(&e.actor),
                        role = esc(&e.role),
                        court = esc(&e.court),
                        method = esc(&e.method),
                        case = esc(&e.case_number),
                        debtor = esc(&e.debtor_ref),
                        decision = esc(&e.decision),
                        outcome = esc(&e.outcome),
                        detail = esc(&e.detail.chars().take(200).collect::<String>()),
                    )
                })
                .collect();
            format!(
                r#"<table id="entries"><thead><tr><th class="num">序号</th><th>时间（北京）</th><th>操作人</th><th>方法</th><th>案号</th><th>被执行人</th><th>决定 / 结果</th><th>说明</th></tr></thead><tbody>{rows}</tbody></table>"#
            )
        }
    };
    let body = format!(
        r#"{notice}<div class="two"><form method="get" action="/audit" class="panel" id="audit-filter">
<label for="case">案号</label><input type="text" id="case" name="case" value="{case}">
<label for="method">方法</label><input type="text" id="method" name="method" value="{method}" placeholder="Query, PlaceHold, …">
<label for="day">日期（北京时间）</label><input type="text" id="day" name="day" value="{day}" placeholder="{today}">
<button type="submit" class="secondary">筛选</button></form>
<form method="post" action="/audit/verify" class="panel" id="verify">{csrf}<p>校验整条哈希链，并与最近一次签名检查点核对。</p>
<button type="submit" class="primary" id="verify-submit">校验审计链</button></form></div>{table}"#,
        case = esc(&f.case),
        method = esc(&f.method),
        day = esc(&f.day),
        today = crate::html::beijing_today(),
        csrf = csrf_field(session),
    );
    page("审计日志", Some(session), &body).into_response()
}

pub async fn list(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Response {
    match signed_in(&console, &headers) {
        Ok(session) => render(&console, &session, &f, String::new()).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct Verify {
    #[serde(default)]
    csrf: String,
}

pub async fn verify(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Form(v): Form<Verify>,
) -> Response {
    let session = match checked(&console, &headers, &v.csrf) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut audit = console.hub.audit(&session.credential.token);
    let checkpoint = audit
        .checkpoint_audit(pb::CheckpointAuditRequest { sign_now: false })
        .await
        .ok()
        .and_then(|r| r.into_inner().checkpoint);
    let verified = audit
        .verify_audit(pb::VerifyAuditRequest {
            checkpoints: checkpoint.iter().cloned().collect(),
        })
        .await;
    let notice = match verified {
        Err(s) => error(&plain(&s)),
        Ok(r) => {
            let r = r.into_inner();
            let against = checkpoint
                .map(|c| {
                    format!(
                        "，与检查点（{} 条，{} 签名，密钥 {}）一致",
                        c.entries,
                        beijing(c.at_ms),
                        esc(&c.key_id)
                    )
                })
                .unwrap_or_else(|| "（尚无签名检查点）".into());
            if r.intact {
                format!(
                    r#"<div class="ok" id="verify-result" data-intact="1">审计链完整：已校验 {} 条{against}。链头 <code>{}</code></div>"#,
                    r.entries_checked,
                    esc(&r.head_hash)
                )
            } else {
                format!(
                    r#"<div class="error" id="verify-result" data-intact="0" role="alert">审计链已损坏：第 {} 条起不一致。{}</div>"#,
                    r.first_broken_seq,
                    esc(&r.reason)
                )
            }
        }
    };
    render(&console, &session, &Filter::default(), notice).await
}
