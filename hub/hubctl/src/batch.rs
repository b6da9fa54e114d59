//! `hubctl batch`: search every debtor of a CSV file in one BatchQuery call, show progress on
//! stderr while results stream in, then print a summary table with identity numbers and names
//! masked (or, with `--json`, one JSON line per item as it arrives).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use assethub_core::domain::{mask_id, mask_name};
use assethub_proto::v1::{
    batch_item_result::Outcome, BatchItem, BatchItemResult, BatchQueryRequest, Debtor, ItemError,
};

use crate::client::{bounded, request, Hub};
use crate::debtors::DebtorRow;
use crate::error::CliError;
use crate::json::{self, ErrorJson};
use crate::progress::{Mode, Progress};
use crate::render::{duration_ms, plural, yuan, Align, Table};
use crate::tally::Tally;

/// What the operator asked for.
pub struct BatchInput {
    pub kinds: Vec<i32>,
    pub fresh: bool,
    pub item_deadline_ms: u32,
    pub quiet: bool,
}

/// What is kept of one item's result for the summary.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemSummary {
    Answered(Tally),
    Rejected(ErrorJson),
}

pub async fn run(
    hub: &mut Hub,
    timeout: Option<Duration>,
    input: BatchInput,
    rows: Vec<DebtorRow>,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let total = rows.len();
    let message = BatchQueryRequest {
        kind_names: Default::default(),
        items: rows
            .iter()
            .map(|r| BatchItem {
                case_number: r.case_number.clone(),
                debtor: Some(Debtor {
                    id_number: r.id_number.clone(),
                    name: r.name.clone(),
                }),
            })
            .collect(),
        kinds: input.kinds,
        fresh: input.fresh,
        item_deadline_ms: input.item_deadline_ms,
    };
    // JSON lines on the same terminal would be torn by a line rewritten in place.
    let live = std::io::stderr().is_terminal() && !(as_json && std::io::stdout().is_terminal());
    let mode = Mode::pick(live, total, input.quiet);
    let mut progress = Progress::new(mode, total);
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);

    let call = hub.client.batch_query(request(message, timeout));
    let mut stream = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();

    let mut summaries: Vec<Option<ItemSummary>> = vec![None; total];
    let mut failure: Option<tonic::Status> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let overall = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(overall);
    loop {
        tokio::select! {
            next = stream.message() => match next {
                Ok(Some(item)) => {
                    if let Some(summary) = accept(item, &rows, &mut summaries, as_json, out)? {
                        progress.item(matches!(summary, ItemSummary::Answered(_)));
                    }
                }
                Ok(None) => break,
                Err(status) => {
                    failure = Some(status);
                    break;
                }
            },
            _ = ticker.tick(), if progress.is_live() => progress.redraw(),
            _ = &mut overall => {
                failure = Some(tonic::Status::deadline_exceeded(format!(
                    "the batch did not finish within {} ms",
                    timeout.map_or(0, |t| t.as_millis())
                )));
                break;
            }
        }
    }
    progress.finish();
    let elapsed = u64::try_from(progress.elapsed().as_millis()).unwrap_or(u64::MAX);

    if !as_json {
        write!(out, "{}", render_summary(&rows, &summaries, elapsed))?;
    }
    out.flush()?;
    if let Some(status) = failure {
        return Err(CliError::status(&hub.addr, status));
    }
    let missing: Vec<u64> = rows
        .iter()
        .zip(&summaries)
        .filter(|(_, s)| s.is_none())
        .map(|(r, _)| r.line)
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Incomplete(format!(
            "the hub ended the batch without a result for {} (file {} {})",
            plural(missing.len(), "debtor", "debtors"),
            if missing.len() == 1 { "line" } else { "lines" },
            list_lines(&missing)
        )));
    }
    Ok(())
}

