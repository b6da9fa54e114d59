//! Places a registry's properties can be in: cities with their province abbreviation, region
//! codes, districts (with county codes, for unit numbers and the courts that seal) and streets.
//! A registry named after one of these cities holds property there; any other registry files
//! each debtor's property in the debtor's own city.

/// One district: name, 6-digit county-level region code (GB/T 2260) and a main street.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct District {
    pub name: &'static str,
    pub code: &'static str,
    pub street: &'static str,
}

/// A city a registry can file property in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    /// City name as in certificate numbers, e.g. `武汉市`.
    pub city: &'static str,
    /// Province abbreviation leading certificate numbers and court codes, e.g. `鄂`.
    pub province: &'static str,
    /// Romanised city name, for demo tokens.
    pub pinyin: &'static str,
    pub districts: [District; 4],
}

impl Locale {
    /// City name without the trailing 市, as banks name their branches (`武汉分行`).
    pub fn short_city(&self) -> &'static str {
        self.city.strip_suffix('市').unwrap_or(self.city)
    }
}

const fn d(name: &'static str, code: &'static str, street: &'static str) -> District {
    District { name, code, street }
}

/// The cities the mocks know, Wuhan and Shenzhen first (the demo registries).
pub const LOCALES: [Locale; 10] = [
    Locale {
        city: "武汉市",
        province: "鄂",
        pinyin: "wuhan",
        districts: [
            d("武昌区", "420106", "中北路"),
            d("江汉区", "420103", "建设大道"),
            d("洪山区", "420111", "珞喻路"),
            d("江岸区", "420102", "沿江大道"),
        ],
    },
    Locale {
        city: "深圳市",
        province: "粤",
        pinyin: "shenzhen",
        districts: [
            d("南山区", "440305", "科技园路"),
            d("福田区", "440304", "深南大道"),
            d("罗湖区", "440303", "人民南路"),
            d("宝安区", "440306", "宝安大道"),
        ],
    },
    Locale {
        city: "北京市",
        province: "京",
        pinyin: "beijing",
        districts: [
            d("朝阳区", "110105", "建国路"),
            d("海淀区", "110108", "中关村大街"),
            d("东城区", "110101", "东直门内大街"),
            d("丰台区", "110106", "丰台北路"),
        ],
    },
    Locale {
        city: "上海市",
        province: "沪",
        pinyin: "shanghai",
        districts: [
            d("徐汇区", "310104", "漕溪北路"),
            d("浦东新区", "310115", "世纪大道"),
            d("静安区", "310106", "南京西路"),
            d("闵行区", "310112", "七莘路"),
        ],
    },
    Locale {
        city: "福州市",
        province: "闽",
        pinyin: "fuzhou",
        districts: [
            d("鼓楼区", "350102", "五四路"),
            d("台江区", "350103", "工业路"),
            d("仓山区", "350104", "金山大道"),
            d("晋安区", "350111", "福马路"),
        ],
    },
    Locale {
        city: "成都市",
        province: "川",
        pinyin: "chengdu",
        districts: [
            d("武侯区", "510107", "人民南路"),
            d("锦江区", "510104", "春熙路"),
            d("青羊区", "510105", "蜀都大道"),
            d("成华区", "510108", "建设路"),
        ],
    },
    Locale {
        city: "杭州市",
        province: "浙",
        pinyin: "hangzhou",
        districts: [
            d("西湖区", "330106", "文三路"),
            d("上城区", "330102", "解放路"),
            d("拱墅区", "330105", "莫干山路"),
            d("滨江区", "330108", "江南大道"),
        ],
    },
    Locale {
        city: "南京市",
        province: "苏",
        pinyin: "nanjing",
        districts: [
            d("玄武区", "320102", "中山路"),
            d("鼓楼区", "320106", "北京西路"),
            d("建邺区", "320105", "江东中路"),
            d("秦淮区", "320104", "中华路"),
        ],
    },
    Locale {
        city: "青岛市",
        province: "鲁",
        pinyin: "qingdao",
        districts: [
            d("市南区", "370202", "香港中路"),
            d("市北区", "370203", "辽宁路"),
            d("崂山区", "370212", "株洲路"),
            d("黄岛区", "370211", "长江中路"),
        ],
    },
    Locale {
        city: "西安市",
        province: "陕",
        pinyin: "xian",
        districts: [
            d("雁塔区", "610113", "小寨东路"),
            d("碑林区", "610103", "南大街"),
            d("未央区", "610112", "凤城八路"),
            d("莲湖区", "610104", "劳动路"),
        ],
    },
];

/// The city a registry serves, if its name starts with a known city (`武汉市不动产登记中心`).
pub fn for_registry(registry_name: &str) -> Option<&'static Locale> {
    LOCALES.iter().find(|l| registry_name.starts_with(l.city))
}

/// The city of a debtor's registered region (`武汉市武昌区` → Wuhan); Wuhan when unknown.
pub fn for_city(city: &str) -> &'static Locale {
    LOCALES
        .iter()
        .find(|l| city.starts_with(l.city))
        .unwrap_or(&LOCALES[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::REGIONS;

    #[test]
    fn every_population_region_has_a_locale_with_its_province() {
        for (code, city, province) in REGIONS {
            let locale = for_city(city);
            assert!(city.starts_with(locale.city), "{city}");
            assert_eq!(locale.province, province);
            assert!(locale.districts.iter().any(|d| d.code == code), "{code}");
        }
    }

    #[test]
    fn registries_are_placed_by_name() {
        assert_eq!(
            for_registry("武汉市不动产登记中心").map(|l| l.city),
            Some("武汉市")
        );
        assert_eq!(for_registry("某县不动产登记中心"), None);
        assert_eq!(LOCALES[0].short_city(), "武汉");
    }
}
