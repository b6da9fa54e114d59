//! The administration's JSON answer as the connector reads it: `{"code":1,"message":"成功",
//! "data":{"total":N,"rows":[...]}}` with pinyin field names (`hphm` 号牌号码, `clsbdh` 车辆识别
//! 代号, `clpp1` 中文品牌, `clxh` 车辆型号, `zt` 机动车状态, `cfxx` 查封信息, `dyxx` 抵押信息, ...),
//! and its result codes. Unknown fields are ignored; `null` lists read as empty.

use serde::{Deserialize, Deserializer};

/// Result codes in `code`.
pub mod code {
    /// 成功.
    pub const SUCCESS: i64 = 1;
    /// 未查询到该身份证明号码的机动车登记信息.
    pub const NO_RECORD: i64 = 2001;
    /// 姓名与身份证明号码不一致.
    pub const NAME_MISMATCH: i64 = 2002;
    /// 请求参数错误.
    pub const BAD_REQUEST: i64 = 4001;
    /// appKey 无效 / 签名验证失败 / 时间戳无效.
    pub const AUTH: [i64; 3] = [4011, 4012, 4013];
    /// 系统繁忙.
    pub const INTERNAL: i64 = 5000;
}

#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(deserialize_with = "code_value")]
    pub code: i64,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Option<Data>,
}

#[derive(Debug, Deserialize)]
pub struct Data {
    pub total: u64,
    #[serde(default, deserialize_with = "list")]
    pub rows: Vec<Row>,
}

/// One registered vehicle.
#[derive(Debug, Deserialize)]
pub struct Row {
    pub hphm: String,
    pub clsbdh: String,
    #[serde(default)]
    pub clpp1: Option<String>,
    #[serde(default)]
    pub clxh: Option<String>,
    pub zt: String,
    #[serde(default, deserialize_with = "list")]
    pub cfxx: Vec<Cfxx>,
    #[serde(default, deserialize_with = "list")]
    pub dyxx: Vec<Dyxx>,
}

/// 查封信息: `cflx` 1 查封 / 2 轮候查封.
#[derive(Debug, Deserialize)]
pub struct Cfxx {
    pub cflx: String,
    pub cfjg: String,
    #[serde(default)]
    pub cfwh: Option<String>,
    pub cfrq: String,
    #[serde(default)]
    pub jfrq: Option<String>,
}

/// 抵押信息: amount `dyje` in yuan as a decimal string.
#[derive(Debug, Deserialize)]
pub struct Dyxx {
    pub dyqr: String,
    #[serde(default)]
    pub dyje: Option<String>,
    pub dyrq: String,
}

/// Reads `code` as an integer or a string of digits (both occur in 公安 systems).
fn code_value<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Code {
        Number(i64),
        Text(String),
    }
    match Code::deserialize(d)? {
        Code::Number(n) => Ok(n),
        Code::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("code {t:?} is not a number"))),
    }
}

/// Reads a list that may be `null`.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The administration's own code and message in an error answer, or the start of a body
/// that is not one (a gateway's plain-text error page).
pub fn error_detail(body: &[u8]) -> String {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) => format!("{} {}", envelope.code, envelope.message.unwrap_or_default()),
        Err(_) => crate::http::truncate(String::from_utf8_lossy(body).trim(), 100),
    }
}
