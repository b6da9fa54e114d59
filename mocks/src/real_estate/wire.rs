//! The registry's XML wire format (权利人查询, `CxRequest` / `CxResponse`), in the pinyin
//! abbreviations such systems use, and its result codes.
//!
//! Request (`POST /bdc/api/cx/qlrcx`, header `X-BDC-Token`):
//! ```xml
//! <CxRequest>
//!   <Head><Qqbh>request id</Qqbh><Ajh>(2024)鄂0116执1234号</Ajh><Fy>鄂0116</Fy><Cxsj>20241116093000</Cxsj></Head>
//!   <Body><Qlrmc>张伟</Qlrmc><Zjzl>1</Zjzl><Zjh>11010519491231002X</Zjh></Body>
//! </CxRequest>
//! ```
//! `Qqbh` 请求编号, `Ajh` 案件号, `Fy` the court (its code, which must be the case's court),
//! `Cxsj` 查询时间 (optional); `Qlrmc` 权利人名称, `Zjzl` 证件种类 (`1` 居民身份证, `7` 统一社会信用
//! 代码), `Zjh` 证件号.
//!
//! Response: `Head` with `Code`, `Msg`, the echoed `Qqbh`, `Cxjg` (the registry) and `Fksj`
//! (反馈时间); on success a `Body` with `Zs` (count) and one `Bdcxx` per property: `Bdcqzh`
//! 不动产权证号, `Bdcdyh` 不动产单元号, `Zl` 坐落, `Jzmj` 建筑面积 (m², two decimals), `Yt` 用途,
//! `Gyfs` 共有方式, `Qlbl` 权利比例 (shares only), `Djsj` 登记时间, then `Dyxx` mortgages (`Dyqr`
//! 抵押权人, `Bdbzqse` 被担保主债权数额 in yuan, `Zwlxqssj` / `Zwlxjssj` term) and `Cfxx` seals
//! (`Cflx` 查封 / 轮候查封, `Cfjg` 查封机关, `Cfwh` 查封文号, `Cfqssj` / `Cfjssj` term). Dates are
//! `yyyyMMdd`.

use super::data::{Mortgage, Property, Seal};
use serde::{Deserialize, Serialize};

/// The registry's result codes (inquiry and control).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 查询成功 (possibly with no property).
    Success,
    /// 未查询到该权利人登记信息.
    NoRecord,
    /// 权利人名称与证件号码不一致.
    NameMismatch,
    /// 未找到该业务流水号的办理记录 (control status: the key was never received).
    UnknownKey,
    /// 不动产不存在或不属于该权利人 (control: certificate unknown, not the debtor's, or the
    /// debtor's name does not match).
    NotTheDebtors,
    /// 查封编号不存在 (or not a seal on the certificate named).
    NoSuchSeal,
    /// 当前状态不允许办理 (releasing a released seal, renewing an expired one, another case's
    /// seal, a renewal not extending the term).
    WrongState,
    /// 业务流水号已用于其他业务.
    KeyReused,
    /// 查控文书未加盖电子签章 (HTTP 200, control refused).
    SealMissing,
    /// 电子签章验证失败: altered, malformed or signed by an unknown key (HTTP 200, control
    /// refused).
    SealInvalid,
    /// 电子签章已失效: signed outside the freshness window, a replay (HTTP 200, control
    /// refused).
    SealStale,
    /// 请求报文格式错误或缺少必填项 (HTTP 400).
    BadRequest,
    /// 案号不合法 (HTTP 400).
    BadCaseNumber,
    /// 请求法院与案件承办法院不一致 (HTTP 400).
    CourtMismatch,
    /// 查封期限不合法: end date in the past or beyond the legal term (HTTP 400).
    BadTerm,
    /// 访问令牌缺失或无效 (HTTP 403).
    Unauthorized,
    /// 系统内部错误 (HTTP 500).
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "0",
            Self::NoRecord => "1001",
            Self::NameMismatch => "1002",
            Self::UnknownKey => "1003",
            Self::NotTheDebtors => "4001",
            Self::NoSuchSeal => "4002",
            Self::WrongState => "4003",
            Self::KeyReused => "4004",
            Self::SealMissing => "4005",
            Self::SealInvalid => "4006",
            Self::SealStale => "4007",
            Self::BadRequest => "2001",
            Self::BadCaseNumber => "2002",
            Self::CourtMismatch => "2003",
            Self::BadTerm => "2004",
            Self::Unauthorized => "3001",
            Self::Internal => "9999",
        }
    }
}

