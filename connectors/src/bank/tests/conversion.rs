//! Conversion of the bank's account records into deposits: exact fen, and anything the
//! connector cannot read exactly reported as malformed.

use super::super::connector::deposit;
use super::super::wire::Account;
use super::source_id;
use crate::domain::{AccountStatus, AssetDetail, AssetRef, DepositAccount, DepositType, Fen};
use crate::ErrorClass;

fn record(bal: &str, frozen: &str) -> Account {
    Account {
        acct_no: "6236510123456789012".into(),
        acct_type: "T".into(),
        ccy: "USD".into(),
        bal: bal.into(),
        frozen_amt: frozen.into(),
        status: "1".into(),
        open_branch: " 共信银行武汉市武昌区人民路支行 ".into(),
    }
}

#[test]
fn converts_yuan_strings_exactly() {
    let asset = deposit(&source_id(), &record("12345.67", "0.29")).expect("valid");
    assert_eq!(
        asset.asset_ref,
        AssetRef::new(&source_id(), "6236510123456789012")
    );
    assert_eq!(
        asset.detail,
        AssetDetail::Deposit(DepositAccount {
            account_number: "6236510123456789012".into(),
            deposit_type: DepositType::Time,
            currency: "USD".into(),
            balance: Fen(1_234_567),
            frozen: Fen(29),
            status: AccountStatus::Frozen,
            branch: "共信银行武汉市武昌区人民路支行".into(),
        })
    );
    for (text, fen) in [
        ("0", 0),
        ("0.1", 10),
        ("100", 10_000),
        ("1.2300", 123),
        ("92233720368547758.07", i64::MAX),
    ] {
        let AssetDetail::Deposit(d) = deposit(&source_id(), &record(text, "0"))
            .expect(text)
            .detail
        else {
            panic!("deposit");
        };
        assert_eq!(d.balance, Fen(fen), "{text}");
    }
}

#[test]
fn sub_fen_digits_or_junk_are_malformed() {
    for bad in [
        "12345.678",
        "0.001",
        "1,234.00",
        "12.3a",
        "1e3",
        "",
        " ",
        "¥12.00",
        "-0.01",
        "92233720368547758.08",
        "NaN",
    ] {
        let error = deposit(&source_id(), &record(bad, "0.00")).expect_err(bad);
        assert_eq!(error.class, ErrorClass::Malformed, "{bad}");
        assert!(error.message.contains("bal"), "{error}");
        let error = deposit(&source_id(), &record("1.00", bad)).expect_err(bad);
        assert_eq!(error.class, ErrorClass::Malformed, "{bad}");
        assert!(error.message.contains("frozenAmt"), "{error}");
    }
}

#[test]
fn unknown_codes_and_bad_fields_are_malformed() {
    type Spoil = fn(&mut Account);
    let cases: [(&str, Spoil); 6] = [
        ("acctType", |a| a.acct_type = "S".into()),
        ("status", |a| a.status = "4".into()),
        ("ccy", |a| a.ccy = "cny".into()),
        ("ccy", |a| a.ccy = "RMB1".into()),
        ("account", |a| a.acct_no = " ".into()),
        ("account", |a| a.acct_no = "6236 5101".into()),
    ];
    for (what, spoil) in cases {
        let mut account = record("1.00", "0.00");
        spoil(&mut account);
        let error = deposit(&source_id(), &account).expect_err(what);
        assert_eq!(error.class, ErrorClass::Malformed, "{what}");
        assert!(error.message.contains(what), "{error}");
    }
}
