//! What a bank holds for each customer: demand and time deposit accounts, derived from the
//! population with the bank instance's own random stream (`Population::rng_for`), so two banks
//! hold different accounts for the same debtor and every restart yields the same data.
//!
//! Every debtor in the population is a customer; how many accounts they hold and how much is on
//! them scales with their wealth (none: no accounts; companies hold larger corporate accounts).
//! A few accounts are dormant or closed, a few already (partly) frozen by another court. Amounts
//! are integers in the currency's minor unit (fen, cents); the API renders them as yuan strings.

use super::Settings;
use crate::population::{DebtorKind, DebtorRecord, Population, Wealth, REGIONS};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// 活期 (demand) or 定期 (time) deposit; `D` / `T` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountType {
    Demand,
    Time,
}

impl AccountType {
    pub fn code(self) -> &'static str {
        match self {
            Self::Demand => "D",
            Self::Time => "T",
        }
    }
}

/// Account status; `0`..`3` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    /// 正常
    Normal,
    /// 冻结: the whole balance is held by another authority.
    Frozen,
    /// 久悬 (dormant)
    Dormant,
    /// 销户 (closed)
    Closed,
}

impl AccountStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Normal => "0",
            Self::Frozen => "1",
            Self::Dormant => "2",
            Self::Closed => "3",
        }
    }
}

/// One deposit account as the bank books it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// 19 digits: product prefix (6), branch (4), serial (8), Luhn check digit.
    pub acct_no: String,
    pub acct_type: AccountType,
    /// ISO 4217.
    pub currency: &'static str,
    /// In the currency's minor unit (fen for CNY, cents for USD).
    pub balance: i64,
    /// Part of the balance already frozen by other authorities, same unit.
    pub frozen: i64,
    pub status: AccountStatus,
    /// Opening branch, in the debtor's city.
    pub branch: String,
    /// YYYYMMDD.
    pub open_date: String,
    /// Term of a time deposit, e.g. `1Y`.
    pub term: Option<&'static str>,
}

/// Everything the bank holds for one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holdings {
    /// The bank's customer number (客户号).
    pub cust_no: String,
    pub accounts: Vec<Account>,
}

/// What the bank instance `agency` (configured with `settings`) holds for the debtor with
/// identifier `id_number`; `None` when the population has no such debtor. Exposed so tests can
/// compare what connectors report with what the bank really holds.
pub fn holdings(
    agency: &str,
    settings: &Settings,
    population: &Population,
    id_number: &str,
) -> Option<Holdings> {
    let record = population.get(id_number)?;
    Some(Bank::new(settings).holdings(agency, population, record))
}

const ROADS: [&str; 12] = [
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "新华路",
    "长江路",
    "和平路",
    "胜利路",
    "文化路",
    "科技园",
    "金融街",
    "滨江",
];
const TERMS: [&str; 6] = ["3M", "6M", "1Y", "2Y", "3Y", "5Y"];
/// Multiplier of the serial-number permutation; coprime with 10^8, so distinct (debtor,
/// account) pairs get distinct serials.
const SERIAL_MULTIPLIER: u64 = 48_271_331;
const SERIAL_MODULUS: u64 = 100_000_000;
/// Accounts per debtor stay below this (it spaces the serial numbers).
const MAX_ACCOUNTS: usize = 16;

/// A bank's identity as it shows in its data.
#[derive(Debug, Clone)]
pub(super) struct Bank {
    name: String,
    /// Exactly three digits.
    code: String,
}

impl Bank {
    pub(super) fn new(settings: &Settings) -> Self {
        let digits: String = settings
            .bank_code
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let padded = format!("{digits:0>3}");
        Self {
            name: settings.bank_name.clone(),
            code: padded[padded.len() - 3..].to_string(),
        }
    }

    pub(super) fn code(&self) -> &str {
        &self.code
    }

    /// The accounts of one customer, generated from the bank instance's own random stream.
    pub(super) fn holdings(
        &self,
        agency: &str,
        population: &Population,
        record: &DebtorRecord,
    ) -> Holdings {
        let mut rng = population.rng_for(agency, record);
        let cust_no = format!(
            "{}{:012}",
            self.code,
            rng.random_range(0..1_000_000_000_000u64)
        );
        let company = record.kind == DebtorKind::Company;
        let mut count = match record.wealth {
            Wealth::None => 0,
            Wealth::Modest if company => rng.random_range(1..=2),
            Wealth::Modest => rng.random_range(0..=2),
            Wealth::Comfortable => rng.random_range(1..=3),
            Wealth::Rich => rng.random_range(2..=5),
        };
        if record.demo {
            count = count.max(1);
        }
        let accounts = (0..count.min(MAX_ACCOUNTS))
            .map(|k| self.account(&mut rng, record, k))
            .collect();
        Holdings { cust_no, accounts }
    }

