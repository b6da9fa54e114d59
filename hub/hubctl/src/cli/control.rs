//! The arguments of the control orders: who orders them under which ruling with which
//! idempotency key (`InstructionArgs`), the debtor acted on, and each order's own: `freeze`,
//! `freeze-asset`, `seal`, `watch`, `release`, `deduct`, `renew`. Amounts are parsed from yuan
//! into fen here, so a bad amount is a usage error before anything is sent.

use assethub_proto::v1::OrderAction;
use clap::Args;

use crate::order_client::{self, InstructionInput};
use crate::{control, yuan};

/// Who orders a control action, under which ruling, with which idempotency key.
#[derive(Debug, Args)]
pub struct InstructionArgs {
    /// Enforcement case number, e.g. "(2024)鄂0116执1234号".
    #[arg(long = "case", value_name = "CASE")]
    pub case_number: String,
    /// The ruling ordering the action, e.g. "(2024)鄂0116执1234号之一".
    #[arg(long, value_name = "RULING")]
    pub ruling: String,
    /// The enforcement officer acting [default: the officer named by the credential's token;
    /// another name is refused by the hub].
    #[arg(
        long,
        value_name = "NAME",
        env = "ASSETHUB_OFFICER",
        default_value = ""
    )]
    pub officer: String,
    /// Idempotency key (1-128 printable ASCII); replaying a request with its key never acts
    /// twice. Default: a new UUID v4, printed on stderr.
    #[arg(long, value_name = "KEY", value_parser = order_client::parse_key)]
    pub key: Option<String>,
}

impl InstructionArgs {
    pub fn input(self) -> InstructionInput {
        InstructionInput {
            case_number: self.case_number,
            ruling: self.ruling,
            officer: self.officer,
            key: self.key,
        }
    }
}

/// The debtor whose assets are acted on.
#[derive(Debug, Args)]
pub struct DebtorArgs {
    /// Resident identity number or unified social credit code.
    #[arg(long = "id", value_name = "NUMBER")]
    pub id_number: String,
    /// Full legal name of the person or company.
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct FreezeArgs {
    #[command(flatten)]
    pub instruction: InstructionArgs,
    #[command(flatten)]
    pub debtor: DebtorArgs,
    /// The cap: what the case claims, in yuan (e.g. 12345.67); the case never holds more.
    #[arg(
        long,
        value_name = "YUAN",
        value_parser = yuan::parse_amount,
        allow_negative_numbers = true
    )]
    pub amount: i64,
    /// Freeze period in days; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub days: u32,
}

#[derive(Debug, Args)]
pub struct FreezeAssetArgs {
    #[command(flatten)]
    pub instruction: InstructionArgs,
    /// The asset ref from a search, e.g. "bank-gongxin:6228480000000001".
    #[arg(long, value_name = "REF")]
    pub asset: String,
    #[command(flatten)]
    pub debtor: DebtorArgs,
    /// Amount to freeze in the account's currency (e.g. 12345.67); 0 with --quantity.
    #[arg(
        long,
        value_name = "YUAN",
        value_parser = yuan::parse_amount,
        allow_negative_numbers = true,
        required_unless_present = "quantity",
        conflicts_with = "quantity"
    )]
    pub amount: Option<i64>,
    /// Units to freeze instead of an amount, for kinds counted in units (e.g. 12000 shares).
    #[arg(long, value_name = "N")]
    pub quantity: Option<u64>,
    /// The currency --amount is in (ISO 4217, e.g. USD); refused unless it is the account's.
    /// Default: the account's own.
    #[arg(long, value_name = "CODE", default_value = "")]
    pub currency: String,
    /// Freeze period in days; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub days: u32,
}

#[derive(Debug, Args)]
pub struct HoldArgs {
    #[command(flatten)]
    pub instruction: InstructionArgs,
    /// The asset ref from a search, e.g. "re-wuhan:鄂(2020)武汉市不动产权第0001号".
    #[arg(long, value_name = "REF")]
    pub asset: String,
    #[command(flatten)]
    pub debtor: DebtorArgs,
    /// Period in days; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub days: u32,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub instruction: InstructionArgs,
    /// The hold order to release.
    #[arg(long = "order", value_name = "ID")]
    pub order_id: String,
}

#[derive(Debug, Args)]
pub struct DeductArgs {
    #[command(flatten)]
    pub instruction: InstructionArgs,
    /// The freeze order to deduct from.
    #[arg(long = "order", value_name = "ID")]
    pub order_id: String,
    /// Amount to move in the hold's currency (e.g. 12345.67), at most what is frozen. The
    /// money goes to the case's registered account (一案一账号) and nowhere else.
    #[arg(
        long,
        value_name = "YUAN",
        value_parser = yuan::parse_amount,
        allow_negative_numbers = true
    )]
    pub amount: i64,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    #[command(flatten)]
    pub instruction: InstructionArgs,
    /// The hold order to renew.
    #[arg(long = "order", value_name = "ID")]
    pub order_id: String,
    /// Days to extend by from the current end date; 0: the legal maximum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub days: u32,
}

