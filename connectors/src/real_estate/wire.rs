//! The registry's XML wire format as the connector speaks it: the 权利人查询 request it sends
//! (`CxRequest`) and the answer it reads (`CxResponse`), with the registry's result codes.
//! Elements are pinyin abbreviations (`Qqbh` 请求编号, `Ajh` 案件号, `Fy` 法院, `Qlrmc` 权利人名称,
//! `Zjzl` 证件种类, `Zjh` 证件号; `Bdcqzh` 不动产权证号, `Zl` 坐落, `Jzmj` 建筑面积, `Yt` 用途,
//! `Gyfs` 共有方式, `Qlbl` 权利比例, `Dyxx` 抵押信息, `Cfxx` 查封信息, ...). Unknown elements are
//! ignored so the registry can add fields without breaking us.

use crate::connector::CallContext;
use crate::domain::{Debtor, DebtorId};
use crate::error::ConnectorError;
use serde::{Deserialize, Serialize};

/// Result codes in `Head/Code`.
pub mod code {
    /// 查询成功.
    pub const SUCCESS: &str = "0";
    /// 未查询到该权利人登记信息.
    pub const NO_RECORD: &str = "1001";
    /// 权利人名称与证件号码不一致.
    pub const NAME_MISMATCH: &str = "1002";
    /// 请求报文格式错误 / 案号不合法 / 法院与案件不符.
    pub const BAD_REQUEST: [&str; 3] = ["2001", "2002", "2003"];
    /// 访问令牌缺失或无效.
    pub const UNAUTHORIZED: &str = "3001";
    /// 系统内部错误.
    pub const INTERNAL: &str = "9999";
}

/// 证件种类 codes.
const ZJZL_RESIDENT: &str = "1";
const ZJZL_CREDIT_CODE: &str = "7";

#[derive(Debug, Serialize)]
#[serde(rename = "CxRequest", rename_all = "PascalCase")]
pub struct CxRequest<'a> {
    head: RequestHead<'a>,
    body: RequestBody<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RequestHead<'a> {
    qqbh: &'a str,
    ajh: &'a str,
    fy: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RequestBody<'a> {
    qlrmc: &'a str,
    zjzl: &'static str,
    zjh: &'a str,
}

impl<'a> CxRequest<'a> {
    pub fn new(ctx: &'a CallContext, debtor: &'a Debtor) -> Self {
        Self {
            head: RequestHead {
                qqbh: &ctx.request_id,
                ajh: ctx.case.as_str(),
                fy: ctx.case.court(),
            },
            body: RequestBody {
                qlrmc: &debtor.name,
                zjzl: match debtor.id {
                    DebtorId::Resident(_) => ZJZL_RESIDENT,
                    DebtorId::Company(_) => ZJZL_CREDIT_CODE,
                },
                zjh: debtor.id.as_str(),
            },
        }
    }

    /// The request as an XML document with its declaration.
    pub fn to_xml(&self) -> Result<String, ConnectorError> {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let serializer = quick_xml::se::Serializer::new(&mut out);
        self.serialize(serializer).map_err(|e| {
            ConnectorError::new(
                crate::error::ErrorClass::Rejected,
                format!("could not encode the inquiry: {e}"),
            )
        })?;
        Ok(out)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CxResponse {
    pub head: ResponseHead,
    #[serde(default)]
    pub body: Option<ResponseBody>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseHead {
    pub code: String,
    #[serde(default)]
    pub msg: String,
    /// The request id, echoed.
    #[serde(default)]
    pub qqbh: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseBody {
    /// 总数: how many `Bdcxx` follow.
    pub zs: u32,
    #[serde(default)]
    pub bdcxx: Vec<Bdcxx>,
}

/// 不动产信息: one property.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bdcxx {
    pub bdcqzh: String,
    pub zl: String,
    pub jzmj: String,
    pub yt: String,
    pub gyfs: String,
    #[serde(default)]
    pub qlbl: Option<String>,
    #[serde(default)]
    pub dyxx: Vec<Dyxx>,
    #[serde(default)]
    pub cfxx: Vec<Cfxx>,
}

/// 抵押信息: a mortgage.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dyxx {
    pub dyqr: String,
    #[serde(default)]
    pub bdbzqse: Option<String>,
    pub zwlxqssj: String,
    #[serde(default)]
    pub zwlxjssj: Option<String>,
}

/// 查封信息: a seal or queued seal.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cfxx {
    pub cflx: String,
    pub cfjg: String,
    pub cfwh: String,
    pub cfqssj: String,
    #[serde(default)]
    pub cfjssj: Option<String>,
}

/// Parses an answer, reporting an unreadable one as malformed.
pub fn parse_response(body: &[u8]) -> Result<CxResponse, ConnectorError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ConnectorError::malformed("registry answer is not UTF-8"))?;
    quick_xml::de::from_str(text)
        .map_err(|e| ConnectorError::malformed(format!("invalid XML from the registry: {e}")))
}

/// The registry's own code and message in an error answer, or the start of a body that is
/// not one (a gateway's plain-text error page).
pub fn error_detail(body: &[u8]) -> String {
    match parse_response(body) {
        Ok(response) => format!("{} {}", response.head.code, response.head.msg),
        Err(_) => crate::http::truncate(String::from_utf8_lossy(body).trim(), 100),
    }
}
