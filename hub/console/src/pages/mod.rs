//! The console's routes, and what every page handler shares: the signed-in session (or a
//! redirect to sign-in), the CSRF and origin check of every state-changing form, and the
//! small script that makes the live parts live.

// Handlers answer with a `Response` either way; the `Err` of these helpers is the page to send.
#![allow(clippy::result_large_err)]

mod approvals;
mod audit;
mod cases;
mod centre;
mod control;
mod search;
mod signin;
mod sources;

use crate::html::{error, page};
use crate::session::{same_origin, tokens_match, Session};
use crate::Console;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub(crate) type State = Arc<Console>;

pub fn routes(console: State) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signout", post(signin::signout))
        .route("/cases", get(cases::list))
        .route("/case", get(cases::one))
        .route("/events", get(cases::events))
        .route("/search", get(search::form))
        .route("/search/stream", get(search::stream))
        .route(
            "/freeze",
            get(control::freeze_preview).post(control::freeze),
        )
        .route("/hold", get(control::hold_form).post(control::hold))
        .route("/act", get(control::act_form).post(control::act))
        .route("/order", get(control::order))
        .route("/approvals", get(approvals::list).post(approvals::decide))
        .route("/audit", get(audit::list))
        .route("/audit/verify", post(audit::verify))
        .route("/sources", get(sources::list))
        .route("/sources/table", get(sources::table))
        .route("/centre", get(centre::show))
        .route("/live.js", get(live_js))
        .with_state(console)
}

async fn home(
    axum::extract::State(console): axum::extract::State<State>,
    headers: HeaderMap,
) -> Redirect {
    match console.sessions.of(&headers) {
        Some(s) => Redirect::to(match s.credential.role {
            assethub_client::Role::Auditor => "/audit",
            assethub_client::Role::Admin => "/sources",
            assethub_client::Role::Supervisor => "/centre",
            _ => "/cases",
        }),
        None => Redirect::to("/signin"),
    }
}

/// The session of a page request, or the way to sign in.
pub(crate) fn signed_in(console: &Console, headers: &HeaderMap) -> Result<Session, Response> {
    console
        .sessions
        .of(headers)
        .ok_or_else(|| Redirect::to("/signin").into_response())
}

/// The session of a state-changing request from the console's own page: signed in, sent from
/// this origin, carrying the session's CSRF token. Anything else changes nothing.
pub(crate) fn checked(
    console: &Console,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Session, Response> {
    let session = signed_in(console, headers)?;
    if !same_origin(headers) || !tokens_match(csrf, &session.csrf) {
        tracing::warn!("console: a form from another origin or without its token was refused");
        return Err(refused(Some(&session)));
    }
    Ok(session)
}

/// A page saying why nothing was done (`text` in the users' words).
pub(crate) fn fail(title: &str, session: &Session, text: &str) -> Response {
    page(title, Some(session), &error(text)).into_response()
}

/// The answer to a forged or foreign form.
pub(crate) fn refused(session: Option<&Session>) -> Response {
    (
        StatusCode::FORBIDDEN,
        page(
            "请求被拒绝",
            session,
            &error("该请求不是从本系统的页面提交的（来源或校验码不符），未做任何操作。"),
        ),
    )
        .into_response()
}

/// The live parts of pages: an element with `data-stream` receives server-sent events —
/// `append` (HTML added at the end of the element named by `data-into`, or the element
/// itself), `row` (a table row replacing the one with its id, or added first), `replace`
/// (the element's content), `done` (the stream is over).
async fn live_js() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/javascript; charset=utf-8",
        )],
        LIVE_JS,
    )
}

const LIVE_JS: &str = r#"
document.querySelectorAll('[data-stream]').forEach(function (box) {
  var into = document.getElementById(box.dataset.into || '') || box;
  var es = new EventSource(box.dataset.stream);
  function html(text) { var t = document.createElement('template'); t.innerHTML = text.trim(); return t.content.firstElementChild; }
  es.addEventListener('append', function (e) { into.insertAdjacentHTML('beforeend', e.data); });
  es.addEventListener('feed', function (e) {
    var feed = document.getElementById('feed'); if (feed) feed.insertAdjacentHTML('afterbegin', e.data);
  });
  es.addEventListener('row', function (e) {
    var row = html(e.data); var old = row && row.id && document.getElementById(row.id);
    var rows = document.getElementById(box.dataset.rows || 'orders');
    if (old) old.replaceWith(row); else if (rows && rows.dataset.only === undefined) rows.insertAdjacentElement('afterbegin', row);
  });
  es.addEventListener('replace', function (e) { into.innerHTML = e.data; });
  es.addEventListener('done', function (e) {
    var end = document.getElementById(box.dataset.done || ''); if (end) end.innerHTML = e.data;
    box.dataset.finished = '1'; es.close();
  });
});
"#;
