//! `hubctl case ...`: the court's enforcement cases (`assethub.v1.Cases`). The case system
//! registers (`register`, `import` from the daily intake CSV), changes (`update`, `suspend`,
//! `reopen`, `close`) and everyone of the court reads (`show`, `list`). Closing or suspending
//! prints the holds still in force, which must be released.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use assethub_core::domain::mask_name;
use assethub_proto::v1::cases_client::CasesClient;
use assethub_proto::v1::{
    Case, CaseState, Debtor, GetCaseRequest, ListCasesRequest, RegisterCaseRequest,
    UpdateCaseRequest,
};
use clap::{Args, Subcommand, ValueEnum};
use futures::StreamExt;
use serde::Serialize;

use crate::client::{bounded, request};
use crate::error::CliError;
use crate::render::{money_in, pad, plural, sanitize, Align};
use crate::{json, order_json, order_render, yuan};

/// Registrations in flight at once during an import.
const IMPORT_CONCURRENCY: usize = 8;
/// Columns of the intake file.
pub const IMPORT_COLUMNS: [&str; 5] = ["case_number", "id_number", "name", "claim_yuan", "account"];

#[derive(Debug, Args)]
pub struct CaseArgs {
    #[command(subcommand)]
    pub command: CaseCommand,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Register an enforcement case of your court (case systems).
    Register(RegisterArgs),
    /// Register every case of a CSV file (case_number,id_number,name,claim_yuan,account; one
    /// debtor a row, rows of one case together), e.g. the daily intake.
    Import(ImportArgs),
    /// Show a case: its debtors, claim, account, and what it holds now.
    Show(ShowArgs),
    /// List your court's cases.
    List(ListArgs),
    /// Change a case: claim, account, more debtors (case systems).
    Update(UpdateArgs),
    /// Suspend a case (中止): no searches nor new holds; holds may be released or renewed.
    Suspend(StateArgs),
    /// Reopen a suspended case.
    Reopen(StateArgs),
    /// Close a case (终结/结案): lists the holds still in force, which must be released.
    Close(StateArgs),
}

impl CaseCommand {
    /// The case the command names (its court picks the credential), and whether it writes.
    pub fn case_and_writes(&self) -> (Option<&str>, bool) {
        match self {
            Self::Register(a) => (Some(&a.case_number), true),
            Self::Import(_) => (None, true),
            Self::Show(a) => (Some(&a.case_number), false),
            Self::List(_) => (None, false),
            Self::Update(a) => (Some(&a.case_number), true),
            Self::Suspend(a) | Self::Reopen(a) | Self::Close(a) => (Some(&a.case_number), true),
        }
    }
}

/// `ID:NAME` as `--debtor` takes it.
pub fn parse_debtor(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((id, name)) if !id.trim().is_empty() && !name.trim().is_empty() => {
            Ok((id.trim().to_string(), name.trim().to_string()))
        }
        _ => Err(format!(
            "{text:?}: a debtor is ID:NAME, e.g. 11010519491231002X:张伟"
        )),
    }
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Enforcement case number, e.g. "(2024)鄂0116执1234号".
    #[arg(long = "case", value_name = "CASE")]
    pub case_number: String,
    /// A debtor (被执行人) as ID:NAME; repeat for each.
    #[arg(long = "debtor", value_name = "ID:NAME", value_parser = parse_debtor, required = true)]
    pub debtors: Vec<(String, String)>,
    /// What the ruling awards, costs included (执行标的), in yuan.
    #[arg(long, value_name = "YUAN", value_parser = yuan::parse_amount)]
    pub claim: i64,
    /// The case's receiving account (一案一账号).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV with a header row case_number,id_number,name,claim_yuan,account.
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The case number.
    #[arg(value_name = "CASE")]
    pub case_number: String,
    /// Also every version of the case: who changed what, when and why.
    #[arg(long)]
    pub history: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    Open,
    Suspended,
    Closed,
}

