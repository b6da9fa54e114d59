//! The registry's control (查控) XML as the connector speaks it: the `KzRequest` it sends to
//! seal (`/bdc/api/kz/cf`), release (`/bdc/api/kz/jf`), renew (`/bdc/api/kz/xf`) or ask for a
//! business's result (`/bdc/api/kz/jgcx`), and the `KzResponse` it reads. Head: `Qqbh` 请求编号
//! (this attempt), `Ywlsh` 业务流水号 (the idempotency key), `Ajh` 案件号, `Fy` 法院, `Cdwh`
//! 裁定书文号, `Cbr` 承办人, and on control requests `Qz` the court's electronic seal (`Mybh` 密钥
//! 编号 = key id, `Qzsj` 签章时间 = Unix seconds, `Qzz` 签章值 = base64 signature; absent when the
//! instruction is unsigned, which the registry refuses with 4005); Body: `Bdcqzh` 不动产权证号, `Qlrmc` / `Zjzl` / `Zjh` the right holder,
//! `Cfbh` 查封编号, `Cfjssj` 查封结束日期 (`yyyyMMdd`). Answer body: `Cfbh`, `Zt` status word,
//! `Lhsx` queue position, `Cfjssj`, `Sm` 说明. Unknown elements are ignored.

use crate::connector::CallContext;
use crate::control::{ControlAction, ControlInstruction};
use crate::domain::{CaseNumber, DebtorId};
use crate::error::{ConnectorError, ErrorClass};
use serde::{Deserialize, Serialize};

/// 查封登记.
pub const SEAL_PATH: &str = "/bdc/api/kz/cf";
/// 解封登记.
pub const RELEASE_PATH: &str = "/bdc/api/kz/jf";
/// 续封登记.
pub const RENEW_PATH: &str = "/bdc/api/kz/xf";
/// 办理结果查询.
pub const STATUS_PATH: &str = "/bdc/api/kz/jgcx";

/// Control result codes in `Head/Code` (besides the inquiry's, see `wire::code`).
pub mod code {
    /// 未找到该业务流水号的办理记录: the registry never received the key.
    pub const UNKNOWN_KEY: &str = "1003";
    /// Refusals: 不动产不属于该权利人, 查封编号不存在, 当前状态不允许办理, 业务流水号已用于其他业务,
    /// 查控文书未加盖电子签章, 电子签章验证失败 (altered, malformed, unknown key), 电子签章已失效
    /// (stale: a replay), 查封期限不合法.
    pub const REFUSED: [&str; 8] = [
        "4001", "4002", "4003", "4004", "4005", "4006", "4007", "2004",
    ];
}

#[derive(Debug, Serialize)]
#[serde(rename = "KzRequest", rename_all = "PascalCase")]
pub struct KzRequest<'a> {
    head: KzHead<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<KzBody<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KzHead<'a> {
    qqbh: &'a str,
    ywlsh: &'a str,
    ajh: &'a str,
    fy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cdwh: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cbr: Option<&'a str>,
    /// 电子签章: the court's seal on the instruction (control requests only).
    #[serde(skip_serializing_if = "Option::is_none")]
    qz: Option<KzSeal<'a>>,
}

/// `<Qz>`: 密钥编号 (key id), 签章时间 (Unix seconds), 签章值 (base64 Ed25519 signature).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KzSeal<'a> {
    mybh: &'a str,
    qzsj: i64,
    qzz: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KzBody<'a> {
    bdcqzh: &'a str,
    qlrmc: &'a str,
    zjzl: &'static str,
    zjh: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cfbh: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cfjssj: Option<String>,
}

impl<'a> KzRequest<'a> {
    /// The request for `instruction` and the path it goes to; an action a registry cannot
    /// take (freeze, watch, deduct) is `Unsupported`.
    pub fn control(
        ctx: &'a CallContext,
        instruction: &'a ControlInstruction,
    ) -> Result<(&'static str, Self), ConnectorError> {
        let (path, cfbh, until) = match &instruction.action {
            ControlAction::Seal { until } => (SEAL_PATH, None, Some(until)),
            ControlAction::Release { hold } => (RELEASE_PATH, Some(hold.as_str()), None),
            ControlAction::Renew { hold, until } => (RENEW_PATH, Some(hold.as_str()), Some(until)),
            other => {
                return Err(ConnectorError::new(
                    ErrorClass::Unsupported,
                    format!("a real-estate registry cannot {}", other.name()),
                ))
            }
        };
        let debtor = &instruction.debtor;
        let mut request = Self::head_only(ctx, &instruction.key, &instruction.case);
        request.head.cdwh = Some(&instruction.ruling);
        request.head.cbr = Some(&instruction.officer);
        // Unsealed, the registry refuses the instruction (4005).
        request.head.qz = instruction.signature.as_ref().map(|seal| KzSeal {
            mybh: &seal.key_id,
            qzsj: seal.signed_at,
            qzz: &seal.signature,
        });
        request.body = Some(KzBody {
            bdcqzh: &instruction.asset,
            qlrmc: &debtor.name,
            zjzl: match debtor.id {
                DebtorId::Resident(_) => "1",
                DebtorId::Company(_) => "7",
            },
            zjh: debtor.id.as_str(),
            cfbh,
            cfjssj: until.map(|d| d.compact()),
        });
        Ok((path, request))
    }

    /// The result query for the business sent with `key` in the context's case.
    pub fn status(ctx: &'a CallContext, key: &'a str) -> Self {
        Self::head_only(ctx, key, &ctx.case)
    }

    fn head_only(ctx: &'a CallContext, key: &'a str, case: &'a CaseNumber) -> Self {
        Self {
            head: KzHead {
                qqbh: &ctx.request_id,
                ywlsh: key,
                ajh: case.as_str(),
                fy: case.court(),
                cdwh: None,
                cbr: None,
                qz: None,
            },
            body: None,
        }
    }

    /// The request as an XML document with its declaration.
    pub fn to_xml(&self) -> Result<String, ConnectorError> {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let serializer = quick_xml::se::Serializer::new(&mut out);
        self.serialize(serializer).map_err(|e| {
            ConnectorError::new(
                ErrorClass::Rejected,
                format!("could not encode the control request: {e}"),
            )
        })?;
        Ok(out)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzResponse {
    pub head: KzResponseHead,
    #[serde(default)]
    pub body: Option<KzResponseBody>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzResponseHead {
    pub code: String,
    #[serde(default)]
    pub msg: String,
    #[serde(default)]
    pub qqbh: Option<String>,
    #[serde(default)]
    pub ywlsh: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzResponseBody {
    pub cfbh: String,
    pub zt: String,
    #[serde(default)]
    pub lhsx: Option<String>,
    #[serde(default)]
    pub cfjssj: Option<String>,
    #[serde(default)]
    pub sm: Option<String>,
}

/// Parses a control answer, reporting an unreadable one as malformed.
pub fn parse_response(body: &[u8]) -> Result<KzResponse, ConnectorError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ConnectorError::malformed("registry answer is not UTF-8"))?;
    quick_xml::de::from_str(text)
        .map_err(|e| ConnectorError::malformed(format!("invalid XML from the registry: {e}")))
}

/// The registry's code and message in an error answer, or the start of a body that is not one.
pub fn error_detail(body: &[u8]) -> String {
    match parse_response(body) {
        Ok(response) => format!("{} {}", response.head.code, response.head.msg),
        Err(_) => crate::http::truncate(String::from_utf8_lossy(body).trim(), 100),
    }
}
