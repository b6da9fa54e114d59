//! The court's electronic seal (电子签章) on a 查控 request: the trusted keys, the seal as it
//! travels in the request's `Head` (`<Qz><Mybh>` 密钥编号 `</Mybh><Qzsj>` 签章时间, Unix seconds
//! `</Qzsj><Qzz>` 签章值, base64 Ed25519 `</Qzz></Qz>`), the signed fields rebuilt from the
//! request exactly as the hub signs them, and the refusals: 4005 unsigned, 4006 signature
//! invalid (altered, malformed, unknown key), 4007 signed outside the freshness window (a
//! replay).

use super::control_order::{Op, Order};
use super::control_wire::KzSeal;
use super::wire::Code;
use assethub_connectors::signature::{
    InstructionSignature, SignatureError, SignedFields, TrustedKeys, FRESHNESS_SECS,
};

pub use crate::instruction_keys::InstructionKey;

pub(super) use crate::instruction_keys::{now_secs, trusted};

/// The seal carried by a request's `Qz`: none when the element is absent or all its fields
/// are empty, malformed when only some are present or `Qzsj` is not whole seconds.
pub(super) fn seal_of(qz: Option<&KzSeal>) -> Result<Option<InstructionSignature>, SignatureError> {
    let Some(qz) = qz else {
        return Ok(None);
    };
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let signed_at = match text(&qz.qzsj) {
        None => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
    };
    match (text(&qz.mybh), signed_at, text(&qz.qzz)) {
        (None, None, None) => Ok(None),
        (Some(key_id), Some(signed_at), Some(signature)) => Ok(Some(InstructionSignature {
            key_id,
            signed_at,
            signature,
        })),
        _ => Err(SignatureError::Malformed),
    }
}

/// The fields the hub signed, rebuilt from the validated request: `Ywlsh` as the key, the
/// normalised case and its court, `Cdwh`, `Cbr`, the certificate number, `Zjh` and `Qlrmc`,
/// the action word, no amount, `Cfbh` and the end date in ISO form (`yyyy-MM-dd`).
pub(super) fn signed_fields(op: Op, order: &Order) -> SignedFields {
    SignedFields {
        quantity: None,
        key: order.key.clone(),
        case: order.case.as_str().to_string(),
        court: order.case.court().to_string(),
        ruling: order.ruling.clone(),
        officer: order.officer.clone(),
        asset: order.certificate.clone(),
        debtor_id: order.id.as_str().to_string(),
        debtor_name: order.name.clone(),
        action: op.name().to_string(),
        amount_fen: 0,
        hold: order.hold.clone(),
        until: order.until.map(|d| d.to_string()).unwrap_or_default(),
        into_account: String::new(),
    }
}

/// Checks the seal of `order` at `now`; on refusal, the code and message to answer with.
pub(super) fn check(
    trusted: &TrustedKeys,
    op: Op,
    order: &Order,
    now: i64,
) -> Result<(), (Code, String)> {
    let verified = match &order.seal {
        Err(e) => Err(e.clone()),
        Ok(seal) => trusted.verify(&signed_fields(op, order), seal.as_ref(), now),
    };
    verified.map_err(|e| match e {
        SignatureError::Missing => (Code::SealMissing, "查控文书未加盖电子签章".to_string()),
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
            "电子签章验证失败: 签章与文书内容不符".to_string(),
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
