//! What the registry holds for a debtor: registered properties with their certificate numbers,
//! addresses, areas, ownership and existing encumbrances (bank mortgages, seals and queued
//! seals by other courts). Derived from the debtor's deterministic random stream on each
//! inquiry, so answers are stable across restarts and differ between registry instances.

use super::date::Date;
use super::locale::{self, District, Locale};
use super::Settings;
use crate::population::{fnv, DebtorKind, DebtorRecord, HoldingOdds, Population, Wealth};
use crate::seal;
pub use crate::seal::{Seal, SealKind};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// 用途: what a property is registered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Residential,
    Commercial,
    Office,
}

impl Usage {
    pub fn label(self) -> &'static str {
        match self {
            Self::Residential => "住宅",
            Self::Commercial => "商业",
            Self::Office => "办公",
        }
    }
}

/// 共有方式 and, for shares, 权利比例.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// 单独所有
    Sole,
    /// 共同共有 (typically spouses)
    Joint,
    /// 按份共有 with the debtor's share, e.g. `1/2` or `60%`.
    Shared(&'static str),
}

impl Ownership {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sole => "单独所有",
            Self::Joint => "共同共有",
            Self::Shared(_) => "按份共有",
        }
    }

    pub fn share(self) -> Option<&'static str> {
        match self {
            Self::Shared(share) => Some(share),
            _ => None,
        }
    }
}

/// A registered mortgage (抵押权).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mortgage {
    /// 抵押权人, a bank branch.
    pub holder: String,
    /// 被担保主债权数额, in fen.
    pub amount_fen: i64,
    pub since: Date,
    pub until: Date,
}

/// The registry's words for a seal kind.
impl SealKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Seal => "查封",
            Self::Queued => "轮候查封",
        }
    }
}

/// One registered property (不动产).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// 不动产权证号, e.g. `鄂(2021)武汉市不动产权第0123456号`.
    pub certificate_number: String,
    /// 不动产单元号, 28 characters.
    pub unit_number: String,
    /// 坐落
    pub address: String,
    /// 建筑面积 in hundredths of a square metre.
    pub area_centi_m2: u64,
    pub usage: Usage,
    pub ownership: Ownership,
    /// 登记时间
    pub registered_on: Date,
    pub mortgages: Vec<Mortgage>,
    pub seals: Vec<Seal>,
}

const BANKS: [&str; 8] = [
    "中国工商银行",
    "中国建设银行",
    "中国农业银行",
    "中国银行",
    "交通银行",
    "招商银行",
    "兴业银行",
    "中信银行",
];
/// Most properties one debtor can hold here; certificate sequences reserve this many each.
const MAX_PROPERTIES: usize = 8;
const SEQUENCE_SPACE: u64 = 10_000_000;
/// Odd and not a multiple of 5, so multiplying by it permutes sequences modulo 10^7.
const SEQUENCE_STRIDE: u64 = 7_919_861;

/// What the registry configured by `settings` holds for the debtor with `id_number`, if the
/// population knows them. Tests use it to compare answers with the registry's records.
pub fn holdings_for(
    agency: &str,
    settings: &Settings,
    population: &Population,
    id_number: &str,
) -> Option<Vec<Property>> {
    let debtor = population.get(id_number)?;
    let registry = locale::for_registry(&settings.registry_name);
    Some(holdings(agency, registry, population, debtor))
}

/// Properties the registry `agency` (serving `registry`'s city, or any city when None) holds
/// for `debtor`.
pub fn holdings(
    agency: &str,
    registry: Option<&'static Locale>,
    population: &Population,
    debtor: &DebtorRecord,
) -> Vec<Property> {
    let mut rng = population.rng_for(agency, debtor);
    let locale = registry.unwrap_or_else(|| locale::for_city(debtor.city));
    let salt = fnv(agency) % SEQUENCE_SPACE;
    (0..PROPERTY_COUNT.count(&mut rng, debtor))
        .map(|k| {
            let slot = (debtor.index * MAX_PROPERTIES + k) as u64;
            let sequence = (slot * SEQUENCE_STRIDE + salt) % SEQUENCE_SPACE;
            property(&mut rng, locale, debtor, sequence)
        })
        .collect()
}

const PROPERTY_COUNT: HoldingOdds = HoldingOdds {
    modest_person: 0.4,
    comfortable_person: 1..=2,
    rich_person: 2..=4,
    modest_company: 0..=1,
    comfortable_company: 1..=3,
    rich_company: 2..=6,
    max: MAX_PROPERTIES,
};