/// Records one streamed item; with `--json`, prints its line at once. Returns the summary kept,
/// or `None` (with a warning) for an index outside the batch or a repeated one.
fn accept(
    item: BatchItemResult,
    rows: &[DebtorRow],
    summaries: &mut [Option<ItemSummary>],
    as_json: bool,
    out: &mut impl Write,
) -> Result<Option<ItemSummary>, CliError> {
    let index = item.index;
    let slot = usize::try_from(index)
        .ok()
        .and_then(|i| rows.get(i).map(|row| (i, row)));
    let Some((i, row)) = slot else {
        eprintln!("warning: the hub sent a result for item {index}, which is not in the batch");
        return Ok(None);
    };
    if summaries.get(i).is_some_and(Option::is_some) {
        eprintln!("warning: the hub sent a second result for item {index}; ignored");
        return Ok(None);
    }
    let outcome = item.outcome.unwrap_or_else(|| {
        Outcome::Error(ItemError {
            code: "UNKNOWN".to_string(),
            message: "the hub sent an empty result".to_string(),
            violations: Vec::new(),
            reason: String::new(),
        })
    });
    let summary = match &outcome {
        Outcome::Response(response) => {
            if as_json {
                let mut line = json::batch_response(index, response);
                if line.case_number.is_empty() {
                    line.case_number = &row.case_number;
                }
                writeln!(out, "{}", json::to_line(&line))?;
            }
            ItemSummary::Answered(Tally::of(response))
        }
        Outcome::Error(error) => {
            let error = json::item_error(error);
            if as_json {
                let line = json::batch_error(index, &row.case_number, error.clone());
                writeln!(out, "{}", json::to_line(&line))?;
            }
            ItemSummary::Rejected(error)
        }
    };
    if as_json {
        out.flush()?;
    }
    if let Some(place) = summaries.get_mut(i) {
        *place = Some(summary.clone());
    }
    Ok(Some(summary))
}

/// The closing table: one row per debtor (identity masked), then totals.
pub fn render_summary(
    rows: &[DebtorRow],
    summaries: &[Option<ItemSummary>],
    elapsed_ms: u64,
) -> String {
    let mut table = Table::new(&[
        ("LINE", Align::Right),
        ("CASE", Align::Left),
        ("ID", Align::Left),
        ("NAME", Align::Left),
        ("OK", Align::Right),
        ("NOT FOUND", Align::Right),
        ("MISMATCH", Align::Right),
        ("ERROR", Align::Right),
        ("TIMED OUT", Align::Right),
        ("ASSETS", Align::Right),
        ("FUNDS (CNY)", Align::Right),
        ("NOTE", Align::Left),
    ]);
    let mut all = Tally::default();
    let (mut answered, mut rejected, mut missing) = (0usize, 0usize, 0usize);
    for (row, summary) in rows.iter().zip(summaries) {
        let mut cells = vec![
            row.line.to_string(),
            row.case_number.clone(),
            mask_id(&row.id_number),
            mask_name(&row.name),
        ];
        match summary {
            Some(ItemSummary::Answered(t)) => {
                answered += 1;
                all.merge(t);
                cells.extend(tally_cells(t));
                cells.push(other_currency_note(t));
            }
            Some(ItemSummary::Rejected(e)) => {
                rejected += 1;
                cells.extend(std::iter::repeat_n(String::new(), 7));
                cells.push(error_note(e));
            }
            None => {
                missing += 1;
                cells.extend(std::iter::repeat_n(String::new(), 7));
                cells.push("no result".to_string());
            }
        }
        table.push(cells);
    }
    let mut total_cells = vec![
        String::new(),
        "TOTAL".to_string(),
        String::new(),
        String::new(),
    ];
    total_cells.extend(tally_cells(&all));
    total_cells.push(other_currency_note(&all));
    table.push(total_cells);

    let mut text = table.lines().join("\n");
    text.push('\n');
    let mut parts = vec![
        format!("{answered} searched"),
        format!("{rejected} rejected"),
    ];
    if missing > 0 {
        parts.push(format!("{missing} without a result"));
    }
    text.push_str(&format!(
        "{}: {} in {}; frozen CNY {}\n",
        plural(rows.len(), "debtor", "debtors"),
        parts.join(", "),
        duration_ms(elapsed_ms),
        yuan(all.cny_frozen_fen),
    ));
    text
}

fn tally_cells(t: &Tally) -> Vec<String> {
    vec![
        t.ok.to_string(),
        t.not_found.to_string(),
        t.name_mismatch.to_string(),
        t.error.to_string(),
        t.timed_out.to_string(),
        t.assets.to_string(),
        yuan(t.cny_balance_fen),
    ]
}

fn other_currency_note(t: &Tally) -> String {
    if t.other_currencies.is_empty() {
        String::new()
    } else {
        let others: Vec<String> = t
            .other_currencies
            .iter()
            .map(|(c, fen)| format!("{c} {}", yuan(*fen)))
            .collect();
        format!("+ {}", others.join(", "))
    }
}

