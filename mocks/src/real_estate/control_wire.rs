//! The registry's XML wire format for control (查控) business: `KzRequest` / `KzResponse` of the
//! seal (查封), release (解封), renewal (续封) and result-query (办理结果查询) endpoints, the
//! status words of a seal, and the 查封信息 entries the register adds to inquiry answers.
//! The format is documented in the module doc of `real_estate`.

use super::wire::Cfxx;
use crate::holds::{Hold, HoldKind};
use assethub_connectors::HoldStatus;
use serde::{Deserialize, Serialize};

/// `POST`: 查封登记 (seal a property).
pub const SEAL_PATH: &str = "/bdc/api/kz/cf";
/// `POST`: 解封登记 (release a seal).
pub const RELEASE_PATH: &str = "/bdc/api/kz/jf";
/// `POST`: 续封登记 (renew a seal).
pub const RENEW_PATH: &str = "/bdc/api/kz/xf";
/// `POST`: 办理结果查询 (the current result of a business number).
pub const STATUS_PATH: &str = "/bdc/api/kz/jgcx";

/// A control request as received; every field optional so that missing ones get the
/// registry's own error rather than a parser's.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzRequest {
    #[serde(default)]
    pub head: Option<KzHead>,
    #[serde(default)]
    pub body: Option<KzBody>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzHead {
    /// 请求编号: this attempt.
    pub qqbh: Option<String>,
    /// 业务流水号: the idempotency key, the same on every attempt of one instruction.
    pub ywlsh: Option<String>,
    pub ajh: Option<String>,
    pub fy: Option<String>,
    /// 裁定书文号
    pub cdwh: Option<String>,
    /// 承办人 (the officer)
    pub cbr: Option<String>,
    /// 电子签章: the court's seal on the instruction (control requests, not result queries).
    #[serde(default)]
    pub qz: Option<KzSeal>,
}

/// `<Qz>` 电子签章 in a control request's `Head`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzSeal {
    /// 密钥编号: the id of the key that sealed the instruction.
    pub mybh: Option<String>,
    /// 签章时间: Unix seconds when it was sealed.
    pub qzsj: Option<String>,
    /// 签章值: base64 Ed25519 signature over the instruction's canonical fields.
    pub qzz: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzBody {
    pub bdcqzh: Option<String>,
    pub qlrmc: Option<String>,
    pub zjzl: Option<String>,
    pub zjh: Option<String>,
    /// 查封编号 (release, renewal)
    pub cfbh: Option<String>,
    /// 查封结束日期 `yyyyMMdd` (seal, renewal)
    pub cfjssj: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename = "KzResponse", rename_all = "PascalCase")]
pub struct KzResponse {
    pub head: KzResponseHead,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<KzResponseBody>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzResponseHead {
    pub code: &'static str,
    pub msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qqbh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ywlsh: Option<String>,
    pub cxjg: String,
    pub fksj: String,
}

/// The seal the business created or acted upon, as it stands now.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KzResponseBody {
    pub cfbh: String,
    /// Status word, see [`status_word`].
    pub zt: &'static str,
    /// 轮候顺序: queue position (1 is next), for a queued seal only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lhsx: Option<u32>,
    /// 查封结束日期 `yyyyMMdd`.
    pub cfjssj: String,
    /// 说明: why a seal is queued or was refused; may be empty.
    pub sm: String,
}

/// The registry's word for a seal's status (`Zt`).
pub fn status_word(status: HoldStatus) -> &'static str {
    match status {
        HoldStatus::Pending => "办理中",
        HoldStatus::Effective => "已查封",
        HoldStatus::Queued { .. } => "轮候查封",
        HoldStatus::Rejected => "不予办理",
        HoldStatus::Released => "已解封",
        HoldStatus::Deducted => "已处分",
        HoldStatus::Expired => "已到期",
    }
}

/// The register's seals on a property in force or queued, as 查封信息 entries: the holder is the
/// court's code (`Cfjg`) and its case (`Cfwh`). A queued seal has no end date on the wire,
/// like the registry's older queued seals.
pub fn register_cfxx(holds: &[Hold]) -> Vec<Cfxx> {
    holds
        .iter()
        .filter(|h| h.kind == HoldKind::Seal)
        .filter_map(|h| {
            let (cflx, cfjssj) = match h.status {
                HoldStatus::Effective => ("查封", h.until.compact()),
                HoldStatus::Queued { .. } => ("轮候查封", String::new()),
                _ => return None,
            };
            Some(Cfxx {
                cflx,
                cfjg: h.court.clone(),
                cfwh: h.case.clone(),
                cfqssj: h.since.compact(),
                cfjssj,
            })
        })
        .collect()
}
