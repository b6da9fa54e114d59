//! What every page shares: HTML escaping, the layout (header, the role's menu, sign-out),
//! money in yuan with separators, dates and times in Beijing, and state names in Chinese.

use crate::session::Session;
use assethub_client::Role;
use assethub_core::domain::civil::{beijing as beijing_zone, beijing_time_at, now_unix_ms};
use axum::response::Html;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query parameter value.
pub fn url(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fen as yuan with thousands separators: 123456789 → "1,234,567.89".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// A yuan amount typed by a person ("1,000.5", "1000") in fen; `None` unless exact.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let clean: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = clean.split_once('.').unwrap_or((&clean, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let yuan: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    yuan.checked_mul(100)?.checked_add(cents)
}

/// Unix milliseconds as Beijing time, "2026-12-03 21:40:05".
pub fn beijing(ms: i64) -> String {
    if ms <= 0 {
        return "—".into();
    }
    beijing_time_at(ms)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Today's date in Beijing, "2026-12-03".
pub fn beijing_today() -> String {
    beijing_time_at(now_unix_ms()).date().to_string()
}

/// The Unix milliseconds a Beijing civil day ("2026-12-03") starts and ends at.
pub fn beijing_day(day: &str) -> Option<(i64, i64)> {
    let date: jiff::civil::Date = day.trim().parse().ok()?;
    let start = date.to_zoned_datetime(beijing_zone().clone()).ok()?;
    let end = date
        .tomorrow()
        .ok()?
        .to_zoned_datetime(beijing_zone().clone())
        .ok()?;
    Some((
        start.timestamp().as_millisecond(),
        end.timestamp().as_millisecond(),
    ))
}

/// A source kind's name as people read it.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "bank" => "银行存款",
        "payment" => "网络支付资金",
        "real_estate" => "不动产",
        "vehicle" => "车辆",
        "securities" => "证券",
        other => other,
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::CaseSystem => "案件系统",
        Role::Judge => "执行法官",
        Role::Supervisor => "审批人（庭长）",
        Role::Auditor => "审计员",
        Role::Admin => "系统管理员",
    }
}

