//! Approvals (four-eyes): a supervisor's queue of their court's orders awaiting approval,
//! approved or rejected with a reason; a judge sees their own orders waiting. The hub decides
//! who may approve what (never one's own order); the page only asks.

use super::cases::{order_row, ORDERS_HEAD};
use super::{checked, signed_in, State};
use crate::html::{csrf_field, error, esc, page};
use crate::hub::plain;
use assethub_client::Role;
use assethub_proto::v1 as pb;
use axum::extract::{Form, State as Ctx};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Longest reason accepted from the form (the hub bounds it too).
const MAX_REASON: usize = 500;

async fn render(
    console: &crate::Console,
    session: &crate::session::Session,
    notice: String,
) -> Response {
    let supervisor = session.credential.role == Role::Supervisor;
    let listed = console
        .hub
        .orders(&session.credential.token)
        .list_orders(pb::ListOrdersRequest {
            states: vec![pb::OrderState::AwaitingApproval as i32],
            limit: 1000,
            ..Default::default()
        })
        .await;
    let body = match listed {
        Err(s) => format!("{notice}{}", error(&plain(&s))),
        Ok(list) => {
            let orders: Vec<pb::Order> = list
                .into_inner()
                .orders
                .into_iter()
                .filter(|o| supervisor || o.officer == session.credential.officer)
                .collect();
            let rows: String = orders
                .iter()
                .map(|o| {
                    let row = order_row(o);
                    if !supervisor {
                        return row;
                    }
                    let decide = format!(
                        r#"<tr class="decide" data-order="{id}"><td colspan="9"><form method="post" action="/approvals" class="approval">{csrf}<input type="hidden" name="id" value="{id}">
<label for="reason-{id}">理由</label><input type="text" id="reason-{id}" name="reason" maxlength="{MAX_REASON}">
<button type="submit" name="decision" value="approve" class="primary approve">批准</button> <button type="submit" name="decision" value="reject" class="secondary reject">驳回</button></form></td></tr>"#,
                        id = esc(&o.order_id),
                        csrf = csrf_field(session),
                    );
                    format!("{row}{decide}")
                })
                .collect();
            let empty = if orders.is_empty() {
                r#"<p class="muted" id="none">没有待审批的指令。</p>"#
            } else {
                ""
            };
            format!(
                r#"{notice}<table id="approvals">{ORDERS_HEAD}<tbody>{rows}</tbody></table>{empty}"#
            )
        }
    };
    let title = if supervisor {
        "审批"
    } else {
        "我的待审批指令"
    };
    page(title, Some(session), &body).into_response()
}

pub async fn list(Ctx(console): Ctx<State>, headers: HeaderMap) -> Response {
    match signed_in(&console, &headers) {
        Ok(session) => render(&console, &session, String::new()).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct Decide {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Form(f): Form<Decide>,
) -> Response {
    let session = match checked(&console, &headers, &f.csrf) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return render(&console, &session, error("请选择批准或驳回。")).await,
    };
    if !approve && f.reason.trim().is_empty() {
        return render(&console, &session, error("驳回须填写理由。")).await;
    }
    let reason: String = f.reason.trim().chars().take(MAX_REASON).collect();
    let decided = console
        .hub
        .orders(&session.credential.token)
        .decide_approval(pb::DecideApprovalRequest {
            order_id: f.id.clone(),
            approve,
            reason,
        })
        .await;
    let notice = match decided {
        Ok(o) => format!(
            r#"<div class="ok" id="decided">已{}指令 <a href="/order?id={}">{}</a>。</div>"#,
            if approve { "批准" } else { "驳回" },
            crate::html::url(&o.get_ref().order_id),
            esc(&o.get_ref().order_id)
        ),
        Err(s) => error(&plain(&s)),
    };
    render(&console, &session, notice).await
}
