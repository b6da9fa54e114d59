//! The arguments of the searches, `query` (one debtor) and `batch` (a CSV of debtors), and
//! the `--kind` names they share: any registered kind is accepted by name; the four built-in
//! ones are also sent as the API's enum values, which every hub understands.

use std::path::PathBuf;

use assethub_proto::v1::AssetKind;
use clap::Args;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Enforcement case number, e.g. "(2024)鄂0116执1234号".
    #[arg(long = "case", value_name = "CASE")]
    pub case_number: String,
    /// Resident identity number or unified social credit code.
    #[arg(long = "id", value_name = "NUMBER")]
    pub id_number: String,
    /// Full legal name of the person or company.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub common: SearchArgs,
    /// Deadline for the search in milliseconds (0 or absent: the hub's default).
    #[arg(long, value_name = "N")]
    pub deadline_ms: Option<u32>,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// CSV file with a header row case_number,id_number,name.
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,
    #[command(flatten)]
    pub common: SearchArgs,
    /// Deadline per debtor in milliseconds (0 or absent: the hub's default).
    #[arg(long, value_name = "N")]
    pub item_deadline_ms: Option<u32>,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Submit a durable sweep the hub keeps (and resumes after a restart) instead of one
    /// BatchQuery call; prints the sweep's id (see `hubctl sweep`).
    #[arg(long)]
    pub durable: bool,
    /// With --durable: the sweep's idempotency key [default: the file's name and size].
    #[arg(long, value_name = "KEY", requires = "durable")]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Only these kinds of source (repeatable or comma-separated), by the names the hub
    /// registers: bank, real_estate, vehicle, payment, or any configured kind such as
    /// securities (`hubctl sources` lists them); default: all.
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',', value_parser = kind_arg)]
    pub kinds: Vec<String>,
    /// Bypass the hub's cache and ask every agency afresh.
    #[arg(long)]
    pub fresh: bool,
}

/// A kind name as the hub registers them (`real-estate` is taken for `real_estate`); whether
/// the hub knows it is the hub's to say.
fn kind_arg(text: &str) -> Result<String, String> {
    let name = text.trim().replace('-', "_");
    let well_formed = (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if well_formed {
        Ok(name)
    } else {
        Err("a kind is 1-32 characters of a-z, 0-9 and '_' (e.g. bank, securities)".into())
    }
}

/// The built-in kinds among `names`, as the API's enum values (understood by every hub).
pub fn kinds(names: &[String]) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::new();
    for kind in names.iter().filter_map(|n| built_in(n)) {
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out
}

/// The other kinds among `names`, sent by name (`kind_names`).
pub fn kind_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names.iter().filter(|n| built_in(n).is_none()) {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

fn built_in(name: &str) -> Option<i32> {
    let kind = match name {
        "bank" => AssetKind::Bank,
        "real_estate" => AssetKind::RealEstate,
        "vehicle" => AssetKind::Vehicle,
        "payment" => AssetKind::Payment,
        _ => return None,
    };
    Some(kind as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::deadlines::unary_timeout;
    use clap::Parser;
    use std::time::Duration;

    #[test]
    fn query_arguments() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "--json",
            "query",
            "--case",
            "(2024)鄂0116执1234号",
            "--id",
            "11010519491231002X",
            "--name",
            "张三",
            "--kind",
            "bank,real_estate",
            "--kind",
            "real-estate",
            "--kind",
            "payment",
            "--fresh",
            "--deadline-ms",
            "15000",
            "--addr",
            "http://hub:1",
        ])
        .expect("parses");
        assert!(cli.json);
        assert_eq!(cli.addr, "http://hub:1");
        let Command::Query(q) = cli.command else {
            panic!("query expected")
        };
        assert_eq!(q.case_number, "(2024)鄂0116执1234号");
        assert!(q.common.fresh);
        assert_eq!(
            kinds(&q.common.kinds),
            vec![
                AssetKind::Bank as i32,
                AssetKind::RealEstate as i32,
                AssetKind::Payment as i32
            ]
        );
        assert_eq!(
            unary_timeout(cli.timeout_ms, q.deadline_ms),
            Duration::from_millis(17_000)
        );
    }

    #[test]
    fn bad_kind_is_rejected() {
        let parsed = Cli::try_parse_from([
            "hubctl", "query", "--case", "c", "--id", "i", "--name", "n", "--kind", "Stocks!",
        ]);
        assert!(parsed.is_err());
    }

    #[test]
    fn any_registered_kind_is_sent_by_name_and_built_in_ones_by_number() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "query",
            "--case",
            "c",
            "--id",
            "i",
            "--name",
            "n",
            "--kind",
            "securities,bank,ship",
            "--kind",
            "securities",
        ])
        .expect("parses");
        let Command::Query(q) = cli.command else {
            panic!("query expected")
        };
        assert_eq!(kinds(&q.common.kinds), vec![AssetKind::Bank as i32]);
        assert_eq!(kind_names(&q.common.kinds), vec!["securities", "ship"]);
    }

    #[test]
    fn batch_arguments() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "batch",
            "--file",
            "d.csv",
            "--item-deadline-ms",
            "3000",
            "-q",
            "--timeout-ms",
            "60000",
        ])
        .expect("parses");
        assert_eq!(cli.timeout_ms, Some(60_000));
        let Command::Batch(b) = cli.command else {
            panic!("batch expected")
        };
        assert_eq!(b.item_deadline_ms, Some(3000));
        assert!(b.quiet);
        assert!(b.common.kinds.is_empty());
    }
}