fn property(
    rng: &mut ChaCha8Rng,
    locale: &'static Locale,
    debtor: &DebtorRecord,
    sequence: u64,
) -> Property {
    let company = debtor.kind == DebtorKind::Company;
    let usage = match (company, rng.random_range(0..100)) {
        (false, 0..80) | (true, 0..10) => Usage::Residential,
        (false, 80..90) | (true, 10..60) => Usage::Commercial,
        _ => Usage::Office,
    };
    let district = &locale.districts[rng.random_range(0..locale.districts.len())];
    let registered_on = Date::random(rng, 2015, 3, 128);
    let ownership = ownership(rng, company);
    let area_centi_m2 = area(rng, usage, company, debtor.wealth);
    let mortgages = mortgages(rng, locale, usage, company, registered_on);
    let seals = seals(rng, locale, district, debtor.wealth, registered_on);
    Property {
        certificate_number: format!(
            "{}({}){}不动产权第{sequence:07}号",
            locale.province, registered_on.year, locale.city
        ),
        unit_number: format!(
            "{}{:03}{:03}GB{:05}F{:04}{:04}",
            district.code,
            rng.random_range(1..=20),
            rng.random_range(1..=30),
            rng.random_range(1..=99_999),
            rng.random_range(1..=60),
            rng.random_range(1..=3_000),
        ),
        address: address(rng, locale, district, usage),
        area_centi_m2,
        usage,
        ownership,
        registered_on,
        mortgages,
        seals,
    }
}

fn address(rng: &mut ChaCha8Rng, locale: &Locale, district: &District, usage: Usage) -> String {
    let street = format!(
        "{}{}{}{}号",
        locale.city,
        district.name,
        district.street,
        rng.random_range(1..=999)
    );
    match usage {
        Usage::Residential => format!(
            "{street}{}栋{}单元{}{:02}室",
            rng.random_range(1..=30),
            rng.random_range(1..=4),
            rng.random_range(1..=33),
            rng.random_range(1..=6)
        ),
        Usage::Commercial => {
            let floor = rng.random_range(1..=5);
            format!(
                "{street}{floor}层{}号商铺",
                floor * 100 + rng.random_range(1..=60)
            )
        }
        Usage::Office => format!(
            "{street}{}座{}{:02}室",
            ['A', 'B', 'C'][rng.random_range(0..3)],
            rng.random_range(2..=40),
            rng.random_range(1..=20)
        ),
    }
}

fn area(rng: &mut ChaCha8Rng, usage: Usage, company: bool, wealth: Wealth) -> u64 {
    // Bounds in whole square metres; the area itself is any hundredth in between.
    let (low, high) = match (usage, company) {
        (Usage::Residential, false) if wealth == Wealth::Rich => (90, 260),
        (Usage::Residential, false) => (45, 160),
        (Usage::Residential, true) => (40, 120),
        (Usage::Commercial, false) => (20, 300),
        (Usage::Commercial, true) => (80, 3_000),
        (Usage::Office, false) => (40, 300),
        (Usage::Office, true) => (100, 2_500),
    };
    let range = low * 100..=high * 100;
    rng.random_range(range)
}

fn ownership(rng: &mut ChaCha8Rng, company: bool) -> Ownership {
    let roll = rng.random_range(0..100);
    match (company, roll) {
        (false, 0..55) | (true, 0..90) => Ownership::Sole,
        (false, 55..85) => Ownership::Joint,
        (false, _) => Ownership::Shared(["1/2", "1/3", "2/3"][rng.random_range(0..3)]),
        (true, _) => Ownership::Shared(["1/2", "60%", "40%"][rng.random_range(0..3)]),
    }
}

fn mortgages(
    rng: &mut ChaCha8Rng,
    locale: &Locale,
    usage: Usage,
    company: bool,
    registered_on: Date,
) -> Vec<Mortgage> {
    let (chance, most, thousands, terms): (f64, usize, _, &[u16]) = match (usage, company) {
        (Usage::Residential, false) => (0.55, 1, 150..=3_000, &[10, 20, 30]),
        (_, false) => (0.35, 1, 200..=5_000, &[5, 10]),
        (_, true) => (0.45, 2, 500..=30_000, &[5, 8, 10]),
    };
    let mut out = Vec::new();
    while out.len() < most && rng.random_bool(chance) {
        let yuan: i64 = rng.random_range(thousands.clone()) * 1_000;
        // Some mortgages secure an exact debt rather than a round maximum.
        let fen = if rng.random_bool(0.25) {
            rng.random_range(1..100)
        } else {
            0
        };
        let since = if out.is_empty() && !company {
            registered_on
        } else {
            Date::random(rng, 2022, 1, 46).max(registered_on)
        };
        out.push(Mortgage {
            holder: format!(
                "{}股份有限公司{}分行",
                BANKS[rng.random_range(0..BANKS.len())],
                locale.short_city()
            ),
            amount_fen: yuan * 100 + fen,
            since,
            until: since.term_end(terms[rng.random_range(0..terms.len())]),
        });
    }
    out
}