impl StateArg {
    fn to_proto(self) -> CaseState {
        match self {
            Self::Open => CaseState::Open,
            Self::Suspended => CaseState::Suspended,
            Self::Closed => CaseState::Closed,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only cases in these states (repeatable or comma-separated).
    #[arg(long = "state", value_name = "STATE", value_delimiter = ',')]
    pub states: Vec<StateArg>,
    /// Cases after this case number (the previous page's last).
    #[arg(long, value_name = "CASE", default_value = "")]
    pub after: String,
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[arg(value_name = "CASE")]
    pub case_number: String,
    /// The new claim in yuan (e.g. reduced after a partial recovery).
    #[arg(long, value_name = "YUAN", value_parser = yuan::parse_amount)]
    pub claim: Option<i64>,
    /// Another debtor as ID:NAME; repeatable.
    #[arg(long = "add-debtor", value_name = "ID:NAME", value_parser = parse_debtor)]
    pub add_debtors: Vec<(String, String)>,
    /// The case's new receiving account.
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Why (kept in the case's history).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Refuse unless the case is still at this version.
    #[arg(long = "version", value_name = "N", default_value_t = 0)]
    pub expected_version: i64,
}

#[derive(Debug, Args)]
pub struct StateArgs {
    #[arg(value_name = "CASE")]
    pub case_number: String,
    /// Why (kept in the case's history).
    #[arg(long, default_value = "")]
    pub reason: String,
}

type Client = CasesClient<crate::client::Conn>;

async fn connect(addr: &str, timeout: Duration) -> Result<(Client, String), CliError> {
    let (conn, addr) = crate::client::channel(addr, Some(timeout)).await?;
    Ok((CasesClient::new(conn), addr))
}

fn debtors(list: Vec<(String, String)>) -> Vec<Debtor> {
    list.into_iter()
        .map(|(id_number, name)| Debtor { id_number, name })
        .collect()
}

/// Runs one `case` command.
pub async fn run(
    addr: &str,
    timeout: Duration,
    args: CaseArgs,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let (mut client, addr) = connect(addr, timeout).await?;
    let fail = |s: tonic::Status| CliError::status(&addr, s);
    let t = Some(timeout);
    let state_change = |a: StateArgs, state: CaseState| UpdateCaseRequest {
        case_number: a.case_number,
        state: state as i32,
        reason: a.reason,
        ..Default::default()
    };
    let update = match args.command {
        CaseCommand::Register(a) => {
            let message = RegisterCaseRequest {
                case_number: a.case_number,
                debtors: debtors(a.debtors),
                claim_fen: a.claim,
                account: a.account,
            };
            let case = bounded(t, client.register_case(request(message, t)))
                .await
                .map_err(fail)?
                .into_inner();
            return print_case(&case, as_json, out);
        }
        CaseCommand::Import(a) => return import(&mut client, t, &a.file, as_json, out).await,
        CaseCommand::Show(a) => {
            let message = GetCaseRequest {
                case_number: a.case_number,
                include_history: a.history,
            };
            let case = bounded(t, client.get_case(request(message, t)))
                .await
                .map_err(fail)?
                .into_inner();
            return print_case(&case, as_json, out);
        }
        CaseCommand::List(a) => {
            let message = ListCasesRequest {
                states: a.states.iter().map(|s| s.to_proto() as i32).collect(),
                after_case_number: a.after,
                limit: a.limit.unwrap_or(0),
            };
            let page = bounded(t, client.list_cases(request(message, t)))
                .await
                .map_err(fail)?
                .into_inner();
            if as_json {
                let cases: Vec<CaseJson> = page.cases.iter().map(case_json).collect();
                writeln!(out, "{}", json::to_line(&cases))?;
            } else {
                write!(out, "{}", cases_table(&page.cases))?;
                if !page.next_after.is_empty() {
                    writeln!(out, "more: --after '{}'", sanitize(&page.next_after))?;
                }
            }
            return Ok(());
        }
        CaseCommand::Update(a) => UpdateCaseRequest {
            case_number: a.case_number,
            expected_version: a.expected_version,
            claim_fen: a.claim,
            add_debtors: debtors(a.add_debtors),
            account: a.account,
            state: 0,
            reason: a.reason,
        },
        CaseCommand::Suspend(a) => state_change(a, CaseState::Suspended),
        CaseCommand::Reopen(a) => state_change(a, CaseState::Open),
        CaseCommand::Close(a) => state_change(a, CaseState::Closed),
    };
    let response = bounded(t, client.update_case(request(update, t)))
        .await
        .map_err(fail)?
        .into_inner();
    let case = response.case.unwrap_or_default();
    if as_json {
        #[derive(Serialize)]
        struct UpdatedJson<'a> {
            case: CaseJson<'a>,
            holds_in_force: Vec<order_json::OrderJson<'a>>,
        }
        let line = UpdatedJson {
            case: case_json(&case),
            holds_in_force: order_json::orders(&response.holds_in_force),
        };
        writeln!(out, "{}", json::to_line(&line))?;
        return Ok(());
    }
    print_case(&case, false, out)?;
    let ended = case.state != CaseState::Open as i32;
    if ended && !response.holds_in_force.is_empty() {
        writeln!(
            out,
            "\n{} still in force: release them (hubctl release --case ... --order ID)",
            plural(response.holds_in_force.len(), "hold", "holds")
        )?;
        write!(
            out,
            "{}",
            order_render::orders_table(&response.holds_in_force)
        )?;
    }
    Ok(())
}

/// `hubctl case show --json` and the cases of `list --json`.
#[derive(Debug, Serialize)]
pub struct CaseJson<'a> {
    pub case_number: &'a str,
    pub court: &'a str,
    pub state: &'static str,
    pub claim_fen: i64,
    pub account: &'a str,
    pub debtors: Vec<DebtorJson<'a>>,
    pub version: i64,
    pub frozen_fen: i64,
    pub deducted_fen: i64,
    pub reserved_fen: i64,
    pub holds_in_force: u32,
    pub nearest_end_date: &'a str,
    pub updated_by: &'a str,
    pub updated_at_ms: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<VersionJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DebtorJson<'a> {
    pub id_number: &'a str,
    pub name: &'a str,
    pub id_masked: &'a str,
}

#[derive(Debug, Serialize)]
pub struct VersionJson<'a> {
    pub version: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub state: &'static str,
    pub claim_fen: i64,
    pub account: &'a str,
    pub change: &'a str,
}

