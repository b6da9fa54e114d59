//! What the administration holds for a debtor: registered motor vehicles with plate, VIN,
//! model, status codes and existing encumbrances (seals and queued seals by courts, mortgages
//! to lenders). Derived from the debtor's deterministic random stream on each inquiry, so
//! answers are stable across restarts and differ between administrations.

use super::catalogue::{self, Class, Model, Status, COMMERCIAL, PASSENGER};
use super::date::Date;
use super::vin;
use crate::population::{fnv, DebtorKind, DebtorRecord, HoldingOdds, Population, Wealth, REGIONS};
use crate::seal;
pub use crate::seal::{Seal, SealKind};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A registered mortgage (抵押登记).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mortgage {
    /// 抵押权人
    pub holder: String,
    /// 抵押金额, in fen.
    pub amount_fen: i64,
    pub since: Date,
}

/// One registered motor vehicle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleRecord {
    /// 号牌号码, e.g. `鄂A12345`.
    pub plate: String,
    pub model: &'static Model,
    /// 车辆识别代号
    pub vin: String,
    /// 车身颜色 code.
    pub colour: &'static str,
    /// 机动车状态, sorted; `[Normal]` when nothing else applies.
    pub statuses: Vec<Status>,
    /// 初次登记日期
    pub first_registered: Date,
    pub seals: Vec<Seal>,
    pub mortgages: Vec<Mortgage>,
}

impl VehicleRecord {
    /// The status codes as the wire's `zt` string, e.g. `A` or `GK`.
    pub fn status_codes(&self) -> String {
        self.statuses.iter().map(|s| s.code()).collect()
    }
}

/// Most vehicles one debtor can hold here; VIN serials reserve this many each.
const MAX_VEHICLES: usize = 16;
const SERIAL_SPACE: u64 = 1_000_000;
/// Odd and not a multiple of 5, so multiplying by it permutes serials modulo 10^6.
const SERIAL_STRIDE: u64 = 979_931;
const PLATE_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

/// What the administration `agency` holds for the debtor with `id_number`, if the population
/// knows them. Tests use it to compare answers with the administration's records.
pub fn holdings_for(
    agency: &str,
    population: &Population,
    id_number: &str,
) -> Option<Vec<VehicleRecord>> {
    let debtor = population.get(id_number)?;
    Some(holdings(agency, population, debtor))
}

/// Vehicles the administration `agency` holds for `debtor`.
pub fn holdings(
    agency: &str,
    population: &Population,
    debtor: &DebtorRecord,
) -> Vec<VehicleRecord> {
    let mut rng = population.rng_for(agency, debtor);
    let salt = fnv(agency) % SERIAL_SPACE;
    (0..VEHICLE_COUNT.count(&mut rng, debtor))
        .map(|k| {
            let slot = (debtor.index * MAX_VEHICLES + k) as u64;
            let serial = (slot * SERIAL_STRIDE + salt) % SERIAL_SPACE;
            vehicle(&mut rng, debtor, serial as u32)
        })
        .collect()
}

const VEHICLE_COUNT: HoldingOdds = HoldingOdds {
    modest_person: 0.5,
    comfortable_person: 1..=2,
    rich_person: 1..=3,
    modest_company: 0..=2,
    comfortable_company: 2..=4,
    rich_company: 3..=8,
    max: MAX_VEHICLES,
};

