//! The seeded synthetic population every mock agency draws from: people and companies with
//! valid identity numbers / credit codes and a wealth level that shapes what agencies hold
//! for them. The same seed always yields the same population, and each agency instance gets
//! its own deterministic random stream per debtor (`rng_for`), so two banks built from the
//! same mock type hold different data. `HoldingOdds` turns a debtor's kind and wealth into
//! how many assets of one family it holds.
//!
//! The two demo debtors are always present, at indexes 0 and 1, and are `demo: true`: every
//! agency family must give them at least one asset.

use assethub_connectors::domain::{CreditCode, ResidentId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::ops::RangeInclusive;

pub const DEMO_PERSON_ID: &str = "11010519491231002X";
pub const DEMO_PERSON_NAME: &str = "张伟";
pub const DEMO_COMPANY_ID: &str = "91350100M000100Y43";
pub const DEMO_COMPANY_NAME: &str = "福建某某贸易有限公司";

/// Default seed and size of the demo population.
pub const DEFAULT_SEED: u64 = 20_241_116;
pub const DEFAULT_SIZE: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebtorKind {
    Person,
    Company,
}

/// How much a debtor owns overall; agencies scale counts and amounts by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Wealth {
    /// Owns nothing anywhere (a share of real debtors).
    None,
    Modest,
    Comfortable,
    Rich,
}

#[derive(Debug, Clone)]
pub struct DebtorRecord {
    pub index: usize,
    pub id_number: String,
    pub name: String,
    pub kind: DebtorKind,
    pub wealth: Wealth,
    /// A demo debtor: holds at least one asset at every agency family.
    pub demo: bool,
    /// City of the debtor's registered region, for addresses and branches.
    pub city: &'static str,
    /// Province abbreviation of that region, for plates.
    pub province: &'static str,
}

/// Real region codes (GB/T 2260) with their city and province abbreviation.
pub const REGIONS: [(&str, &str, &str); 10] = [
    ("110105", "北京市朝阳区", "京"),
    ("310104", "上海市徐汇区", "沪"),
    ("420106", "武汉市武昌区", "鄂"),
    ("440305", "深圳市南山区", "粤"),
    ("350102", "福州市鼓楼区", "闽"),
    ("510107", "成都市武侯区", "川"),
    ("330106", "杭州市西湖区", "浙"),
    ("320102", "南京市玄武区", "苏"),
    ("370202", "青岛市市南区", "鲁"),
    ("610113", "西安市雁塔区", "陕"),
];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强文辉玉兰海燕俊峰晓东雪梅丹凤佳怡子涵浩然宇轩欣怡梓萱";
const COMPANY_WORDS: [&str; 16] = [
    "恒达", "鑫源", "华信", "长盛", "泰和", "宏远", "金鼎", "瑞丰", "嘉禾", "新元", "中联", "永泰",
    "诚信", "天成", "博雅", "东升",
];
const INDUSTRIES: [&str; 10] = [
    "建材",
    "贸易",
    "物流",
    "科技",
    "餐饮",
    "服装",
    "机械",
    "房地产开发",
    "电子",
    "食品",
];

/// The whole population, indexed by identifier.
#[derive(Debug)]
pub struct Population {
    seed: u64,
    debtors: Vec<DebtorRecord>,
    by_id: HashMap<String, usize>,
}

impl Population {
    /// Generates `size` debtors (at least the two demo debtors) from `seed`.
    pub fn generate(seed: u64, size: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut population = Self {
            seed,
            debtors: Vec::with_capacity(size.max(2)),
            by_id: HashMap::with_capacity(size.max(2)),
        };
        population.push(
            DEMO_PERSON_ID,
            DEMO_PERSON_NAME,
            DebtorKind::Person,
            Wealth::Rich,
            true,
            0,
        );
        population.push(
            DEMO_COMPANY_ID,
            DEMO_COMPANY_NAME,
            DebtorKind::Company,
            Wealth::Rich,
            true,
            4,
        );
        while population.debtors.len() < size {
            let region = rng.random_range(0..REGIONS.len());
            let kind = if rng.random_bool(0.8) {
                DebtorKind::Person
            } else {
                DebtorKind::Company
            };
            let (id, name) = match kind {
                DebtorKind::Person => (resident_id(&mut rng, region), person_name(&mut rng)),
                DebtorKind::Company => (
                    credit_code(&mut rng, region),
                    company_name(&mut rng, region),
                ),
            };
            if population.by_id.contains_key(&id) {
                continue;
            }
            let wealth = match rng.random_range(0..100) {
                0..20 => Wealth::None,
                20..60 => Wealth::Modest,
                60..90 => Wealth::Comfortable,
                _ => Wealth::Rich,
            };
            population.push(&id, &name, kind, wealth, false, region);
        }
        population
    }

