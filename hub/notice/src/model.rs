//! The notice as a document: its signed payload plus what is printed but not signed (the
//! agency's name, currency, unit, start date), and the printed lines derived from the signed
//! payload. The renderer prints those lines and the verifier compares a PDF's text with them,
//! so both use [`printed_lines`] and nothing else. No rendering, no I/O.

use crate::payload::{Signed, SignedPayload};
use assethub_core::domain::civil::beijing_time_at;
use assethub_core::signature::SignedFields;

/// Printed next to the signed fields but not signed (they do not change what the agency does).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extras {
    /// The agency (source) the notice is addressed to.
    pub agency: String,
    /// ISO 4217 currency of the amount ("CNY").
    pub currency: String,
    /// What a quantity counts ("shares").
    pub unit: String,
    /// The asset's kind ("bank", "real_estate").
    pub kind: String,
    /// ISO start date of the period, when the order has one.
    pub start: String,
}

/// One notice: what is signed, and what is printed beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub payload: SignedPayload,
    pub extras: Extras,
}

impl Notice {
    /// 协助执行通知书 for a control order, 协助查询通知书 for an inquiry.
    pub fn title(&self) -> &'static str {
        title(&self.payload.body)
    }

    /// A file name for the PDF: `notice-<number>.pdf`, with only safe characters.
    pub fn file_name(&self) -> String {
        let number: String = self
            .payload
            .body
            .number()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(80)
            .collect();
        format!("notice-{number}.pdf")
    }
}

pub fn title(body: &Signed) -> &'static str {
    match body {
        Signed::Instruction(_) => "协助执行通知书",
        Signed::Inquiry(_) => "协助查询通知书",
    }
}

/// What an action asks, in the words of a notice.
pub fn action_words(action: &str) -> String {
    match action {
        "freeze" => "冻结".into(),
        "seal" => "查封".into(),
        "watch" => "布控".into(),
        "release" => "解除冻结（查封、布控）".into(),
        "deduct" => "扣划".into(),
        "renew" => "续行冻结（查封、布控）".into(),
        other => other.into(),
    }
}

/// Fen as yuan with thousands separators: `123456789` → `1,234,567.89`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", grouped(abs / 100), abs % 100)
}

/// An integer with thousands separators.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An ISO date `2026-12-31` as `2026年12月31日` (anything else as it is).
pub fn chinese_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            format!("{y}年{m}月{d}日")
        }
        _ => iso.to_string(),
    }
}

/// Unix seconds as Beijing time, `2026年12月03日 10:30:00（北京时间）`.
pub fn beijing_time(secs: i64) -> String {
    let t = beijing_time_at(secs.saturating_mul(1000));
    format!(
        "{:04}年{:02}月{:02}日 {:02}:{:02}:{:02}（北京时间）",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The printed lines (label, value) that state the signed payload, in their printed order.
pub fn printed_lines(payload: &SignedPayload) -> Vec<(&'static str, String)> {
    let mut lines = match &payload.body {
        Signed::Instruction(f) => instruction_lines(f),
        Signed::Inquiry(f) => vec![
            ("通知编号", f.inquiry_id.clone()),
            ("案号", f.case.clone()),
            ("法院代码", f.court.clone()),
            ("执行员", f.officer.clone()),
            ("协助单位", f.source.clone()),
            ("被查询人", f.debtor_name.clone()),
            ("证件号码", f.debtor_id.clone()),
            ("查询事项", "被查询人在你单位的全部财产".into()),
            ("查询受理号", f.ticket.clone()),
        ],
    };
    lines.retain(|(_, value)| !value.is_empty());
    lines.push(("签发时间", beijing_time(payload.signed_at)));
    lines.push(("签名密钥", payload.key_id.clone()));
    lines
}

fn instruction_lines(f: &SignedFields) -> Vec<(&'static str, String)> {
    let mut lines = vec![
        ("通知编号", f.key.clone()),
        ("案号", f.case.clone()),
        ("法院代码", f.court.clone()),
        ("裁定书", f.ruling.clone()),
        ("执行员", f.officer.clone()),
        ("被执行人", f.debtor_name.clone()),
        ("证件号码", f.debtor_id.clone()),
        ("财产", f.asset.clone()),
        ("协助事项", action_words(&f.action)),
    ];
    match f.quantity {
        Some(quantity) => lines.push(("数量", grouped(quantity))),
        None if f.amount_fen != 0 || f.action == "freeze" || f.action == "deduct" => {
            lines.push(("金额", yuan(f.amount_fen)));
        }
        None => {}
    }
    lines.push(("原措施编号", f.hold.clone()));
    lines.push(("截止日期", chinese_date(&f.until)));
    lines.push(("划入案款账户", f.into_account.clone()));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_dates_read_as_people_write_them() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(100_000_000), "1,000,000.00");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(chinese_date("2026-12-31"), "2026年12月31日");
        assert_eq!(chinese_date(""), "");
        // 2026-12-03T02:30:00Z is 10:30 in Beijing.
        assert_eq!(
            beijing_time(1_796_265_000),
            "2026年12月03日 10:30:00（北京时间）"
        );
    }
}
