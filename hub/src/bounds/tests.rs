//! A literal table of values each field accepts and refuses: written by hand, not derived
//! from the classes it checks.

use super::*;

#[test]
fn accepted_and_refused_values_per_field() {
    let long_ref = format!("bank-gongxin:{}", "1".repeat(147));
    let too_long_ref = format!("bank-gongxin:{}", "1".repeat(148));
    let table: &[(&str, Bound, &str, bool)] = &[
        ("case_number", CASE_NUMBER, "(2024)鄂0116执1234号", true),
        ("case_number", CASE_NUMBER, "（2024）鄂0116执恢12号", true),
        ("case_number", CASE_NUMBER, "〔2024〕鄂0116执1号", true),
        ("case_number", CASE_NUMBER, "(2024)鄂0116执1234号\n", false),
        ("case_number", CASE_NUMBER, "(2024)鄂0116执\u{0}1号", false),
        ("case_number", CASE_NUMBER, " (2024)鄂0116执1号", false),
        ("case_number", CASE_NUMBER, "(2024)鄂0116执../1号", false),
        (
            "case_number",
            CASE_NUMBER,
            "(2024)鄂0116执1号<script>",
            false,
        ),
        ("ruling", RULING, "(2024)鄂0116执1234号之一", true),
        (
            "ruling",
            RULING,
            "(2024)鄂0116执1234号之一\u{1b}[31m",
            false,
        ),
        ("id_number", ID_NUMBER, "11010519491231002X", true),
        ("id_number", ID_NUMBER, "91350100M000100Y43", true),
        ("id_number", ID_NUMBER, "11010519491231002X0", false),
        ("id_number", ID_NUMBER, "1101051949123100 X", false),
        ("id_number", ID_NUMBER, "１１０１０５", false),
        ("debtor.name", DEBTOR_NAME, "张伟", true),
        ("debtor.name", DEBTOR_NAME, "阿依古丽·买买提", true),
        ("debtor.name", DEBTOR_NAME, "福建某某贸易有限公司", true),
        (
            "debtor.name",
            DEBTOR_NAME,
            "苹果电子产品商贸（北京）有限公司",
            true,
        ),
        ("debtor.name", DEBTOR_NAME, "O'Brien & Sons Co., Ltd.", true),
        ("debtor.name", DEBTOR_NAME, "Jose\u{301} Nin\u{303}o", true),
        ("debtor.name", DEBTOR_NAME, "张\u{3000}伟", true),
        ("debtor.name", DEBTOR_NAME, "张伟\n", false),
        ("debtor.name", DEBTOR_NAME, "张\u{202E}伟", false),
        ("debtor.name", DEBTOR_NAME, "张\u{200B}伟", false),
        ("debtor.name", DEBTOR_NAME, "张伟<b>", false),
        ("debtor.name", DEBTOR_NAME, "../etc/passwd", false),
        ("instruction.officer", OFFICER, "王法官", true),
        ("instruction.officer", OFFICER, "王法官\u{1b}[2J", false),
        (
            "asset_ref",
            ASSET_REF,
            "bank-gongxin:6236511001511617668",
            true,
        ),
        (
            "asset_ref",
            ASSET_REF,
            "pay-xinfu:20880806901378740156:BALANCE",
            true,
        ),
        (
            "asset_ref",
            ASSET_REF,
            "vehicle-hubei:LSVAN63FXEF652019",
            true,
        ),
        (
            "asset_ref",
            ASSET_REF,
            "realty-wuhan:鄂(2021)武汉市不动产权第0123456号",
            true,
        ),
        ("asset_ref", ASSET_REF, &long_ref, true),
        ("asset_ref", ASSET_REF, &too_long_ref, false),
        (
            "asset_ref",
            ASSET_REF,
            "bank-gongxin:../../etc/passwd",
            false,
        ),
        ("asset_ref", ASSET_REF, "bank-gongxin:..", false),
        ("asset_ref", ASSET_REF, "bank-gongxin:123/456", false),
        ("asset_ref", ASSET_REF, "bank-gongxin:123\\456", false),
        ("asset_ref", ASSET_REF, "bank-gongxin:123\u{0}", false),
        ("asset_ref", ASSET_REF, "bank-gongxin:123\n", false),
        ("asset_ref", ASSET_REF, "bank-gongxin:\u{1b}[31m123", false),
        ("asset_ref", ASSET_REF, "bank-gongxin: 123", false),
        ("case_account", ACCOUNT, "HB0116-ZX-2024-1234", true),
        ("case_account", ACCOUNT, "HB0116-ZX-2024-1234\n", false),
        ("case_account", ACCOUNT, "HB0116\u{0}", false),
        ("case_account", ACCOUNT, "\u{1b}HB0116", false),
        ("case_account", ACCOUNT, "../HB0116", false),
        ("case_account", ACCOUNT, "HB 0116", false),
        (
            "order_id",
            ORDER_ID,
            "0b1e2c3d-0000-4000-8000-000000000001",
            true,
        ),
        ("order_id", ORDER_ID, "../0b1e", false),
        (
            "instruction.idempotency_key",
            IDEMPOTENCY_KEY,
            "judge-2024-0001/a",
            true,
        ),
        (
            "instruction.idempotency_key",
            IDEMPOTENCY_KEY,
            "key with space",
            false,
        ),
        (
            "instruction.idempotency_key",
            IDEMPOTENCY_KEY,
            "key\u{0}",
            false,
        ),
        ("currency", CURRENCY, "USD", true),
        ("currency", CURRENCY, "USDT", false),
        (
            "reason",
            REASON,
            "债务已清偿，申请解除冻结 (paid in full)",
            true,
        ),
        ("reason", REASON, "paid\nin full", false),
        ("reason", REASON, "paid\u{202E}lluf ni", false),
        ("reason", REASON, "\u{FEFF}paid", false),
        ("method", AUDIT_METHOD, "PlaceHold", true),
        ("method", AUDIT_METHOD, "/assethub.v1.Orders/Nope", true),
        ("method", AUDIT_METHOD, "Place Hold", false),
        (
            "case_number filter",
            AUDIT_FILTER,
            "(2024)鄂0116执1234号",
            true,
        ),
        ("case_number filter", AUDIT_FILTER, "\u{7}", false),
    ];
    for (field, bound, value, accepted) in table {
        assert_eq!(
            bound.check(value).is_ok(),
            *accepted,
            "{field}: {value:?} should be {}",
            if *accepted { "accepted" } else { "refused" }
        );
    }
}

#[test]
fn every_field_accepts_empty_and_refuses_one_character_past_its_length() {
    for bound in [
        CASE_NUMBER,
        RULING,
        ID_NUMBER,
        DEBTOR_NAME,
        OFFICER,
        ASSET_REF,
        ACCOUNT,
        ORDER_ID,
        IDEMPOTENCY_KEY,
        CURRENCY,
        REASON,
        AUDIT_FILTER,
        AUDIT_METHOD,
    ] {
        assert_eq!(bound.check(""), Ok(()));
        let at = "1".repeat(bound.max_chars);
        assert_eq!(bound.check(&at), Ok(()), "{bound:?}");
        let past = "1".repeat(bound.max_chars + 1);
        assert_eq!(
            bound.check(&past),
            Err(format!("is longer than {} characters", bound.max_chars))
        );
    }
}

#[test]
fn a_refusal_never_repeats_the_value() {
    let value = "bank-gongxin:\u{0}secret";
    let why = ASSET_REF.check(value).unwrap_err();
    assert!(!why.contains("secret"), "{why}");
    let huge = "9".repeat(1 << 20);
    assert!(ASSET_REF.check(&huge).unwrap_err().len() < 64);
}
