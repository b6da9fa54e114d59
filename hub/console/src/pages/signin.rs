//! Sign-in with a token (or, in the demo, one of the demo identities), and sign-out. The
//! token is checked by the hub itself (a call it refuses as UNAUTHENTICATED is not signed
//! in); the sign-in form carries its own CSRF token in a cookie of its own.

use super::{checked, refused, State};
use crate::html::{error, esc, page, role_name};
use crate::hub::plain;
use crate::session::{
    credential_of_token, random_token, same_origin, set_cookie, tokens_match, COOKIE, SESSION_TTL,
    SIGNIN_COOKIE,
};
use axum::extract::{Form, State as Ctx};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::time::Duration;

/// Longest token accepted from the form.
const MAX_TOKEN: usize = 8 * 1024;

pub async fn form(Ctx(console): Ctx<State>) -> Response {
    render(&console, None)
}

fn render(console: &crate::Console, problem: Option<&str>) -> Response {
    let csrf = random_token();
    let picker = if console.config.identities.is_empty() {
        String::new()
    } else {
        let options: String = console
            .config
            .identities
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    r#"<option value="{i}">{court} · {role}{officer}</option>"#,
                    court = esc(&c.court),
                    role = role_name(c.role),
                    officer = if c.officer.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", esc(&c.officer))
                    }
                )
            })
            .collect();
        format!(
            r#"<div class="panel"><h2>演示身份</h2><p class="muted">演示环境的开发凭据（两个法院、每个角色）。生产环境中请使用本院签发的令牌。</p>
<label for="identity">身份</label><select id="identity" name="identity"><option value="">（使用下方令牌）</option>{options}</select></div>"#
        )
    };
    let body = format!(
        r#"{problem}<form method="post" action="/signin" id="signin" class="panel">
<input type="hidden" name="csrf" value="{csrf}">{picker}
<label for="token">令牌（Bearer token）</label><textarea id="token" name="token" autocomplete="off" spellcheck="false"></textarea>
<button type="submit" class="primary" id="signin-submit">登录</button></form>"#,
        problem = problem.map(error).unwrap_or_default(),
    );
    (
        [(
            header::SET_COOKIE,
            set_cookie(
                SIGNIN_COOKIE,
                &csrf,
                Duration::from_secs(3600),
                console.config.secure_cookies,
            ),
        )],
        page("登录", None, &body),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    token: String,
}

pub async fn submit(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> Response {
    let expected = crate::session::cookie(&headers, SIGNIN_COOKIE).unwrap_or_default();
    if !same_origin(&headers) || expected.is_empty() || !tokens_match(&f.csrf, &expected) {
        return refused(None);
    }
    let credential = if !f.identity.is_empty() {
        match f
            .identity
            .parse::<usize>()
            .ok()
            .and_then(|i| console.config.identities.get(i))
        {
            Some(c) => c.clone(),
            None => return render(&console, Some("没有这个演示身份。")),
        }
    } else {
        let token = f.token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN {
            return render(&console, Some("请填写令牌。"));
        }
        match credential_of_token(token) {
            Some(c) => c,
            None => return render(&console, Some("令牌格式不正确。")),
        }
    };
    // The hub decides: a token it does not accept signs no one in. The probe is a reading the
    // token's role may make, so signing in leaves no refusal in the audit log.
    let probe = probe(&console, &credential).await;
    if let Err(status) = &probe {
        if matches!(
            status.code(),
            tonic::Code::Unauthenticated | tonic::Code::Unavailable
        ) {
            return render(&console, Some(&plain(status)));
        }
    }
    let id = console.sessions.open(credential);
    let secure = console.config.secure_cookies;
    let mut response = Redirect::to("/").into_response();
    let cookies = response.headers_mut();
    for value in [
        set_cookie(COOKIE, &id, SESSION_TTL, secure),
        set_cookie(SIGNIN_COOKIE, "", Duration::ZERO, secure),
    ] {
        if let Ok(v) = value.parse() {
            cookies.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// One cheap call the credential's role may make.
async fn probe(
    console: &crate::Console,
    c: &assethub_client::Credential,
) -> Result<(), tonic::Status> {
    use assethub_client::Role;
    use assethub_proto::v1 as pb;
    let token = &c.token;
    match c.role {
        Role::Admin => console
            .hub
            .search(token)
            .list_sources(pb::ListSourcesRequest::default())
            .await
            .map(drop),
        Role::Auditor => console
            .hub
            .audit(token)
            .checkpoint_audit(pb::CheckpointAuditRequest { sign_now: false })
            .await
            .map(drop),
        _ => console
            .hub
            .cases(token)
            .list_cases(pb::ListCasesRequest {
                limit: 1,
                ..Default::default()
            })
            .await
            .map(drop),
    }
}

#[derive(Deserialize)]
pub struct Csrf {
    #[serde(default)]
    csrf: String,
}

pub async fn signout(
    Ctx(console): Ctx<State>,
    headers: HeaderMap,
    Form(f): Form<Csrf>,
) -> Response {
    if let Err(refusal) = checked(&console, &headers, &f.csrf) {
        return refusal;
    }
    console.sessions.close(&headers);
    (
        [(
            header::SET_COOKIE,
            set_cookie(COOKIE, "", Duration::ZERO, console.config.secure_cookies),
        )],
        Redirect::to("/signin"),
    )
        .into_response()
}