fn vehicle(rng: &mut ChaCha8Rng, debtor: &DebtorRecord, serial: u32) -> VehicleRecord {
    let model = if debtor.kind == DebtorKind::Company && rng.random_bool(0.6) {
        &COMMERCIAL[rng.random_range(0..COMMERCIAL.len())]
    } else {
        &PASSENGER[rng.random_range(0..PASSENGER.len())]
    };
    let first_registered = Date::random(rng, 2012, 1, 166);
    let plant = vin::ALPHABET
        .chars()
        .nth(rng.random_range(0..vin::ALPHABET.len()))
        .unwrap_or('1');
    let vin = vin::assemble(model.wmi, model.vds, first_registered.year, plant, serial);
    let plate = plate(rng, debtor, model.class);
    let colour = catalogue::COLOURS[rng.random_range(0..catalogue::COLOURS.len())];

    let deregistered = first_registered.year < 2016 && rng.random_bool(0.04);
    let (seals, mortgages) = if deregistered {
        (Vec::new(), Vec::new())
    } else {
        (
            seals(rng, debtor, first_registered),
            mortgages(rng, debtor, model, first_registered),
        )
    };
    let mut statuses = Vec::new();
    if deregistered {
        statuses.push(Status::Deregistered);
    } else {
        if !seals.is_empty() {
            statuses.push(Status::Sealed);
        }
        if rng.random_bool(0.1) {
            statuses.push(Status::UnsettledViolations);
        }
        if first_registered.year < 2016 && rng.random_bool(0.15) {
            statuses.push(Status::InspectionOverdue);
        }
        if debtor.kind == DebtorKind::Company && rng.random_bool(0.03) {
            statuses.push(Status::TransferredOut);
        }
    }
    if statuses.is_empty() {
        statuses.push(Status::Normal);
    }
    statuses.sort();
    VehicleRecord {
        plate,
        model,
        vin,
        colour,
        statuses,
        first_registered,
        seals,
        mortgages,
    }
}

/// A plate of the debtor's city: `鄂A3K5M1`, new-energy `鄂AD12345`.
fn plate(rng: &mut ChaCha8Rng, debtor: &DebtorRecord, class: Class) -> String {
    let mut plate = format!(
        "{}{}",
        debtor.province,
        catalogue::plate_letter(debtor.city)
    );
    let letter =
        |rng: &mut ChaCha8Rng| PLATE_LETTERS[rng.random_range(0..PLATE_LETTERS.len())] as char;
    let digit = |rng: &mut ChaCha8Rng| char::from(b'0' + rng.random_range(0..10u8));
    match class {
        Class::NewEnergy => {
            plate.push(if rng.random_bool(0.8) { 'D' } else { 'F' });
            (0..5).for_each(|_| plate.push(digit(rng)));
        }
        Class::Car | Class::Truck => {
            let most_letters = if class == Class::Truck { 1 } else { 2 };
            let mut letters = 0;
            for _ in 0..5 {
                if letters < most_letters && rng.random_bool(0.25) {
                    letters += 1;
                    plate.push(letter(rng));
                } else {
                    plate.push(digit(rng));
                }
            }
        }
    }
    plate
}

fn seals(rng: &mut ChaCha8Rng, debtor: &DebtorRecord, first_registered: Date) -> Vec<Seal> {
    let chance = match debtor.wealth {
        Wealth::None => 0.0,
        Wealth::Modest => 0.1,
        Wealth::Comfortable => 0.15,
        Wealth::Rich => 0.2,
    };
    if !rng.random_bool(chance) {
        return Vec::new();
    }
    let first = Date::random(rng, 2024, 12, 13).max(first_registered.plus_months(1));
    seal::chain(rng, first, |rng, kind, since| {
        seal(rng, debtor, kind, since)
    })
}

fn seal(rng: &mut ChaCha8Rng, debtor: &DebtorRecord, kind: SealKind, since: Date) -> Seal {
    // Mostly the basic court of the debtor's home district; sometimes a court elsewhere.
    let home = REGIONS
        .iter()
        .position(|(_, city, _)| *city == debtor.city)
        .unwrap_or(0);
    let region = if rng.random_bool(0.7) {
        home
    } else {
        rng.random_range(0..REGIONS.len())
    };
    let (code, district, province) = REGIONS[region];
    let case_type = if rng.random_bool(0.8) {
        "执"
    } else {
        "执保"
    };
    Seal {
        kind,
        court: format!("{district}人民法院"),
        case_number: format!(
            "({}){province}{}{case_type}{}号",
            since.year,
            &code[2..],
            rng.random_range(1..=20_000)
        ),
        since,
        until: kind.until(since, 2),
    }
}

