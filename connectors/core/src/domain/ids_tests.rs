//! Identifier rules against literal tables (numbers computed with an independent Python
//! reference of GB 11643, GB 32100 and GB 11714, and by hand), an in-test reference of the
//! check characters for mistyped numbers, and generated valid numbers of every accepted kind.

use super::*;
use proptest::prelude::*;

/// What `DebtorId::parse_on` must make of an input.
#[derive(Debug, PartialEq)]
enum Read {
    Person,
    Company,
    Refused(IdError),
}
use Read::*;

fn read(input: &str) -> Read {
    let today = CivilDate::parse("2026-12-02").unwrap();
    match DebtorId::parse_on(input, today) {
        Ok(DebtorId::Resident(_)) => Person,
        Ok(DebtorId::Company(_)) => Company,
        Err(e) => Refused(e),
    }
}

#[test]
fn residence_permits_and_permanent_residence_cards() {
    let table = [
        // Residence permits of Hong Kong, Macao and Taiwan residents: 810000, 820000, 830000.
        ("810000199001011230", Person),
        ("820000198506150022", Person),
        ("830000197809090319", Person), // Taiwan: refused before
        // Any other 81/82/83 code is no address code (the first two were accepted before).
        ("811234199001011236", Refused(IdError::Region)),
        ("820101198506150024", Refused(IdError::Region)),
        ("831234197809090314", Refused(IdError::Region)),
        (
            "83000019780909031X",
            Refused(IdError::CheckCharacter { expected: '9' }),
        ),
        // Taiwan as GB/T 2260 lists it, as before.
        ("710000197001010016", Person),
        // Foreign permanent residence cards, 2023 format: 9, issuing province, nationality
        // (840 United States, 826 United Kingdom, 170 Colombia), birth date, sequence, check.
        ("91184019850312001X", Person),
        ("944826199002200172", Person),
        ("931702198808081234", Person),
        (
            "911840198503120010",
            Refused(IdError::CheckCharacter { expected: 'X' }),
        ),
        // Issuing province 81, 71: not a mainland authority; nationality 156 (China) or 000.
        ("981840198503120012", Refused(IdError::Region)),
        ("971840198503120010", Refused(IdError::Region)),
        ("911156198503120012", Refused(IdError::Region)),
        ("911000198503120015", Refused(IdError::Region)),
        ("911840202701010015", Refused(IdError::FutureBirthDate)),
        // Valid both as a card and as a credit code: a person (persons win the tie).
        ("953371198711131588", Person),
    ];
    for (input, expected) in table {
        assert_eq!(read(input), expected, "{input}");
    }
    assert!(CreditCode::parse("953371198711131588").is_ok());
}

#[test]
fn credit_codes_by_gb_32100_and_gb_11714() {
    let table = [
        ("91350100M000100Y43", Company),
        ("913501000001000017", Company),
        ("12100000400000624D", Company), // 机构编制, 事业单位
        ("51110000500214179X", Company), // 民政, 社会团体
        ("Y1440300MA5EXXXX9F", Company),
        ("N2330100MA0000B15T", Company),
        ("A1110000MA01C2D36X", Company),
        ("92350100L12345674G", Company), // 个体工商户
        ("93350100MA2Y0001X3", Company), // 农民专业合作社
        // All zeros: both check characters are right, but 0 is no registration authority.
        ("000000000000000000", Refused(IdError::Region)),
        (
            "01350100000100001G",
            Refused(IdError::RegistrationAuthority),
        ),
        (
            "B1350100MA0000B15H",
            Refused(IdError::RegistrationAuthority),
        ),
        ("90350100MA0000B15N", Refused(IdError::Category)),
        // Right mod-31 check character, wrong organisation code check character.
        (
            "91350100M000100Y56",
            Refused(IdError::OrganisationCheck { expected: '4' }),
        ),
        (
            "91440300MA5F12340J",
            Refused(IdError::OrganisationCheck { expected: '2' }),
        ),
        (
            "91350100000100002A",
            Refused(IdError::OrganisationCheck { expected: '1' }),
        ),
    ];
    for (input, expected) in table {
        assert_eq!(read(input), expected, "{input}");
    }
    assert_eq!(
        CreditCode::parse("000000000000000000"),
        Err(IdError::RegistrationAuthority)
    );
    assert!(CreditCode::parse("n2330100ma0000b15t").is_ok());
}

