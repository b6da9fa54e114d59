//! The sources for admins: each one's kind, capabilities, breaker state, calls in flight,
//! rate limit and retry budget, as the hub reports them, refreshed every two seconds.

use super::{signed_in, State};
use crate::html::{error, esc, page};
use crate::hub::plain;
use assethub_proto::v1 as pb;
use axum::extract::State as Ctx;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

pub async fn list(Ctx(console): Ctx<State>, headers: HeaderMap) -> Response {
    let session = match signed_in(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let table = render(&console, &session.credential.token).await;
    let body = format!(
        r#"<div id="sources">{table}</div><script>
setInterval(function () {{ fetch('/sources/table').then(function (r) {{ return r.ok ? r.text() : null; }}).then(function (t) {{ if (t) document.getElementById('sources').innerHTML = t; }}); }}, 2000);
</script>"#
    );
    page("数据源", Some(&session), &body).into_response()
}

pub async fn table(Ctx(console): Ctx<State>, headers: HeaderMap) -> Response {
    match signed_in(&console, &headers) {
        Ok(session) => Html(render(&console, &session.credential.token).await).into_response(),
        Err(r) => r,
    }
}

async fn render(console: &crate::Console, token: &str) -> String {
    match console
        .hub
        .search(token)
        .list_sources(pb::ListSourcesRequest::default())
        .await
    {
        Err(s) => error(&plain(&s)),
        Ok(list) => {
            let rows: String = list
                .into_inner()
                .sources
                .iter()
                .map(|s| {
                    let breaker = match s.breaker_state.as_str() {
                        "closed" => "正常",
                        "open" => "熔断",
                        "half_open" => "试探",
                        other => other,
                    };
                    format!(
                        r#"<tr class="source-row" data-source="{id}"><td>{id}</td><td>{kind}</td><td>{connector}</td><td>{caps}</td><td><span class="badge s-{bk}">{breaker}</span></td><td class="num">{inflight} / {max}</td><td class="num">{rate}</td><td class="num">{budget}</td></tr>"#,
                        id = esc(&s.id),
                        kind = esc(s.kind_info.as_ref().map_or(s.kind_name.as_str(), |k| k.label.as_str())),
                        connector = esc(&s.connector_type),
                        caps = esc(&s.capabilities.join(", ")),
                        bk = esc(&s.breaker_state),
                        inflight = s.in_flight,
                        max = s.max_concurrency,
                        rate = if s.rate_limit_per_sec == 0 {
                            "不限".to_string()
                        } else {
                            format!("{}/秒（突发 {}）", s.rate_limit_per_sec, s.rate_limit_burst)
                        },
                        budget = s.retry_budget,
                    )
                })
                .collect();
            format!(
                r#"<table><thead><tr><th>数据源</th><th>类别</th><th>接入方式</th><th>能力</th><th>熔断器</th><th class="num">在途 / 上限</th><th class="num">限速</th><th class="num">重试余量</th></tr></thead><tbody>{rows}</tbody></table>"#
            )
        }
    }
}