fn state_name(raw: i32) -> &'static str {
    match CaseState::try_from(raw) {
        Ok(CaseState::Open) => "open",
        Ok(CaseState::Suspended) => "suspended",
        Ok(CaseState::Closed) => "closed",
        _ => "unknown",
    }
}

pub fn case_json(c: &Case) -> CaseJson<'_> {
    CaseJson {
        case_number: &c.case_number,
        court: &c.court,
        state: state_name(c.state),
        claim_fen: c.claim_fen,
        account: &c.account,
        debtors: c
            .debtors
            .iter()
            .map(|d| DebtorJson {
                id_number: &d.id_number,
                name: &d.name,
                id_masked: &d.id_masked,
            })
            .collect(),
        version: c.version,
        frozen_fen: c.frozen_fen,
        deducted_fen: c.deducted_fen,
        reserved_fen: c.reserved_fen,
        holds_in_force: c.holds_in_force,
        nearest_end_date: &c.nearest_end_date,
        updated_by: &c.updated_by,
        updated_at_ms: c.updated_at_ms,
        history: c
            .history
            .iter()
            .map(|v| VersionJson {
                version: v.version,
                at_ms: v.at_ms,
                actor: &v.actor,
                state: state_name(v.state),
                claim_fen: v.claim_fen,
                account: &v.account,
                change: &v.change,
            })
            .collect(),
    }
}

fn cny(fen: i64) -> String {
    money_in(fen, "CNY")
}