/// GB 11714 check character by the standard's formula, written independently of the code:
/// C9 = 11 - (sum of value * weight mod 11), values 0-9 and A=10 .. Z=35.
fn reference_organisation_check(body: &str) -> char {
    let weights = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(b, w)| {
            let value = if b.is_ascii_digit() {
                u32::from(b - b'0')
            } else {
                u32::from(b - b'A') + 10
            };
            value * w
        })
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from(b'0' + n as u8),
    }
}

/// GB 32100 check character: the 18 values weighted 3^i mod 31 sum to 0 mod 31.
fn reference_credit_ok(code: &str) -> bool {
    let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let values: Option<Vec<u32>> = code
        .chars()
        .map(|c| alphabet.find(c).map(|i| i as u32))
        .collect();
    let Some(values) = values else { return false };
    let (mut sum, mut weight) = (0, 1);
    for v in &values[..17] {
        sum += v * weight;
        weight = weight * 3 % 31;
    }
    code.len() == 18
        && (sum + values[17]) % 31 == 0
        && "123456789ANY".contains(&code[..1])
        && ('1'..='9').contains(&code[1..2].chars().next().unwrap_or('0'))
        && code[2..8].bytes().all(|b| b.is_ascii_digit())
        && reference_organisation_check(&code[8..16]) == code[16..17].chars().next().unwrap_or(' ')
}

#[test]
fn organisation_check_characters_match_the_reference() {
    // Worked by hand: M000100Y weighs 22*3 + 1*5 + 34*2 = 139 = 12*11 + 7, so 11 - 7 = 4.
    assert_eq!(reference_organisation_check("M000100Y"), '4');
    for body in [
        "M000100Y", "00010000", "40000062", "50021417", "MA5EXXXX", "00000000",
    ] {
        let chars: Vec<char> = body.chars().collect();
        assert_eq!(
            CreditCode::organisation_check_character(&chars.try_into().unwrap()),
            reference_organisation_check(body),
            "{body}"
        );
    }
}

#[test]
fn a_mistyped_identity_number_is_a_company_only_when_it_is_a_valid_credit_code() {
    // Every wrong check character of a few valid numbers: read as a company exactly when the
    // independent reference says it is a valid credit code, otherwise refused.
    for valid in [
        "11010519491231002X",
        "440305198807150015",
        "350102200001010011",
        "510107197503210416",
        "830000197809090319",
    ] {
        assert_eq!(read(valid), Person, "{valid}");
        for check in "0123456789X".chars().filter(|c| !valid.ends_with(*c)) {
            let typo = format!("{}{check}", &valid[..17]);
            let expected_company = reference_credit_ok(&typo);
            match read(&typo) {
                Company => assert!(expected_company, "{typo}"),
                Refused(IdError::CheckCharacter { .. }) => assert!(!expected_company, "{typo}"),
                other => panic!("{typo}: {other:?}"),
            }
        }
    }
}

#[test]
fn an_all_digit_credit_code_is_a_company() {
    // Found by the `debtor_id` fuzz target: all digits does not mean a person.
    assert_eq!(read("913501000001000017"), Company);
    assert_eq!(read("11010519491231002X"), Person);
    assert!(DebtorId::parse("110105194912310021").is_err());
}

#[test]
fn a_person_born_today_in_beijing_is_no_future_birth() {
    // 2026-12-31T16:30:00Z is 2027-01-01 00:30 in Beijing (Unix ms computed with Python).
    let today = CivilDate::beijing_at(1_798_734_600_000);
    let born_today = "110105202701010016"; // check character computed with the reference
    assert!(matches!(
        DebtorId::parse_on(born_today, today),
        Ok(DebtorId::Resident(_))
    ));
    // By the UTC date (2026-12-31) it was refused as born in the future.
    let utc_date = CivilDate::parse("2026-12-31").unwrap();
    assert_eq!(
        ResidentId::parse_on(born_today, utc_date),
        Err(IdError::FutureBirthDate)
    );
    // A recorded number is read back without comparing the date.
    assert!(DebtorId::parse_recorded(born_today).is_ok());
}

#[test]
fn accepts_the_standard_examples() {
    assert!(ResidentId::parse("11010519491231002X").is_ok());
    assert!(ResidentId::parse("11010519491231002x").is_ok());
    assert!(CreditCode::parse("91350100M000100Y43").is_ok());
}

