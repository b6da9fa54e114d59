//! The administration's reference tables: the models it registers (brand, model, VIN maker
//! and descriptor codes, class), plate letters of the cities, lenders that take vehicles as
//! security, and the status, plate-type and colour codes of the 公安 standard.

/// What a model is, for plate type (号牌种类) and use (使用性质).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Passenger car or van: 小型汽车 (`02`).
    Car,
    /// New-energy passenger car: 小型新能源汽车 (`52`).
    NewEnergy,
    /// Heavy goods vehicle: 大型汽车 (`01`), used for freight.
    Truck,
}

impl Class {
    /// 号牌种类 code.
    pub fn plate_type(self) -> &'static str {
        match self {
            Self::Car => "02",
            Self::NewEnergy => "52",
            Self::Truck => "01",
        }
    }

    /// 使用性质: `A` 非营运, `F` 货运.
    pub fn use_nature(self) -> &'static str {
        match self {
            Self::Truck => "F",
            _ => "A",
        }
    }
}

/// A registered model: brand (中文品牌), model (车辆型号), the VIN's maker code (WMI) and
/// descriptor section (VDS), its class and typical financed amount in thousands of yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    pub brand: &'static str,
    pub model: &'static str,
    pub wmi: &'static str,
    pub vds: &'static str,
    pub class: Class,
    pub loan_thousands: (i64, i64),
}

const fn m(
    brand: &'static str,
    model: &'static str,
    wmi: &'static str,
    vds: &'static str,
    class: Class,
    loan_thousands: (i64, i64),
) -> Model {
    Model {
        brand,
        model,
        wmi,
        vds,
        class,
        loan_thousands,
    }
}

/// Passenger models, for people and company cars.
pub const PASSENGER: [Model; 13] = [
    m("大众", "帕萨特", "LSV", "AN63F", Class::Car, (60, 180)),
    m("大众", "朗逸", "LSV", "ZB6C2", Class::Car, (40, 100)),
    m("丰田", "凯美瑞", "LVG", "BV7E4", Class::Car, (60, 180)),
    m("本田", "雅阁", "LHG", "CR264", Class::Car, (60, 170)),
    m("日产", "轩逸", "LGB", "G12E0", Class::Car, (40, 100)),
    m("别克", "君越", "LSG", "WT5FK", Class::Car, (80, 200)),
    m("宝马", "5系", "LBV", "5S310", Class::Car, (150, 400)),
    m("奔驰", "E级", "LE4", "ZF4HB", Class::Car, (150, 420)),
    m("吉利", "星瑞", "L6T", "7824S", Class::Car, (40, 110)),
    m("长城", "哈弗H6", "LGW", "EF4A5", Class::Car, (40, 120)),
    m("比亚迪", "汉", "LGX", "C76C9", Class::NewEnergy, (80, 220)),
    m(
        "特斯拉",
        "Model 3",
        "LRW",
        "3E7FA",
        Class::NewEnergy,
        (100, 230),
    ),
    m("蔚来", "ES6", "LJ1", "EEA2S", Class::NewEnergy, (120, 300)),
];

/// Commercial models, for company fleets.
pub const COMMERCIAL: [Model; 5] = [
    m("东风", "天龙", "LGA", "X4DF6", Class::Truck, (200, 500)),
    m("解放", "J6P", "LFN", "A4RM5", Class::Truck, (250, 600)),
    m("福田", "欧曼", "LVB", "V4PE8", Class::Truck, (200, 450)),
    m("五菱", "宏光", "LZW", "ADAGA", Class::Car, (20, 50)),
    m("江铃", "全顺", "LJX", "BMJ31", Class::Car, (60, 150)),
];

/// 车身颜色 codes: 白 灰 红 蓝 黑 and 银 (as 灰).
pub const COLOURS: [&str; 5] = ["A", "B", "E", "H", "J"];

/// Plate letter (发牌机关代号) of a city, by the start of its name.
pub fn plate_letter(city: &str) -> char {
    const LETTERS: [(&str, char); 10] = [
        ("北京", 'A'),
        ("上海", 'A'),
        ("武汉", 'A'),
        ("深圳", 'B'),
        ("福州", 'A'),
        ("成都", 'A'),
        ("杭州", 'A'),
        ("南京", 'A'),
        ("青岛", 'B'),
        ("西安", 'A'),
    ];
    LETTERS
        .iter()
        .find(|(name, _)| city.starts_with(name))
        .map(|(_, letter)| *letter)
        .unwrap_or('A')
}

/// Auto-finance and leasing companies that take vehicles as security (besides banks).
pub const LENDERS: [&str; 6] = [
    "上汽通用汽车金融有限责任公司",
    "大众汽车金融（中国）有限公司",
    "丰田汽车金融（中国）有限公司",
    "比亚迪汽车金融有限公司",
    "平安国际融资租赁有限公司",
    "远东国际融资租赁有限公司",
];

/// Banks lending against vehicles through their city branches.
pub const BANKS: [&str; 4] = ["中国工商银行", "中国建设银行", "招商银行", "中国银行"];

/// 机动车状态 codes used here: A 正常, B 转出, E 注销, G 违法未处理, K 查封, Q 逾期未检验.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Normal,
    TransferredOut,
    Deregistered,
    UnsettledViolations,
    Sealed,
    InspectionOverdue,
}

impl Status {
    pub fn code(self) -> char {
        match self {
            Self::Normal => 'A',
            Self::TransferredOut => 'B',
            Self::Deregistered => 'E',
            Self::UnsettledViolations => 'G',
            Self::Sealed => 'K',
            Self::InspectionOverdue => 'Q',
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vehicle::vin;

    #[test]
    fn descriptor_codes_are_vin_characters() {
        for model in PASSENGER.iter().chain(&COMMERCIAL) {
            assert_eq!(model.wmi.len(), 3, "{}", model.model);
            assert_eq!(model.vds.len(), 5, "{}", model.model);
            assert!(
                model
                    .wmi
                    .chars()
                    .chain(model.vds.chars())
                    .all(|c| vin::ALPHABET.contains(c)),
                "{}",
                model.model
            );
            assert!(model.loan_thousands.0 < model.loan_thousands.1);
        }
        assert_eq!(plate_letter("深圳市南山区"), 'B');
        assert_eq!(plate_letter("某市"), 'A');
    }
}