/// `INVALID_ARGUMENT debtor.id_number: check character mismatch`.
fn error_note(e: &ErrorJson) -> String {
    if e.violations.is_empty() {
        format!("{} {}", e.code, e.message)
    } else {
        let fields: Vec<String> = e
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        format!("{} {}", e.code, fields.join("; "))
    }
}

/// `2, 5, 9` — at most ten line numbers, then "...".
fn list_lines(lines: &[u64]) -> String {
    let mut shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    if lines.len() > 10 {
        shown.push("...".to_string());
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::ViolationJson;

    fn row(line: u64, id: &str, name: &str) -> DebtorRow {
        DebtorRow {
            line,
            case_number: format!("(2024)鄂0116执{line}号"),
            id_number: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn summary_masks_identity_and_totals() {
        let rows = vec![
            row(2, "11010519491231002X", "张三丰"),
            row(3, "110105194912310021", "李四"),
            row(4, "91350100M000100Y43", "某某公司"),
        ];
        let mut t = Tally {
            ok: 3,
            not_found: 1,
            assets: 4,
            cny_funds: 2,
            cny_balance_fen: 1_234_567,
            ..Tally::default()
        };
        t.other_currencies.insert("USD".into(), 100);
        let summaries = vec![
            Some(ItemSummary::Answered(t)),
            Some(ItemSummary::Rejected(ErrorJson {
                code: "INVALID_ARGUMENT".into(),
                message: "invalid debtor".into(),
                violations: vec![ViolationJson {
                    field: "debtor.id_number".into(),
                    description: "check character mismatch".into(),
                }],
                reason: String::new(),
            })),
            None,
        ];
        let text = render_summary(&rows, &summaries, 1200);
        assert!(!text.contains("11010519491231002X"));
        assert!(!text.contains("张三丰"));
        assert!(!text.contains("李四"));
        assert!(text.contains("110105********002X"));
        assert!(text.contains("张**"));
        assert!(text.contains("李*"));
        assert!(text.contains("INVALID_ARGUMENT debtor.id_number: check character mismatch"));
        assert!(text.contains("12,345.67  + USD 1.00"));
        assert!(text.contains("no result"));
        assert!(text.contains("3 debtors: 1 searched, 1 rejected, 1 without a result in 1.2s"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6);
        assert!(lines[4].contains("TOTAL"));
    }

    #[test]
    fn accept_writes_json_lines_and_ignores_strays() {
        use assethub_proto::v1::QueryResponse;
        let rows = vec![row(2, "11010519491231002X", "张三")];
        let mut summaries = vec![None];
        let mut out = Vec::new();
        let answered = BatchItemResult {
            index: 0,
            outcome: Some(Outcome::Response(QueryResponse {
                case_number: String::new(),
                sources: vec![],
                elapsed_ms: 9,
            })),
        };
        let got = accept(answered.clone(), &rows, &mut summaries, true, &mut out);
        assert!(matches!(got, Ok(Some(ItemSummary::Answered(_)))));
        // A repeat and an out-of-range index are ignored.
        assert!(matches!(
            accept(answered, &rows, &mut summaries, true, &mut out),
            Ok(None)
        ));
        let stray = BatchItemResult {
            index: 5,
            outcome: None,
        };
        assert!(matches!(
            accept(stray, &rows, &mut summaries, true, &mut out),
            Ok(None)
        ));
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text,
            "{\"index\":0,\"case_number\":\"(2024)鄂0116执2号\",\"elapsed_ms\":9,\"sources\":[]}\n"
        );
    }

    #[test]
    fn empty_outcome_is_an_error() {
        let rows = vec![row(2, "11010519491231002X", "张三")];
        let mut summaries = vec![None];
        let mut out = Vec::new();
        let got = accept(
            BatchItemResult {
                index: 0,
                outcome: None,
            },
            &rows,
            &mut summaries,
            true,
            &mut out,
        );
        assert!(matches!(got, Ok(Some(ItemSummary::Rejected(ref e))) if e.code == "UNKNOWN"));
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with(
            "{\"index\":0,\"case_number\":\"(2024)鄂0116执2号\",\"error\":{\"code\":\"UNKNOWN\""
        ));
    }
}