#[test]
fn rejects_wrong_check_characters_and_dates() {
    assert_eq!(
        ResidentId::parse("110105194912310021"),
        Err(IdError::CheckCharacter { expected: 'X' })
    );
    assert_eq!(
        ResidentId::parse("11010519490231002X").unwrap_err(),
        IdError::BirthDate
    );
    assert!(matches!(
        ResidentId::parse("110105299901010011"),
        Err(IdError::FutureBirthDate | IdError::CheckCharacter { .. })
    ));
    assert_eq!(
        ResidentId::parse("99010519491231002X").unwrap_err(),
        IdError::Region
    );
    assert!(matches!(
        CreditCode::parse("91350100M000100Y44"),
        Err(IdError::CheckCharacter { expected: '3' })
    ));
    assert_eq!(
        CreditCode::parse("91350100M000100I43").unwrap_err(),
        IdError::BadCharacter { position: 16 }
    );
    assert_eq!(DebtorId::parse("123").unwrap_err(), IdError::Length(3));
}

#[test]
fn masks_for_logs() {
    let id = DebtorId::parse("11010519491231002X").unwrap();
    assert_eq!(id.to_string(), "110105********002X");
    assert_eq!(format!("{id:?}"), "DebtorId(110105********002X)");
    assert_eq!(mask_name("张伟"), "张*");
    assert_eq!(mask_name("福建某某贸易有限公司"), "福*********");
}

/// First six digits of a number of each accepted kind.
fn address_code() -> impl Strategy<Value = String> {
    prop_oneof![
        (proptest::sample::select(MAINLAND.to_vec()), 0u32..10_000)
            .prop_map(|(p, rest)| format!("{p:02}{rest:04}")),
        proptest::sample::select(vec!["810000", "820000", "830000", "710000"])
            .prop_map(String::from),
        (proptest::sample::select(MAINLAND.to_vec()), 1u32..1000)
            .prop_filter("not China", |(_, n)| *n != 156)
            .prop_map(|(p, n)| format!("9{p:02}{n:03}")),
    ]
}

proptest! {
    #[test]
    fn any_17_digits_with_their_check_character_is_valid(
        address in address_code(),
        year in 1900u32..2020, month in 1u32..13, day in 1u32..29, seq in 0u32..1000,
    ) {
        let body = format!("{address}{year:04}{month:02}{day:02}{seq:03}");
        let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let check = ResidentId::check_character(&digits.clone().try_into().unwrap());
        let id = format!("{body}{check}");
        prop_assert!(ResidentId::parse(&id).is_ok());
        prop_assert_eq!(read(&id), Person);
        // Any other check character is rejected.
        for other in RESIDENT_CHECK.iter().filter(|c| **c != check) {
            let bad = format!("{body}{other}");
            let rejected = matches!(
                ResidentId::parse(&bad),
                Err(IdError::CheckCharacter { .. })
            );
            prop_assert!(rejected);
        }
    }

    #[test]
    fn credit_codes_with_both_check_characters_are_valid(
        authority in proptest::sample::select("123456789ANY".chars().collect::<Vec<_>>()),
        category in 1u32..10,
        region in 0u32..1_000_000,
        org in proptest::collection::vec(0usize..31, 8),
    ) {
        let alphabet: Vec<char> = CREDIT_ALPHABET.chars().collect();
        let org: String = org.iter().map(|i| alphabet[*i]).collect();
        let org_check = reference_organisation_check(&org);
        let body = format!("{authority}{category}{region:06}{org}{org_check}");
        let values: Vec<u32> = body.chars().map(|c| credit_value(c).unwrap()).collect();
        let check = CreditCode::check_character(&values.try_into().unwrap());
        let code = format!("{body}{check}");
        prop_assert!(reference_credit_ok(&code), "{}", code);
        prop_assert!(CreditCode::parse(&code).is_ok(), "{}", code);
    }

    #[test]
    fn credit_code_parsing_agrees_with_the_reference(code in "[0-9A-HJ-NP-RTUW-Y]{18}") {
        prop_assert_eq!(CreditCode::parse(&code).is_ok(), reference_credit_ok(&code), "{}", code);
    }

    #[test]
    fn parsing_never_panics(input in "\\PC{0,24}") {
        let _ = DebtorId::parse(&input);
    }
}