/// A case as `key: value` lines (debtors masked: the JSON has them in full).
pub fn case_block(c: &Case) -> String {
    let debtors: Vec<String> = c
        .debtors
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                sanitize(&d.id_masked),
                sanitize(&mask_name(&d.name))
            )
        })
        .collect();
    let mut rows: Vec<(&str, String)> = vec![
        ("case", sanitize(&c.case_number)),
        ("court", sanitize(&c.court)),
        ("state", state_name(c.state).to_string()),
        ("debtors", debtors.join(", ")),
        ("claim", cny(c.claim_fen)),
        ("account", sanitize(&c.account)),
        ("frozen", cny(c.frozen_fen)),
        ("deducted", cny(c.deducted_fen)),
        (
            "reserved",
            format!(
                "{} (frozen + deducted + asked + queued)",
                cny(c.reserved_fen)
            ),
        ),
        ("holds in force", c.holds_in_force.to_string()),
    ];
    if !c.nearest_end_date.is_empty() {
        rows.push(("nearest end", c.nearest_end_date.clone()));
    }
    rows.push((
        "version",
        format!(
            "{} ({} by {})",
            c.version,
            order_render::utc_time(c.updated_at_ms),
            sanitize(&c.updated_by)
        ),
    ));
    let width = rows.iter().map(|(l, _)| l.len() + 1).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        out.push_str(&format!(
            "{}  {value}\n",
            pad(&format!("{label}:"), width, Align::Left)
        ));
    }
    for v in &c.history {
        out.push_str(&format!(
            "  v{} {} {}: {}\n",
            v.version,
            order_render::utc_time(v.at_ms),
            sanitize(&v.actor),
            sanitize(&v.change)
        ));
    }
    out
}

fn print_case(case: &Case, as_json: bool, out: &mut impl Write) -> Result<(), CliError> {
    if as_json {
        writeln!(out, "{}", json::to_line(&case_json(case)))?;
    } else {
        write!(out, "{}", case_block(case))?;
    }
    Ok(())
}

fn cases_table(cases: &[Case]) -> String {
    if cases.is_empty() {
        return "no cases match\n".to_string();
    }
    let mut table = crate::render::Table::new(&[
        ("CASE", Align::Left),
        ("STATE", Align::Left),
        ("DEBTORS", Align::Right),
        ("CLAIM", Align::Right),
        ("FROZEN", Align::Right),
        ("DEDUCTED", Align::Right),
        ("HOLDS", Align::Right),
        ("NEAREST END", Align::Left),
    ]);
    for c in cases {
        table.push(vec![
            c.case_number.clone(),
            state_name(c.state).to_string(),
            c.debtors.len().to_string(),
            cny(c.claim_fen),
            cny(c.frozen_fen),
            cny(c.deducted_fen),
            c.holds_in_force.to_string(),
            if c.nearest_end_date.is_empty() {
                "-".into()
            } else {
                c.nearest_end_date.clone()
            },
        ]);
    }
    let mut out = table.lines().join("\n");
    out.push('\n');
    out
}

/// One case of the intake file: its debtors and the first line it appears on.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub line: u64,
    pub request: RegisterCaseRequest,
}

/// Groups the intake file's rows by case; rows of one case must agree on claim and account.
pub fn intake(rows: Vec<(u64, Vec<String>)>) -> Result<Vec<Intake>, CliError> {
    let mut cases: BTreeMap<String, Intake> = BTreeMap::new();
    let mut order = Vec::new();
    for (line, values) in rows {
        let [case_number, id_number, name, claim, account]: [String; 5] = values
            .try_into()
            .map_err(|_| CliError::Input(format!("line {line}: expected 5 columns")))?;
        let claim_fen = yuan::parse_amount(&claim)
            .map_err(|e| CliError::Input(format!("line {line}: claim_yuan: {e}")))?;
        let debtor = Debtor { id_number, name };
        match cases.get_mut(&case_number) {
            Some(case) => {
                if case.request.claim_fen != claim_fen || case.request.account != account {
                    return Err(CliError::Input(format!(
                        "line {line}: case {case_number} has another claim or account on line {}",
                        case.line
                    )));
                }
                case.request.debtors.push(debtor);
            }
            None => {
                order.push(case_number.clone());
                cases.insert(
                    case_number.clone(),
                    Intake {
                        line,
                        request: RegisterCaseRequest {
                            case_number,
                            debtors: vec![debtor],
                            claim_fen,
                            account,
                        },
                    },
                );
            }
        }
    }
    Ok(order.into_iter().filter_map(|c| cases.remove(&c)).collect())
}