    fn account(&self, rng: &mut ChaCha8Rng, record: &DebtorRecord, k: usize) -> Account {
        let company = record.kind == DebtorKind::Company;
        let primary = k == 0;
        let time_share = if company { 0.25 } else { 0.35 };
        let acct_type = if !primary && rng.random_bool(time_share) {
            AccountType::Time
        } else {
            AccountType::Demand
        };
        let currency = if !primary && record.wealth == Wealth::Rich && rng.random_bool(0.25) {
            "USD"
        } else {
            "CNY"
        };
        let roll = rng.random_range(0..100);
        let mut status = match roll {
            0..6 if !primary => AccountStatus::Closed,
            6..14 if !primary && acct_type == AccountType::Demand => AccountStatus::Dormant,
            _ => AccountStatus::Normal,
        };
        let balance = match status {
            AccountStatus::Closed => 0,
            AccountStatus::Dormant => rng.random_range(0..50_000),
            _ => amount(rng, record, acct_type, currency),
        };
        let mut frozen = 0;
        if status == AccountStatus::Normal && balance > 0 && rng.random_bool(0.1) {
            let whole_yuan = balance / 100;
            if whole_yuan == 0 || rng.random_bool(0.35) {
                frozen = balance;
                status = AccountStatus::Frozen;
            } else {
                frozen = rng.random_range(1..=whole_yuan) * 100;
            }
        }
        let road = rng.random_range(0..ROADS.len());
        let term =
            (acct_type == AccountType::Time).then(|| TERMS[rng.random_range(0..TERMS.len())]);
        let open_date = format!(
            "{}{:02}{:02}",
            rng.random_range(2008..=2023),
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        );
        Account {
            acct_no: self.account_number(record, k, acct_type, road),
            acct_type,
            currency,
            balance,
            frozen,
            status,
            branch: format!("{}{}{}支行", self.name, record.city, ROADS[road]),
            open_date,
            term,
        }
    }

    /// Product prefix (personal cards `62<code>1|3`, corporate `9<code>06|08`), branch (region
    /// and road), a serial unique per (debtor, account) and a Luhn check digit: 19 digits.
    fn account_number(
        &self,
        record: &DebtorRecord,
        k: usize,
        acct_type: AccountType,
        road: usize,
    ) -> String {
        let prefix = match (record.kind, acct_type) {
            (DebtorKind::Person, AccountType::Demand) => format!("62{}1", self.code),
            (DebtorKind::Person, AccountType::Time) => format!("62{}3", self.code),
            (DebtorKind::Company, AccountType::Demand) => format!("9{}06", self.code),
            (DebtorKind::Company, AccountType::Time) => format!("9{}08", self.code),
        };
        let region = REGIONS
            .iter()
            .position(|(_, city, _)| *city == record.city)
            .unwrap_or(0);
        let slot = (record.index as u64 * MAX_ACCOUNTS as u64 + k as u64) % SERIAL_MODULUS;
        let salt = self.code.parse::<u64>().unwrap_or(0) * 7_919;
        let serial = (slot * SERIAL_MULTIPLIER + salt) % SERIAL_MODULUS;
        let payload = format!("{prefix}{:02}{:02}{serial:08}", region + 10, road + 1);
        let check = luhn_check_digit(&payload);
        format!("{payload}{check}")
    }
}

/// A balance in minor units, log-uniform within a band set by kind, wealth, product and
/// currency. Time deposits are whole hundreds of yuan.
fn amount(
    rng: &mut ChaCha8Rng,
    record: &DebtorRecord,
    acct_type: AccountType,
    currency: &str,
) -> i64 {
    let (mut low, mut high): (u32, u32) = match (record.kind, record.wealth) {
        (_, Wealth::None) => (2, 3),
        (DebtorKind::Person, Wealth::Modest) => (2, 6),
        (DebtorKind::Person, Wealth::Comfortable) => (4, 7),
        (DebtorKind::Person, Wealth::Rich) => (5, 9),
        (DebtorKind::Company, Wealth::Modest) => (4, 7),
        (DebtorKind::Company, Wealth::Comfortable) => (5, 8),
        (DebtorKind::Company, Wealth::Rich) => (6, 10),
    };
    if acct_type == AccountType::Time {
        low = (low + 1).max(5);
        high += 1;
    }
    if currency != "CNY" {
        low = low.saturating_sub(1).max(2);
        high = high.saturating_sub(1).max(low + 1);
    }
    let exponent = rng.random_range(low..high);
    let floor = 10i64.pow(exponent);
    let value = rng.random_range(floor..floor * 10);
    match acct_type {
        AccountType::Time => (value / 10_000).max(1) * 10_000,
        AccountType::Demand => value,
    }
}

/// Luhn (mod 10) check digit of a digit string.
fn luhn_check_digit(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b.wrapping_sub(b'0') % 10);
            if i % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                digit
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
pub(super) fn luhn_valid(number: &str) -> bool {
    match number.as_bytes().split_last() {
        Some((last, payload)) => std::str::from_utf8(payload)
            .is_ok_and(|payload| char::from(*last) == luhn_check_digit(payload)),
        None => false,
    }
}