/// The menu a role sees (what the hub lets it use).
fn menu(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Judge => &[
            ("/cases", "案件"),
            ("/search", "财产查询"),
            ("/approvals", "待审批"),
        ],
        Role::Supervisor => &[
            ("/centre", "执行指挥中心"),
            ("/cases", "案件"),
            ("/search", "财产查询"),
            ("/approvals", "审批"),
        ],
        Role::CaseSystem => &[("/cases", "案件")],
        Role::Auditor => &[("/audit", "审计日志")],
        Role::Admin => &[("/sources", "数据源")],
    }
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;font-size:15px;color:#1f2933;background:#f4f6f8}
header{background:#8b1a1a;color:#fff;display:flex;align-items:center;gap:24px;padding:0 24px;min-height:52px;flex-wrap:wrap}
header .brand{font-weight:700;font-size:18px}
header nav a{color:#fff;text-decoration:none;margin-right:16px}
header nav a:focus,header nav a:hover{text-decoration:underline}
header .who{margin-left:auto;display:flex;gap:12px;align-items:center}
header button{background:transparent;color:#fff;border:1px solid #fff;border-radius:4px;padding:4px 10px;cursor:pointer}
main{padding:20px 24px;max-width:1800px;margin:0 auto}
h1{font-size:22px;margin:4px 0 16px}
h2{font-size:18px;margin:20px 0 10px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e1e5ea;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.panel{background:#fff;border:1px solid #e1e5ea;border-radius:6px;padding:14px 16px;margin-bottom:16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px}
.stat{background:#fff;border:1px solid #e1e5ea;border-radius:6px;padding:12px 14px}
.stat b{display:block;font-size:22px;margin-top:4px}
form.inline{display:inline}
label{display:block;margin:8px 0 4px;font-weight:600}
input[type=text],input[type=password],select,textarea{width:100%;max-width:520px;padding:6px 8px;border:1px solid #b8c1cc;border-radius:4px;font:inherit}
textarea{min-height:90px}
button.primary{background:#8b1a1a;color:#fff;border:0;border-radius:4px;padding:8px 16px;font:inherit;cursor:pointer;margin-top:10px}
button.secondary{background:#fff;color:#8b1a1a;border:1px solid #8b1a1a;border-radius:4px;padding:6px 12px;font:inherit;cursor:pointer}
.error{background:#fdecea;border:1px solid #f5c2c0;color:#8b1a1a;padding:10px 12px;border-radius:4px;margin-bottom:12px}
.ok{background:#e8f5e9;border:1px solid #b7dfb9;color:#1b5e20;padding:10px 12px;border-radius:4px;margin-bottom:12px}
.muted{color:#6b7785}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;background:#eef1f4}
.badge.s-OK,.badge.s-effective,.badge.s-released,.badge.s-deducted{background:#e8f5e9;color:#1b5e20}
.badge.s-ERROR,.badge.s-TIMED_OUT,.badge.s-rejected,.badge.s-failed{background:#fdecea;color:#8b1a1a}
.badge.s-PENDING,.badge.s-awaiting_approval,.badge.s-awaiting_agency,.badge.s-queued,.badge.s-requested{background:#fff4e5;color:#8a5300}
.source{background:#fff;border:1px solid #e1e5ea;border-radius:6px;padding:10px 14px;margin-bottom:10px}
.source h3{margin:0 0 6px;font-size:16px}
.bar{height:14px;background:#8b1a1a;border-radius:3px}
.split{display:flex;gap:2px}.bar.fast{background:#2f855a}.bar.slow{background:#c05621}
.two{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
@media (max-width:1000px){.two{grid-template-columns:1fr}}
code{background:#eef1f4;padding:1px 4px;border-radius:3px}
.debtors{max-height:240px;overflow:auto;column-count:3;list-style-position:inside;background:#fff;border:1px solid #e1e5ea;border-radius:6px;padding:8px 8px 8px 28px}
.feed{max-height:260px;overflow:auto;background:#fff;border:1px solid #e1e5ea;border-radius:6px;padding:8px 8px 8px 28px;margin:0}
"#;

/// A whole page: header with the person and the role's menu (none before sign-in).
pub fn page(title: &str, session: Option<&Session>, body: &str) -> Html<String> {
    let header = match session {
        Some(s) => {
            let links: String = menu(s.credential.role)
                .iter()
                .map(|(href, name)| format!(r#"<a href="{href}">{name}</a>"#))
                .collect();
            format!(
                r#"<nav aria-label="主菜单">{links}</nav><div class="who"><span id="who">{officer}（{role}，{court}）</span>
<form class="inline" method="post" action="/signout" id="signout"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">退出</button></form></div>"#,
                officer = esc(if s.credential.officer.is_empty() {
                    "—"
                } else {
                    &s.credential.officer
                }),
                role = role_name(s.credential.role),
                court = esc(&s.credential.court),
                csrf = esc(&s.csrf),
            )
        }
        None => String::new(),
    };
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · 执行查控工作台</title><style>{STYLE}</style></head>
<body><header><span class="brand">执行查控工作台</span>{header}</header><main><h1>{title}</h1>{body}</main></body></html>"#,
        title = esc(title),
    ))
}

/// A refusal box.
pub fn error(text: &str) -> String {
    format!(r#"<div class="error" role="alert">{}</div>"#, esc(text))
}

/// The hidden CSRF field of a session's forms.
pub fn csrf_field(session: &Session) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        esc(&session.csrf)
    )
}

/// An order's state in Chinese (and the stable name for styling).
pub fn order_state(state: i32) -> (&'static str, &'static str) {
    use assethub_proto::v1::OrderState as S;
    match S::try_from(state).unwrap_or(S::Unspecified) {
        S::Requested => ("requested", "已登记"),
        S::AwaitingAgency => ("awaiting_agency", "等待协助单位反馈"),
        S::Effective => ("effective", "已生效"),
        S::Partial => ("partial", "部分生效"),
        S::Queued => ("queued", "轮候"),
        S::Rejected => ("rejected", "被拒绝"),
        S::Released => ("released", "已解除"),
        S::Deducted => ("deducted", "已扣划"),
        S::Expired => ("expired", "已到期"),
        S::Failed => ("failed", "失败"),
        S::AwaitingApproval => ("awaiting_approval", "待审批"),
        _ => ("unknown", "未知"),
    }
}

pub fn action_name(action: i32) -> &'static str {
    use assethub_proto::v1::OrderAction as A;
    match A::try_from(action).unwrap_or(A::Unspecified) {
        A::Freeze => "冻结",
        A::Seal => "查封",
        A::Watch => "布控",
        A::Release => "解除",
        A::Deduct => "扣划",
        A::Renew => "续行",
        A::Unspecified => "—",
    }
}

pub fn case_state(state: i32) -> &'static str {
    use assethub_proto::v1::CaseState as C;
    match C::try_from(state).unwrap_or(C::Unspecified) {
        C::Open => "执行中",
        C::Suspended => "中止",
        C::Closed => "结案",
        _ => "—",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_is_grouped_by_thousands_with_two_decimals() {
        for (fen, text) in [
            (0, "0.00"),
            (5, "0.05"),
            (100_000, "1,000.00"),
            (123_456_789, "1,234,567.89"),
            (-100_001, "-1,000.01"),
        ] {
            assert_eq!(yuan(fen), text);
        }
    }

    #[test]
    fn typed_yuan_is_read_exactly_or_refused() {
        for (text, fen) in [
            ("1,000.00", Some(100_000)),
            ("1000", Some(100_000)),
            ("0.5", Some(50)),
            ("12.345", None),
            ("-1", None),
            ("1e3", None),
            ("", None),
        ] {
            assert_eq!(parse_yuan(text), fen, "{text}");
        }
    }

    #[test]
    fn times_are_shown_in_beijing() {
        // 2026-12-03 00:30:00 UTC is 08:30 in Beijing.
        assert_eq!(beijing(1_796_257_800_000), "2026-12-03 08:30:00");
        assert_eq!(beijing(0), "—");
        // A Beijing day starts at 16:00 UTC the day before.
        assert_eq!(
            beijing_day("2026-12-03"),
            Some((1_796_227_200_000, 1_796_313_600_000))
        );
        assert_eq!(beijing_day("2026-13-01"), None);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(url("(2024)鄂 1"), "%282024%29%E9%84%82%201");
    }
}