#[derive(Debug, Serialize)]
struct ImportLineJson<'a> {
    line: u64,
    case_number: &'a str,
    outcome: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    error: &'a str,
}

async fn import(
    client: &mut Client,
    timeout: Option<Duration>,
    file: &std::path::Path,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let cases = intake(crate::debtors::read_table(file, &IMPORT_COLUMNS)?)?;
    let total = cases.len();
    let mut results = futures::stream::iter(cases)
        .map(|case| {
            let mut client = client.clone();
            async move {
                let call = client.register_case(request(case.request.clone(), timeout));
                let result = bounded(timeout, call).await.map(|r| r.into_inner());
                (case, result)
            }
        })
        .buffer_unordered(IMPORT_CONCURRENCY);
    let (mut registered, mut failed) = (0usize, 0usize);
    while let Some((case, result)) = results.next().await {
        let (outcome, error) = match &result {
            Ok(_) => ("registered", String::new()),
            Err(status) => (
                "failed",
                format!(
                    "{}: {}",
                    assethub_client::code_name(status.code()),
                    status.message()
                ),
            ),
        };
        if result.is_ok() {
            registered += 1;
        } else {
            failed += 1;
        }
        if as_json {
            let line = ImportLineJson {
                line: case.line,
                case_number: &case.request.case_number,
                outcome,
                error: &error,
            };
            writeln!(out, "{}", json::to_line(&line))?;
        } else if !error.is_empty() {
            writeln!(
                out,
                "line {}: {}: {}",
                case.line,
                sanitize(&case.request.case_number),
                sanitize(&error)
            )?;
        }
    }
    if !as_json {
        writeln!(
            out,
            "{} of {total} registered (or already registered with the same content), {failed} failed",
            plural(registered, "case", "cases")
        )?;
    }
    if failed > 0 {
        return Err(CliError::Incomplete(format!(
            "{failed} of {total} cases were not registered (see above)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debtors_are_id_colon_name() {
        assert_eq!(
            parse_debtor("11010519491231002X:张伟"),
            Ok(("11010519491231002X".into(), "张伟".into()))
        );
        // A company name may hold a colon.
        assert_eq!(
            parse_debtor("91350100M000100Y43:某某:公司").map(|d| d.1),
            Ok("某某:公司".into())
        );
        for bad in ["", ":张伟", "1101:", "no-colon"] {
            assert!(parse_debtor(bad).is_err(), "{bad:?}");
        }
    }

    /// An intake row at `line` from `case,id,name,claim,account`.
    fn row(line: u64, csv: &str) -> (u64, Vec<String>) {
        (line, csv.split(',').map(str::to_string).collect())
    }

    #[test]
    fn intake_groups_rows_by_case() {
        let rows = vec![
            row(2, "c1,i1,n1,100,A-1"),
            row(3, "c2,i2,n2,5.5,A-2"),
            row(4, "c1,i3,n3,100,A-1"),
        ];
        let cases = intake(rows).expect("groups");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].request.case_number, "c1");
        assert_eq!(cases[0].request.debtors.len(), 2);
        assert_eq!(cases[0].request.claim_fen, 10_000);
        assert_eq!(cases[1].request.claim_fen, 550);
        let clash = vec![row(2, "c1,i1,n1,100,A-1"), row(3, "c1,i2,n2,200,A-1")];
        assert!(intake(clash).is_err());
        let bad_claim = vec![row(2, "c,i,n,1 000,A")];
        assert!(intake(bad_claim).is_err());
    }
}