fn seals(
    rng: &mut ChaCha8Rng,
    locale: &Locale,
    district: &District,
    wealth: Wealth,
    registered_on: Date,
) -> Vec<Seal> {
    let chance = match wealth {
        Wealth::None => 0.0,
        Wealth::Modest => 0.15,
        Wealth::Comfortable => 0.2,
        Wealth::Rich => 0.25,
    };
    if !rng.random_bool(chance) {
        return Vec::new();
    }
    let first = Date::random(rng, 2024, 6, 19).max(registered_on.plus_months(1));
    seal::chain(rng, first, |rng, kind, since| {
        seal(rng, locale, district, kind, since)
    })
}

fn seal(
    rng: &mut ChaCha8Rng,
    locale: &Locale,
    home: &District,
    kind: SealKind,
    since: Date,
) -> Seal {
    // Mostly the court of the district the property is in; sometimes another district's.
    let court = if rng.random_bool(0.7) {
        home
    } else {
        &locale.districts[rng.random_range(0..locale.districts.len())]
    };
    let case_type = if rng.random_bool(0.8) {
        "执"
    } else {
        "执保"
    };
    Seal {
        kind,
        court: format!("{}{}人民法院", locale.city, court.name),
        case_number: format!(
            "({}){}{}{}{}号",
            since.year,
            locale.province,
            &court.code[2..],
            case_type,
            rng.random_range(1..=20_000)
        ),
        since,
        until: kind.until(since, 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{DEMO_COMPANY_ID, DEMO_PERSON_ID};
    use assethub_connectors::domain::CaseNumber;
    use std::collections::HashSet;

    fn wuhan() -> Settings {
        Settings::demo(0)
    }

    #[test]
    fn holdings_are_stable_and_differ_between_registries() {
        let population = Population::generate(11, 50);
        let a = holdings_for("registry-a", &wuhan(), &population, DEMO_PERSON_ID);
        let again = holdings_for("registry-a", &wuhan(), &population, DEMO_PERSON_ID);
        let b = holdings_for("registry-b", &wuhan(), &population, DEMO_PERSON_ID);
        assert_eq!(a, again);
        assert_ne!(a, b);
        assert_eq!(holdings_for("registry-a", &wuhan(), &population, "x"), None);
    }

    #[test]
    fn spread_follows_wealth_and_demo_debtors_always_hold_something() {
        let population = Population::generate(12, 2_000);
        let mut certificates = HashSet::new();
        for debtor in population.debtors() {
            let held = holdings("registry-wuhan", None, &population, debtor);
            match debtor.wealth {
                Wealth::None => assert!(held.is_empty()),
                Wealth::Rich if debtor.kind == DebtorKind::Person => assert!(held.len() >= 2),
                _ => {}
            }
            if debtor.demo {
                assert!(!held.is_empty());
            }
            for property in held {
                assert!(certificates.insert(property.certificate_number.clone()));
                assert_eq!(property.unit_number.chars().count(), 28);
                assert!(property.area_centi_m2 >= 20 * 100);
                for seal in &property.seals {
                    assert!(CaseNumber::parse(&seal.case_number).is_ok());
                    assert_eq!(seal.until.is_some(), seal.kind == SealKind::Seal);
                }
                for mortgage in &property.mortgages {
                    assert!(mortgage.amount_fen >= 150_000 * 100);
                    assert!(mortgage.until > mortgage.since);
                }
            }
        }
    }

    #[test]
    fn a_city_registry_files_property_in_its_city() {
        let population = Population::generate(13, 10);
        let held = holdings_for("registry-wuhan", &wuhan(), &population, DEMO_COMPANY_ID)
            .unwrap_or_default();
        assert!(!held.is_empty());
        for property in held {
            assert!(property.certificate_number.starts_with("鄂("));
            assert!(property.certificate_number.contains(")武汉市不动产权第"));
            assert!(property.address.starts_with("武汉市"));
        }
    }
}