/// An inquiry as received; every field optional so that missing ones get the registry's own
/// error rather than a parser's.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CxRequest {
    #[serde(default)]
    pub head: Option<RequestHead>,
    #[serde(default)]
    pub body: Option<RequestBody>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestHead {
    pub qqbh: Option<String>,
    pub ajh: Option<String>,
    pub fy: Option<String>,
    pub cxsj: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestBody {
    pub qlrmc: Option<String>,
    pub zjzl: Option<String>,
    pub zjh: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename = "CxResponse", rename_all = "PascalCase")]
pub struct CxResponse {
    pub head: ResponseHead,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<ResponseBody>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseHead {
    pub code: &'static str,
    pub msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qqbh: Option<String>,
    pub cxjg: String,
    pub fksj: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseBody {
    pub zs: usize,
    pub bdcxx: Vec<Bdcxx>,
}

/// 不动产信息: one property.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bdcxx {
    pub bdcqzh: String,
    pub bdcdyh: String,
    pub zl: String,
    pub jzmj: String,
    pub yt: &'static str,
    pub gyfs: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qlbl: Option<&'static str>,
    pub djsj: String,
    pub dyxx: Vec<Dyxx>,
    pub cfxx: Vec<Cfxx>,
}

/// 抵押信息
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dyxx {
    pub dyqr: String,
    pub bdbzqse: String,
    pub zwlxqssj: String,
    pub zwlxjssj: String,
}

/// 查封信息
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cfxx {
    pub cflx: &'static str,
    pub cfjg: String,
    pub cfwh: String,
    pub cfqssj: String,
    /// Empty for a queued seal.
    pub cfjssj: String,
}

impl From<&Property> for Bdcxx {
    fn from(p: &Property) -> Self {
        Self {
            bdcqzh: p.certificate_number.clone(),
            bdcdyh: p.unit_number.clone(),
            zl: p.address.clone(),
            jzmj: format!("{}.{:02}", p.area_centi_m2 / 100, p.area_centi_m2 % 100),
            yt: p.usage.label(),
            gyfs: p.ownership.label(),
            qlbl: p.ownership.share(),
            djsj: p.registered_on.compact(),
            dyxx: p.mortgages.iter().map(Dyxx::from).collect(),
            cfxx: p.seals.iter().map(Cfxx::from).collect(),
        }
    }
}

impl From<&Mortgage> for Dyxx {
    fn from(m: &Mortgage) -> Self {
        Self {
            dyqr: m.holder.clone(),
            bdbzqse: format!("{}.{:02}", m.amount_fen / 100, m.amount_fen % 100),
            zwlxqssj: m.since.compact(),
            zwlxjssj: m.until.compact(),
        }
    }
}

impl From<&Seal> for Cfxx {
    fn from(s: &Seal) -> Self {
        Self {
            cflx: s.kind.label(),
            cfjg: s.court.clone(),
            cfwh: s.case_number.clone(),
            cfqssj: s.since.compact(),
            cfjssj: s.until.map(|d| d.compact()).unwrap_or_default(),
        }
    }
}

/// Serialises a response (`CxResponse`, `KzResponse`) as an indented XML document with its
/// declaration.
pub fn to_xml<T: Serialize>(response: &T) -> Result<String, quick_xml::SeError> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut serializer = quick_xml::se::Serializer::new(&mut out);
    serializer.indent(' ', 2);
    response.serialize(serializer)?;
    Ok(out)
}
