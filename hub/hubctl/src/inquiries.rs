//! `hubctl inquiries`: the inquiries agencies answer later (asynchronous sources), newest
//! first, as a table or JSON lines; debtors masked by the hub.

use std::io::Write;
use std::time::Duration;

use assethub_proto::v1::{Inquiry, InquiryState, ListInquiriesRequest};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::client::{bounded, request, Hub};
use crate::error::CliError;
use crate::json;
use crate::order_render::utc_time;
use crate::render::{sanitize, Align, Table};

#[derive(Debug, Args)]
pub struct InquiriesArgs {
    /// Only this case's inquiries.
    #[arg(long = "case", value_name = "CASE")]
    pub case_number: Option<String>,
    /// Only inquiries in these states (repeatable or comma-separated).
    #[arg(long = "state", value_name = "STATE", value_delimiter = ',')]
    pub states: Vec<StateArg>,
    /// At most this many inquiries [hub default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StateArg {
    Sending,
    Pending,
    Answered,
    Expired,
    Failed,
}

impl StateArg {
    fn wire(self) -> InquiryState {
        match self {
            Self::Sending => InquiryState::Sending,
            Self::Pending => InquiryState::Pending,
            Self::Answered => InquiryState::Answered,
            Self::Expired => InquiryState::Expired,
            Self::Failed => InquiryState::Failed,
        }
    }
}

/// `"sending"`, `"pending"`, `"answered"`, `"expired"`, `"failed"`.
pub fn state_name(value: i32) -> &'static str {
    match InquiryState::try_from(value) {
        Ok(InquiryState::Sending) => "sending",
        Ok(InquiryState::Pending) => "pending",
        Ok(InquiryState::Answered) => "answered",
        Ok(InquiryState::Expired) => "expired",
        Ok(InquiryState::Failed) => "failed",
        Ok(InquiryState::Unspecified) => "unspecified",
        Err(_) => "unknown",
    }
}

pub async fn run(
    hub: &mut Hub,
    timeout: Option<Duration>,
    args: InquiriesArgs,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let message = ListInquiriesRequest {
        case_number: args.case_number.unwrap_or_default(),
        states: args.states.iter().map(|s| s.wire() as i32).collect(),
        limit: args.limit.unwrap_or(0),
    };
    let call = hub.client.list_inquiries(request(message, timeout));
    let response = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if as_json {
        for i in &response.inquiries {
            writeln!(out, "{}", json::to_line(&inquiry_json(i)))?;
        }
    } else {
        write!(out, "{}", render(&response.inquiries))?;
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct InquiryJson<'a> {
    pub inquiry_id: &'a str,
    pub source: &'a str,
    pub case_number: &'a str,
    pub debtor_masked: &'a str,
    pub state: &'static str,
    pub ticket: &'a str,
    pub expected_at_ms: i64,
    pub expires_at_ms: i64,
    pub asset_count: u32,
    pub reason: &'a str,
    pub attempts: u32,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

pub fn inquiry_json(i: &Inquiry) -> InquiryJson<'_> {
    InquiryJson {
        inquiry_id: &i.inquiry_id,
        source: &i.source,
        case_number: &i.case_number,
        debtor_masked: &i.debtor_masked,
        state: state_name(i.state),
        ticket: &i.ticket,
        expected_at_ms: i.expected_at_ms,
        expires_at_ms: i.expires_at_ms,
        asset_count: i.asset_count,
        reason: &i.reason,
        attempts: i.attempts,
        created_at_ms: i.created_at_ms,
        updated_at_ms: i.updated_at_ms,
    }
}

/// The inquiries table.
pub fn render(inquiries: &[Inquiry]) -> String {
    if inquiries.is_empty() {
        return "no inquiries\n".to_string();
    }
    let mut table = Table::new(&[
        ("INQUIRY", Align::Left),
        ("SOURCE", Align::Left),
        ("CASE", Align::Left),
        ("DEBTOR", Align::Left),
        ("STATE", Align::Left),
        ("TICKET", Align::Left),
        ("EXPECTED", Align::Left),
        ("ASSETS", Align::Right),
        ("REASON", Align::Left),
    ]);
    for i in inquiries {
        table.push(vec![
            sanitize(&i.inquiry_id),
            sanitize(&i.source),
            sanitize(&i.case_number),
            sanitize(&i.debtor_masked),
            state_name(i.state).to_string(),
            or_dash(&i.ticket),
            if i.expected_at_ms > 0 {
                utc_time(i.expected_at_ms)
            } else {
                "-".to_string()
            },
            i.asset_count.to_string(),
            or_dash(&i.reason),
        ]);
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        sanitize(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_inquiries_masked_as_the_hub_sent_them() {
        let inquiry = Inquiry {
            inquiry_id: "inq-1".into(),
            source: "bank-xiecheng".into(),
            case_number: "(2024)鄂0116执1234号".into(),
            debtor_masked: "110105********002X 张*".into(),
            state: InquiryState::Pending as i32,
            ticket: "367CX0000000001".into(),
            expected_at_ms: 1_714_521_600_000,
            expires_at_ms: 1_714_608_000_000,
            ..Default::default()
        };
        let table = render(&[inquiry]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2, "{table}");
        assert!(lines[0].starts_with("INQUIRY"));
        for cell in [
            "inq-1",
            "bank-xiecheng",
            "110105********002X 张*",
            "pending",
            "367CX0000000001",
            "2024-05-01T00:00:00Z",
        ] {
            assert!(lines[1].contains(cell), "{cell} in {}", lines[1]);
        }
        assert_eq!(render(&[]), "no inquiries\n");
    }
}