impl HoldArgs {
    pub fn input(self, action: OrderAction) -> control::HoldInput {
        control::HoldInput {
            instruction: self.instruction.input(),
            action,
            asset_ref: self.asset,
            id_number: self.debtor.id_number,
            name: self.debtor.name,
            amount_fen: 0,
            quantity: 0,
            currency: String::new(),
            days: self.days,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use assethub_proto::v1::OrderAction;
    use clap::Parser;

    #[test]
    fn freeze_asset_takes_a_quantity_instead_of_an_amount() {
        let cli = Cli::try_parse_from([
            "hubctl",
            "freeze-asset",
            "--case",
            "(2024)鄂0116执1234号",
            "--ruling",
            "r",
            "--key",
            "k",
            "--asset",
            "csdc:A1-600000",
            "--id",
            "11010519491231002X",
            "--name",
            "张伟",
            "--quantity",
            "12000",
        ])
        .expect("parses");
        let Command::FreezeAsset(f) = cli.command else {
            panic!("freeze-asset expected")
        };
        assert_eq!((f.amount, f.quantity), (None, Some(12_000)));
    }

    const INSTRUCTION: [&str; 8] = [
        "--case",
        "(2024)鄂0116执1234号",
        "--ruling",
        "(2024)鄂0116执1234号之一",
        "--officer",
        "李四",
        "--key",
        "k-1",
    ];

    fn parse(command: &[&str], extra: &[&str]) -> Result<Cli, clap::Error> {
        let mut argv = vec!["hubctl"];
        argv.extend_from_slice(command);
        argv.extend_from_slice(&INSTRUCTION);
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv)
    }

    #[test]
    fn freeze_arguments() {
        let cli = parse(
            &["--json", "freeze"],
            &[
                "--id",
                "11010519491231002X",
                "--name",
                "张三",
                "--amount",
                "12345.67",
            ],
        )
        .expect("parses");
        assert!(cli.json);
        assert!(cli.command.uses_orders());
        let Command::Freeze(f) = cli.command else {
            panic!("freeze expected")
        };
        assert_eq!(f.amount, 1_234_567);
        assert_eq!(f.days, 0);
        let i = f.instruction.input();
        assert_eq!(i.case_number, "(2024)鄂0116执1234号");
        assert_eq!(i.ruling, "(2024)鄂0116执1234号之一");
        assert_eq!(i.officer, "李四");
        assert_eq!(i.key.as_deref(), Some("k-1"));
        assert_eq!(f.debtor.name, "张三");
    }

    #[test]
    fn bad_amounts_are_usage_errors() {
        for bad in ["1,000.5", "1.001", "-5", "0", "12e3", "abc"] {
            let err =
                parse(&["freeze"], &["--id", "i", "--name", "n", "--amount", bad]).expect_err(bad);
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
            assert_eq!(err.exit_code(), 2);
        }
        let err = parse(&["deduct"], &["--order", "o", "--amount", "0.001"]).expect_err("sub-fen");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn hold_arguments() {
        let cli = parse(
            &["freeze-asset"],
            &[
                "--asset",
                "bank-gongxin:6228",
                "--id",
                "i",
                "--name",
                "n",
                "--amount",
                "100",
                "--days",
                "90",
            ],
        )
        .expect("parses");
        let Command::FreezeAsset(f) = cli.command else {
            panic!("freeze-asset expected")
        };
        assert_eq!(
            (f.amount, f.days, f.asset.as_str()),
            (Some(10_000), 90, "bank-gongxin:6228")
        );
        for (word, action) in [("seal", OrderAction::Seal), ("watch", OrderAction::Watch)] {
            let cli =
                parse(&[word], &["--asset", "veh:1", "--id", "i", "--name", "n"]).expect(word);
            let (Command::Seal(h) | Command::Watch(h)) = cli.command else {
                panic!("{word} expected")
            };
            let input = h.input(action);
            assert_eq!(input.action, action);
            assert_eq!((input.amount_fen, input.days), (0, 0));
        }
        // seal takes no amount.
        assert!(parse(
            &["seal"],
            &["--asset", "a", "--id", "i", "--name", "n", "--amount", "1"]
        )
        .is_err());
    }

    #[test]
    fn act_arguments() {
        let cli = parse(&["deduct"], &["--order", "ord-1", "--amount", "0.5"]).expect("parses");
        let Command::Deduct(d) = cli.command else {
            panic!("deduct expected")
        };
        assert_eq!((d.order_id.as_str(), d.amount), ("ord-1", 50));
        // Where the money goes is not the caller's to name.
        assert!(parse(
            &["deduct"],
            &[
                "--order",
                "ord-1",
                "--amount",
                "0.5",
                "--into",
                "ANY-ACCOUNT-I-LIKE-001"
            ]
        )
        .is_err());
        let cli = parse(&["renew"], &["--order", "ord-1", "--days", "30"]).expect("parses");
        let Command::Renew(r) = cli.command else {
            panic!("renew expected")
        };
        assert_eq!(r.days, 30);
        let cli = parse(&["release"], &["--order", "ord-1"]).expect("parses");
        assert!(matches!(cli.command, Command::Release(_)));
        // The order is required; a bad key is refused locally.
        assert!(parse(&["release"], &[]).is_err());
        let mut argv = vec!["hubctl", "release", "--order", "o"];
        argv.extend_from_slice(&INSTRUCTION[..6]);
        argv.extend_from_slice(&["--key", "键"]);
        assert!(Cli::try_parse_from(argv).is_err());
    }

    #[test]
    fn officer_comes_from_the_environment_and_key_is_optional() {
        // The only test touching ASSETHUB_OFFICER; the others always pass --officer.
        std::env::remove_var("ASSETHUB_OFFICER");
        let argv = [
            "hubctl", "release", "--order", "o", "--case", "c", "--ruling", "r",
        ];
        // Without --officer the hub records the officer its token names.
        let Command::Release(r) = Cli::try_parse_from(argv).expect("parses").command else {
            panic!("release expected")
        };
        assert_eq!(r.instruction.input().officer, "");
        std::env::set_var("ASSETHUB_OFFICER", "王五");
        let parsed = Cli::try_parse_from(argv);
        std::env::remove_var("ASSETHUB_OFFICER");
        let Command::Release(r) = parsed.expect("parses").command else {
            panic!("release expected")
        };
        let i = r.instruction.input();
        assert_eq!(i.officer, "王五");
        assert_eq!(i.key, None);
    }
}