    fn push(
        &mut self,
        id: &str,
        name: &str,
        kind: DebtorKind,
        wealth: Wealth,
        demo: bool,
        region: usize,
    ) {
        let index = self.debtors.len();
        let (_, city, province) = REGIONS[region];
        self.by_id.insert(id.to_string(), index);
        self.debtors.push(DebtorRecord {
            index,
            id_number: id.to_string(),
            name: name.to_string(),
            kind,
            wealth,
            demo,
            city,
            province,
        });
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn get(&self, id_number: &str) -> Option<&DebtorRecord> {
        self.by_id.get(id_number).map(|i| &self.debtors[*i])
    }

    pub fn debtors(&self) -> &[DebtorRecord] {
        &self.debtors
    }

    /// A random stream unique to (population seed, agency instance, debtor): an agency
    /// derives everything it holds for a debtor from it, so data is stable across restarts.
    pub fn rng_for(&self, agency: &str, debtor: &DebtorRecord) -> ChaCha8Rng {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ self.seed;
        for byte in agency.bytes().chain(debtor.index.to_le_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        ChaCha8Rng::seed_from_u64(hash)
    }
}

/// How many assets of one family debtors hold, by kind and wealth (debtors without wealth
/// hold none). Ranges are inclusive.
pub struct HoldingOdds {
    /// Chance that a modest person holds exactly one (else none).
    pub modest_person: f64,
    pub comfortable_person: RangeInclusive<usize>,
    pub rich_person: RangeInclusive<usize>,
    pub modest_company: RangeInclusive<usize>,
    pub comfortable_company: RangeInclusive<usize>,
    pub rich_company: RangeInclusive<usize>,
    /// Most assets of the family one debtor holds.
    pub max: usize,
}

impl HoldingOdds {
    /// The number of assets `debtor` holds, drawn from `rng`; demo debtors hold at least one.
    pub fn count(&self, rng: &mut ChaCha8Rng, debtor: &DebtorRecord) -> usize {
        let count = match (debtor.kind, debtor.wealth) {
            (_, Wealth::None) => 0,
            (DebtorKind::Person, Wealth::Modest) => {
                usize::from(rng.random_bool(self.modest_person))
            }
            (DebtorKind::Person, Wealth::Comfortable) => {
                rng.random_range(self.comfortable_person.clone())
            }
            (DebtorKind::Person, Wealth::Rich) => rng.random_range(self.rich_person.clone()),
            (DebtorKind::Company, Wealth::Modest) => rng.random_range(self.modest_company.clone()),
            (DebtorKind::Company, Wealth::Comfortable) => {
                rng.random_range(self.comfortable_company.clone())
            }
            (DebtorKind::Company, Wealth::Rich) => rng.random_range(self.rich_company.clone()),
        };
        let count = if debtor.demo { count.max(1) } else { count };
        count.min(self.max)
    }
}

/// FNV-1a of an agency name: a per-agency offset for the numbers an agency issues.
pub fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn resident_id(rng: &mut ChaCha8Rng, region: usize) -> String {
    let year = rng.random_range(1950..2004);
    let month = rng.random_range(1..13);
    let day = rng.random_range(1..29);
    let sequence = rng.random_range(0..1000);
    let body = format!(
        "{}{year:04}{month:02}{day:02}{sequence:03}",
        REGIONS[region].0
    );
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    let first17: [u32; 17] = digits.try_into().unwrap_or([0; 17]);
    format!("{body}{}", ResidentId::check_character(&first17))
}

fn credit_code(rng: &mut ChaCha8Rng, region: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    // Nine draws as always (the rest of the population stays as it was); the ninth character
    // is the organisation code's own GB 11714 check character.
    let drawn: Vec<char> = (0..9)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let org_body: [char; 8] = std::array::from_fn(|i| drawn[i]);
    let org: String = org_body
        .iter()
        .chain([CreditCode::organisation_check_character(&org_body)].iter())
        .collect();
    let body = format!("91{}{org}", REGIONS[region].0);
    let values: Vec<u32> = body
        .bytes()
        .filter_map(|b| ALPHABET.iter().position(|a| *a == b).map(|p| p as u32))
        .collect();
    let first17: [u32; 17] = values.try_into().unwrap_or([0; 17]);
    format!("{body}{}", CreditCode::check_character(&first17))
}

fn pick(rng: &mut ChaCha8Rng, chars: &str) -> char {
    let all: Vec<char> = chars.chars().collect();
    all[rng.random_range(0..all.len())]
}

fn person_name(rng: &mut ChaCha8Rng) -> String {
    let mut name = String::new();
    name.push(pick(rng, SURNAMES));
    for _ in 0..rng.random_range(1..3) {
        name.push(pick(rng, GIVEN));
    }
    name
}

fn company_name(rng: &mut ChaCha8Rng, region: usize) -> String {
    let city: String = REGIONS[region].1.chars().take(2).collect();
    let word = COMPANY_WORDS[rng.random_range(0..COMPANY_WORDS.len())];
    let industry = INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
    format!("{city}{word}{industry}有限公司")
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_connectors::domain::DebtorId;

    #[test]
    fn is_deterministic_valid_and_contains_the_demo_debtors() {
        let a = Population::generate(7, 2_000);
        let b = Population::generate(7, 2_000);
        assert_eq!(a.debtors().len(), 2_000);
        for (x, y) in a.debtors().iter().zip(b.debtors()) {
            assert_eq!(x.id_number, y.id_number);
            assert_eq!(x.name, y.name);
            DebtorId::parse(&x.id_number).unwrap();
        }
        assert_eq!(a.get(DEMO_PERSON_ID).unwrap().name, DEMO_PERSON_NAME);
        assert_eq!(a.get(DEMO_COMPANY_ID).unwrap().name, DEMO_COMPANY_NAME);
        let companies = a
            .debtors()
            .iter()
            .filter(|d| d.kind == DebtorKind::Company)
            .count();
        assert!((200..600).contains(&companies), "{companies}");
        let penniless = a
            .debtors()
            .iter()
            .filter(|d| d.wealth == Wealth::None)
            .count();
        assert!(penniless > 100, "some debtors own nothing");
    }

    #[test]
    fn agencies_get_distinct_streams() {
        let p = Population::generate(7, 10);
        let d = &p.debtors()[3];
        let x: u64 = p.rng_for("bank-a", d).random();
        let y: u64 = p.rng_for("bank-b", d).random();
        let x2: u64 = p.rng_for("bank-a", d).random();
        assert_ne!(x, y);
        assert_eq!(x, x2);
    }
}