fn mortgages(
    rng: &mut ChaCha8Rng,
    debtor: &DebtorRecord,
    model: &Model,
    first_registered: Date,
) -> Vec<Mortgage> {
    // Car loans run a few years; older vehicles have been released.
    let chance = match model.class {
        Class::Truck => 0.4,
        _ if first_registered.year >= 2021 => 0.3,
        _ => 0.0,
    };
    if !rng.random_bool(chance) {
        return Vec::new();
    }
    let holder = if rng.random_bool(0.7) {
        catalogue::LENDERS[rng.random_range(0..catalogue::LENDERS.len())].to_string()
    } else {
        let city: String = debtor.city.chars().take_while(|c| *c != '市').collect();
        format!(
            "{}股份有限公司{city}分行",
            catalogue::BANKS[rng.random_range(0..catalogue::BANKS.len())]
        )
    };
    let (low, high) = model.loan_thousands;
    let yuan = rng.random_range(low..=high) * 1_000;
    let fen = if rng.random_bool(0.3) {
        rng.random_range(1..100)
    } else {
        0
    };
    let since = if model.class == Class::Truck && first_registered.year < 2021 {
        Date::random(rng, 2022, 1, 46).max(first_registered)
    } else {
        first_registered
    };
    vec![Mortgage {
        holder,
        amount_fen: yuan * 100 + fen,
        since,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{DEMO_COMPANY_ID, DEMO_PERSON_ID};
    use assethub_connectors::domain::CaseNumber;
    use std::collections::HashSet;

    #[test]
    fn holdings_are_stable_and_differ_between_administrations() {
        let population = Population::generate(21, 50);
        let a = holdings_for("vehicle-a", &population, DEMO_COMPANY_ID);
        assert_eq!(a, holdings_for("vehicle-a", &population, DEMO_COMPANY_ID));
        assert_ne!(a, holdings_for("vehicle-b", &population, DEMO_COMPANY_ID));
        assert_eq!(holdings_for("vehicle-a", &population, "nobody"), None);
    }

    #[test]
    fn spread_follows_wealth_and_records_are_well_formed() {
        let population = Population::generate(22, 2_000);
        let mut vins = HashSet::new();
        let mut fleets = 0;
        for debtor in population.debtors() {
            let held = holdings("vehicle-hubei", &population, debtor);
            if debtor.wealth == Wealth::None {
                assert!(held.is_empty());
            }
            if debtor.demo {
                assert!(!held.is_empty());
            }
            if debtor.kind == DebtorKind::Company && held.len() >= 3 {
                fleets += 1;
            }
            for vehicle in held {
                assert!(vin::is_valid(&vehicle.vin), "{}", vehicle.vin);
                assert!(vins.insert(vehicle.vin.clone()));
                assert!(vehicle.plate.starts_with(debtor.province));
                let plate_chars = vehicle.plate.chars().count();
                assert_eq!(
                    plate_chars,
                    if vehicle.model.class == Class::NewEnergy {
                        8
                    } else {
                        7
                    }
                );
                assert_eq!(
                    vehicle.statuses.contains(&Status::Sealed),
                    !vehicle.seals.is_empty()
                );
                for seal in &vehicle.seals {
                    assert!(
                        CaseNumber::parse(&seal.case_number).is_ok(),
                        "{}",
                        seal.case_number
                    );
                }
            }
        }
        assert!(fleets > 10, "companies run fleets ({fleets})");
    }

    #[test]
    fn the_demo_person_holds_a_car_with_a_plate_of_their_province() {
        let population = Population::generate(23, 10);
        let held = holdings_for("vehicle-hubei", &population, DEMO_PERSON_ID).unwrap_or_default();
        assert!(!held.is_empty());
        assert!(held.iter().all(|v| v.plate.starts_with("京A")));
    }
}
