//! The administration's JSON wire format, in the 公安 style with pinyin abbreviations, and
//! its result codes.
//!
//! Request: `GET /vehicle/judicial/query?sfzmhm=<身份证明号码>&xm=<姓名>&ah=<案号>&lsh=<流水号>`
//! with headers `appKey`, `timestamp` (Unix milliseconds) and `sign` =
//! lowercase hex of SHA-256(appKey + timestamp + appSecret).
//!
//! Response: `{"code":1,"message":"成功","data":{"fkdw":"<反馈单位>","total":N,"rows":[...]}}`;
//! each row has
//! `hphm` 号牌号码, `hpzl` 号牌种类, `clsbdh` 车辆识别代号, `clpp1` 中文品牌, `clxh` 车辆型号,
//! `csys` 车身颜色, `syxz` 使用性质, `zt` 机动车状态 (one letter per status), `djrq` 初次登记日期,
//! `cfzt` / `dyzt` 查封 / 抵押状态 (`0` / `1`), `cfxx` seals (`cflx` `1` 查封 / `2` 轮候查封,
//! `cfjg` 查封机关, `cfwh` 查封文号, `cfrq` 查封日期, `jfrq` 查封截止日期, null when queued) and
//! `dyxx` mortgages (`dyqr` 抵押权人, `dyje` 抵押金额 in yuan, `dyrq` 抵押登记日期). Dates are
//! `yyyy-MM-dd`; errors carry `data: null`.

use super::data::{Mortgage, Seal, SealKind, VehicleRecord};
use serde::{Deserialize, Serialize};

/// The administration's result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 成功 (HTTP 200).
    Success,
    /// 未查询到该身份证明号码的机动车登记信息 (HTTP 200).
    NoRecord,
    /// 姓名与身份证明号码不一致 (HTTP 200).
    NameMismatch,
    /// 未查询到该请求编号的控制指令 (HTTP 200): the status query's "never received".
    NoSuchRequest,
    /// 车辆不存在或不属于该被执行人 (HTTP 200, control refused).
    NotDebtors,
    /// 控制编号不存在 (HTTP 200, control refused).
    NoSuchHold,
    /// 控制状态不允许该操作 (HTTP 200, control refused).
    WrongState,
    /// 请求编号已用于其他指令 (HTTP 200, control refused).
    KeyReused,
    /// 截止日期超出允许范围 (HTTP 200, control refused).
    BadDate,
    /// 非本院控制，无权操作 (HTTP 200, control refused).
    NotHolder,
    /// 控制指令未加盖电子签章 (HTTP 200, control refused).
    SealMissing,
    /// 电子签章验证失败: altered, malformed or signed by an unknown key (HTTP 200, control
    /// refused).
    SealInvalid,
    /// 电子签章已失效: signed outside the freshness window, a replay (HTTP 200, control
    /// refused).
    SealStale,
    /// 请求参数错误 (HTTP 400).
    BadRequest,
    /// appKey 无效或缺少认证参数 (HTTP 401).
    UnknownAppKey,
    /// 签名验证失败 (HTTP 401).
    BadSignature,
    /// 时间戳无效或超出有效期 (HTTP 401).
    StaleTimestamp,
    /// 系统繁忙 (HTTP 500).
    Internal,
}

impl Code {
    pub fn value(self) -> i32 {
        match self {
            Self::Success => 1,
            Self::NoRecord => 2001,
            Self::NameMismatch => 2002,
            Self::NoSuchRequest => 2003,
            Self::NotDebtors => 3001,
            Self::NoSuchHold => 3002,
            Self::WrongState => 3003,
            Self::KeyReused => 3004,
            Self::BadDate => 3005,
            Self::NotHolder => 3006,
            Self::SealMissing => 3007,
            Self::SealInvalid => 3008,
            Self::SealStale => 3009,
            Self::BadRequest => 4001,
            Self::UnknownAppKey => 4011,
            Self::BadSignature => 4012,
            Self::StaleTimestamp => 4013,
            Self::Internal => 5000,
        }
    }
}

/// Query parameters as received; all optional so missing ones get the administration's own
/// error.
#[derive(Debug, Default, Deserialize)]
pub struct QueryParams {
    pub sfzmhm: Option<String>,
    pub xm: Option<String>,
    pub ah: Option<String>,
    pub lsh: Option<String>,
}

/// Every answer: `code`, `message` and `data` (null on errors). `T` is the inquiry's [`Data`],
/// a control answer ([`ControlData`]) or a sightings page ([`SightingsData`]).
#[derive(Debug, Serialize)]
pub struct Envelope<T = Data> {
    pub code: i32,
    pub message: String,
    pub data: Option<T>,
}

