//! The court's electronic seal (电子签章) on a control request: the trusted keys, the seal as it
//! travels in the JSON body (`qzmy` 签章密钥编号, `qzsj` 签章时间 in Unix seconds, `qzz` 签章值,
//! base64 Ed25519), the signed fields rebuilt from the request exactly as the hub signs them,
//! and the refusals: 3007 unsigned, 3008 signature invalid (altered, malformed, unknown key),
//! 3009 signed outside the freshness window (a replay).

use super::order::{Act, Order};
use super::wire::{Code, ControlRequest};
use assethub_connectors::signature::{
    InstructionSignature, SignatureError, SignedFields, TrustedKeys, FRESHNESS_SECS,
};
use serde_json::Value;

pub use crate::instruction_keys::InstructionKey;

pub(super) use crate::instruction_keys::{now_secs, trusted};

/// The seal carried by `request`: none when all three fields are absent or empty, malformed
/// when only some are present or `qzsj` is not whole seconds.
pub(super) fn seal_of(
    request: &ControlRequest,
) -> Result<Option<InstructionSignature>, SignatureError> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let key_id = text(&request.qzmy);
    let signature = text(&request.qzz);
    let signed_at = match &request.qzsj {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::Number(n)) => Some(n.as_i64().ok_or(SignatureError::Malformed)?),
        Some(Value::String(s)) => Some(s.trim().parse().map_err(|_| SignatureError::Malformed)?),
        Some(_) => return Err(SignatureError::Malformed),
    };
    match (key_id, signed_at, signature) {
        (None, None, None) => Ok(None),
        (Some(key_id), Some(signed_at), Some(signature)) => Ok(Some(InstructionSignature {
            key_id,
            signed_at,
            signature,
        })),
        _ => Err(SignatureError::Malformed),
    }
}

/// The fields the hub signed, rebuilt from the validated request: the normalised case and its
/// court, the VIN as sent (before upper-casing), ISO end date, hold; no amount.
pub(super) fn signed_fields(order: &Order) -> SignedFields {
    SignedFields {
        quantity: None,
        key: order.key.clone(),
        case: order.case.as_str().to_string(),
        court: order.case.court().to_string(),
        ruling: order.ruling.clone(),
        officer: order.officer.clone(),
        asset: order.vin_sent.clone(),
        debtor_id: order.id.as_str().to_string(),
        debtor_name: order.name.clone(),
        action: order.act.name().to_string(),
        amount_fen: 0,
        hold: match order.act {
            Act::Release | Act::Renew => order.hold.clone().unwrap_or_default(),
            Act::Seal | Act::Watch => String::new(),
        },
        until: order.until.map(|d| d.to_string()).unwrap_or_default(),
        into_account: String::new(),
    }
}

/// Checks the seal of `order` at `now`; on refusal, the code and message to answer with.
pub(super) fn check(trusted: &TrustedKeys, order: &Order, now: i64) -> Result<(), (Code, String)> {
    let verified = match &order.seal {
        Err(e) => Err(e.clone()),
        Ok(seal) => trusted.verify(&signed_fields(order), seal.as_ref(), now),
    };
    verified.map_err(|e| match e {
        SignatureError::Missing => (Code::SealMissing, "控制指令未加盖电子签章".to_string()),
        SignatureError::UnknownKey(id) => (
            Code::SealInvalid,
            format!("电子签章验证失败: 签章密钥 {id} 未登记"),
        ),
        SignatureError::Malformed | SignatureError::BadKey(_) => (
            Code::SealInvalid,
            "电子签章验证失败: 签章格式错误".to_string(),
        ),
        SignatureError::Mismatch => (
            Code::SealInvalid,
            "电子签章验证失败: 签章与指令内容不符".to_string(),
        ),
        SignatureError::Stale(skew) => (
            Code::SealStale,
            format!(
                "电子签章已失效: 签章时间与本机时间相差 {} 秒，超出 {FRESHNESS_SECS} 秒",
                skew.abs()
            ),
        ),
    })
}
