//! The administration's JSON answer as the connector reads it: `{"code":1,"message":"成功",
//! "data":{"total":N,"rows":[...]}}` with pinyin field names (`hphm` 号牌号码, `clsbdh` 车辆识别
//! 代号, `clpp1` 中文品牌, `clxh` 车辆型号, `zt` 机动车状态, `cfxx` 查封信息, `dyxx` 抵押信息, ...),
//! and its result codes; the control requests and answers (`kzbh` 控制编号, `kzzt` 控制状态,
//! `pdxh` 排队序号, `jzrq` 截止日期) and the sightings feed in the same envelope. Unknown
//! fields are ignored; `null` lists read as empty.

use serde::{Deserialize, Deserializer, Serialize};

/// Result codes in `code`.
pub mod code {
    /// 成功.
    pub const SUCCESS: i64 = 1;
    /// 未查询到该身份证明号码的机动车登记信息.
    pub const NO_RECORD: i64 = 2001;
    /// 姓名与身份证明号码不一致.
    pub const NAME_MISMATCH: i64 = 2002;
    /// 未查询到该请求编号的控制指令 (status query: never received).
    pub const NO_SUCH_REQUEST: i64 = 2003;
    /// Control refusals: 3001 not the debtor's vehicle, 3002 no such hold, 3003 wrong state,
    /// 3004 request number reused, 3005 end date out of range, 3006 another court's hold,
    /// 3007 instruction not sealed, 3008 seal invalid (altered, malformed, unknown key), 3009
    /// seal stale (signed outside the administration's window: a replay).
    pub const REFUSALS: std::ops::RangeInclusive<i64> = 3001..=3099;
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

/// A control or sightings answer: `{"code":…,"message":…,"data":…}`.
#[derive(Debug, Deserialize)]
pub struct Reply<T> {
    #[serde(deserialize_with = "code_value")]
    pub code: i64,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// A control request's body (pinyin fields, see the administration's documentation).
#[derive(Debug, Serialize)]
pub struct ControlRequest<'a> {
    /// 请求编号: the idempotency key.
    pub qqbh: &'a str,
    pub ah: &'a str,
    /// 裁定书文号
    pub cdswh: &'a str,
    /// 承办人
    pub cbr: &'a str,
    /// 执行法院代码: the court in the case number.
    pub fydm: &'a str,
    pub clsbdh: &'a str,
    pub sfzmhm: &'a str,
    pub xm: &'a str,
    /// 截止日期 `yyyy-MM-dd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jzrq: Option<String>,
    /// 控制编号 of the hold acted upon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kzbh: Option<&'a str>,
    /// The court's electronic seal: 签章密钥编号 (key id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qzmy: Option<&'a str>,
    /// 签章时间: Unix seconds when the hub signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qzsj: Option<i64>,
    /// 签章值: base64 Ed25519 signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qzz: Option<&'a str>,
}

/// A control answer: 控制编号, 控制状态 (`0` 待处理, `1` 在控, `2` 轮候, `3` 已解除, `4` 已到期,
/// `5` 已退回, `6` 已执行完毕), 排队序号, 截止日期, remark.
#[derive(Debug, Deserialize)]
pub struct ControlData {
    pub kzbh: String,
    pub kzzt: String,
    #[serde(default)]
    pub pdxh: Option<u32>,
    #[serde(default)]
    pub jzrq: Option<String>,
    #[serde(default)]
    pub bz: Option<String>,
}

/// A page of the sightings feed.
#[derive(Debug, Deserialize)]
pub struct SightingsData {
    pub cursor: String,
    #[serde(default, deserialize_with = "list")]
    pub rows: Vec<SightingRow>,
}

/// One sighting: 序号, the watch's 控制编号, plate, place (地点), time (时间).
#[derive(Debug, Deserialize)]
pub struct SightingRow {
    pub kzbh: String,
    pub hphm: String,
    pub dd: String,
    pub sj: String,
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