#[derive(Debug, Serialize)]
pub struct Data {
    /// 反馈单位: the administration answering.
    pub fkdw: String,
    pub total: usize,
    pub rows: Vec<Row>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub hphm: String,
    pub hpzl: &'static str,
    pub clsbdh: String,
    pub clpp1: &'static str,
    pub clxh: &'static str,
    pub csys: &'static str,
    pub syxz: &'static str,
    pub zt: String,
    pub djrq: String,
    pub cfzt: &'static str,
    pub dyzt: &'static str,
    pub cfxx: Vec<Cfxx>,
    pub dyxx: Vec<Dyxx>,
}

#[derive(Debug, Serialize)]
pub struct Cfxx {
    pub cflx: &'static str,
    pub cfjg: String,
    pub cfwh: String,
    pub cfrq: String,
    pub jfrq: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Dyxx {
    pub dyqr: String,
    pub dyje: String,
    pub dyrq: String,
}

fn flag(set: bool) -> &'static str {
    if set {
        "1"
    } else {
        "0"
    }
}

impl From<&VehicleRecord> for Row {
    fn from(v: &VehicleRecord) -> Self {
        Self {
            hphm: v.plate.clone(),
            hpzl: v.model.class.plate_type(),
            clsbdh: v.vin.clone(),
            clpp1: v.model.brand,
            clxh: v.model.model,
            csys: v.colour,
            syxz: v.model.class.use_nature(),
            zt: v.status_codes(),
            djrq: v.first_registered.iso(),
            cfzt: flag(!v.seals.is_empty()),
            dyzt: flag(!v.mortgages.is_empty()),
            cfxx: v.seals.iter().map(Cfxx::from).collect(),
            dyxx: v.mortgages.iter().map(Dyxx::from).collect(),
        }
    }
}

impl From<&Seal> for Cfxx {
    fn from(s: &Seal) -> Self {
        Self {
            cflx: match s.kind {
                SealKind::Seal => "1",
                SealKind::Queued => "2",
            },
            cfjg: s.court.clone(),
            cfwh: s.case_number.clone(),
            cfrq: s.since.iso(),
            jfrq: s.until.map(|d| d.iso()),
        }
    }
}

impl From<&Mortgage> for Dyxx {
    fn from(m: &Mortgage) -> Self {
        Self {
            dyqr: m.holder.clone(),
            dyje: format!("{}.{:02}", m.amount_fen / 100, m.amount_fen % 100),
            dyrq: m.since.iso(),
        }
    }
}

/// Body of a control request (`POST` seal / watch / release / renew), all optional so missing
/// fields get the administration's own error.
#[derive(Debug, Default, Deserialize)]
pub struct ControlRequest {
    /// 请求编号: the idempotency key.
    pub qqbh: Option<String>,
    /// 案号
    pub ah: Option<String>,
    /// 裁定书文号
    pub cdswh: Option<String>,
    /// 承办人
    pub cbr: Option<String>,
    /// 执行法院代码 (the court in the case number, e.g. `鄂0116`).
    pub fydm: Option<String>,
    /// 车辆识别代号
    pub clsbdh: Option<String>,
    pub sfzmhm: Option<String>,
    pub xm: Option<String>,
    /// 截止日期 `yyyy-MM-dd` (seal, watch, renew).
    pub jzrq: Option<String>,
    /// 控制编号 (release, renew).
    pub kzbh: Option<String>,
    /// 签章密钥编号: the id of the key that sealed the instruction.
    pub qzmy: Option<String>,
    /// 签章时间: Unix seconds when it was sealed (a number; a numeric string is accepted).
    pub qzsj: Option<serde_json::Value>,
    /// 签章值: base64 Ed25519 signature over the instruction's canonical fields.
    pub qzz: Option<String>,
}

/// A control answer: the hold (控制编号), its state (控制状态), queue position (排队序号), end
/// date and remark.
#[derive(Debug, Serialize)]
pub struct ControlData {
    pub kzbh: String,
    /// `0` 待处理, `1` 在控, `2` 轮候, `3` 已解除, `4` 已到期, `5` 已退回, `6` 已执行完毕.
    pub kzzt: &'static str,
    pub pdxh: Option<u32>,
    pub jzrq: String,
    pub bz: String,
}

/// Query of the status endpoint.
#[derive(Debug, Default, Deserialize)]
pub struct StatusParams {
    pub qqbh: Option<String>,
}

/// Query of the sightings feed.
#[derive(Debug, Default, Deserialize)]
pub struct SightingsParams {
    pub cursor: Option<String>,
}

/// One page of sightings and the cursor to ask with next.
#[derive(Debug, Serialize)]
pub struct SightingsData {
    pub cursor: String,
    pub total: usize,
    pub rows: Vec<SightingRow>,
}

/// One sighting (发现记录): 序号, the watch's 控制编号, plate, VIN, place (地点), time (时间,
/// ISO 8601 with offset).
#[derive(Debug, Clone, Serialize)]
pub struct SightingRow {
    pub xh: u64,
    pub kzbh: String,
    pub hphm: String,
    pub clsbdh: String,
    pub dd: String,
    pub sj: String,
}
