//! The signed payload a notice carries and its QR text: what was signed (a control
//! instruction's canonical form from `assethub-core`, or an inquiry's canonical form defined
//! here), when, by which key, and the Ed25519 signature. Owns the `AHN1` codec and the
//! signature check against public keys. No rendering, no file or process I/O.
//!
//! QR text: `AHN1.<base64url canonical>.<base64url signature>.<key id>` (no padding). The
//! canonical bytes are exactly those an online agency's signature covers
//! ([`SignedFields::canonical`]), so a notice and an online instruction sign the same thing.
//! Off-line verification does NOT apply the 300 s freshness window of online delivery: a
//! paper notice is read days after it was signed; its signing time is printed instead.

use assethub_core::signature::{InstructionSigner, SignedFields};
use assethub_core::ControlInstruction;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};

/// Version prefix of the QR text.
pub const QR_PREFIX: &str = "AHN1";
/// Domain tag of an instruction's canonical form (see `assethub_core::signature`).
pub const INSTRUCTION_TAG: &str = "assethub-instruction-v1";
/// Domain tag of an inquiry's canonical form.
pub const INQUIRY_TAG: &str = "assethub-inquiry-v1";
/// Longest canonical form accepted (bytes): every field the hub signs is bounded far below.
pub const MAX_CANONICAL: usize = 2_048;
/// Longest QR text accepted (characters).
pub const MAX_QR_TEXT: usize = 3_072;
/// Longest key id accepted.
pub const MAX_KEY_ID: usize = 64;

/// One asynchronous inquiry as its notice (查询通知书) states it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InquiryFields {
    /// The hub's inquiry id (the agency's idempotency key for it).
    pub inquiry_id: String,
    /// Normalised case number and its court code.
    pub case: String,
    pub court: String,
    pub officer: String,
    /// The source (agency) asked.
    pub source: String,
    pub debtor_id: String,
    pub debtor_name: String,
    /// The agency's ticket, when it gave one; empty otherwise.
    pub ticket: String,
}

impl InquiryFields {
    /// The bytes that are signed: `["assethub-inquiry-v1", inquiry_id, case, court, officer,
    /// source, debtor_id, debtor_name, ticket, signed_at]`.
    pub fn canonical(&self, signed_at: i64) -> Vec<u8> {
        let signed_at = signed_at.to_string();
        let values: [&str; 10] = [
            INQUIRY_TAG,
            &self.inquiry_id,
            &self.case,
            &self.court,
            &self.officer,
            &self.source,
            &self.debtor_id,
            &self.debtor_name,
            &self.ticket,
            &signed_at,
        ];
        serde_json::to_vec(&values).unwrap_or_default()
    }
}

/// What a notice signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// A control order (协助执行通知书).
    Instruction(SignedFields),
    /// An inquiry (查询通知书).
    Inquiry(InquiryFields),
}

impl Signed {
    pub fn canonical(&self, signed_at: i64) -> Vec<u8> {
        match self {
            Self::Instruction(fields) => fields.canonical(signed_at),
            Self::Inquiry(fields) => fields.canonical(signed_at),
        }
    }

    /// The case number the notice is about.
    pub fn case(&self) -> &str {
        match self {
            Self::Instruction(f) => &f.case,
            Self::Inquiry(f) => &f.case,
        }
    }

    /// The id the notice is numbered by (order id or inquiry id).
    pub fn number(&self) -> &str {
        match self {
            Self::Instruction(f) => &f.key,
            Self::Inquiry(f) => &f.inquiry_id,
        }
    }
}

/// A signed payload: what, when, by which key, and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPayload {
    pub body: Signed,
    /// Unix seconds: the order's (inquiry's) recorded time, so re-rendering signs the same.
    pub signed_at: i64,
    pub key_id: String,
    pub signature: [u8; 64],
}

/// Why a payload or a notice does not verify. One line each, for `hubctl notice verify`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no assistance-notice QR code found ({0})")]
    NoQr(String),
    #[error("the QR code is not an assistance notice payload: {0}")]
    Malformed(String),
    #[error("the notice is signed by key {0:?}, which is not the key given")]
    UnknownKey(String),
    #[error("the signature does not match the signed payload (altered, or signed by another key)")]
    Mismatch,
    #[error(
        "the printed field {0} differs from the signed payload (the printed notice was altered)"
    )]
    PrintedMismatch(String),
    #[error("the printed fields are not the signed ones in their order (the printed notice was altered)")]
    PrintedOrder,
    #[error("{0}")]
    Tool(String),
    #[error("cannot read the notice: {0}")]
    Read(String),
    #[error("the public key is malformed: {0}")]
    BadKey(String),
}

impl SignedPayload {
    /// Signs a control instruction as the executor would send it, at `signed_at`.
    pub fn instruction(
        signer: &InstructionSigner,
        instruction: &ControlInstruction,
        signed_at: i64,
    ) -> Self {
        let signature = signer.sign(instruction, signed_at);
        let bytes = B64.decode(&signature.signature).unwrap_or_default();
        Self {
            body: Signed::Instruction(SignedFields::of(instruction)),
            signed_at,
            key_id: signature.key_id,
            signature: bytes.try_into().unwrap_or([0; 64]),
        }
    }

    /// Signs an inquiry at `signed_at`.
    pub fn inquiry(signer: &InstructionSigner, fields: InquiryFields, signed_at: i64) -> Self {
        let body = Signed::Inquiry(fields);
        let signature = signer.sign_document(&body.canonical(signed_at));
        Self {
            body,
            signed_at,
            key_id: signer.key_id().to_string(),
            signature,
        }
    }

    /// The QR text.
    pub fn to_qr_text(&self) -> String {
        format!(
            "{QR_PREFIX}.{}.{}.{}",
            B64URL.encode(self.body.canonical(self.signed_at)),
            B64URL.encode(self.signature),
            self.key_id
        )
    }

    /// Parses QR text (no signature check: see [`PublicKeys::verify`]).
    pub fn from_qr_text(text: &str) -> Result<Self, VerifyError> {
        let bad = |why: &str| VerifyError::Malformed(why.to_string());
        if text.len() > MAX_QR_TEXT {
            return Err(bad("longer than any notice payload"));
        }
        let mut parts = text.trim().splitn(4, '.');
        if parts.next() != Some(QR_PREFIX) {
            return Err(bad("it does not start with AHN1."));
        }
        let (Some(canonical), Some(signature), Some(key_id)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("it has fewer than four parts"));
        };
        if key_id.is_empty()
            || key_id.len() > MAX_KEY_ID
            || !key_id.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(bad("the key id is empty, too long or not printable ASCII"));
        }
        let canonical = B64URL
            .decode(canonical)
            .map_err(|_| bad("the payload is not base64url"))?;
        if canonical.len() > MAX_CANONICAL {
            return Err(bad("the payload is too long"));
        }
        let signature: [u8; 64] = B64URL
            .decode(signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("the signature is not 64 bytes of base64url"))?;
        let (body, signed_at) = parse_canonical(&canonical)?;
        Ok(Self {
            body,
            signed_at,
            key_id: key_id.to_string(),
            signature,
        })
    }
}

/// Reads a canonical form back; it must re-encode to the very same bytes.
fn parse_canonical(bytes: &[u8]) -> Result<(Signed, i64), VerifyError> {
    let bad = |why: &str| VerifyError::Malformed(why.to_string());
    let values: Vec<String> = serde_json::from_slice(bytes)
        .map_err(|_| bad("the payload is not a JSON array of strings"))?;
    let at = |i: usize| values.get(i).cloned().unwrap_or_default();
    let number = |i: usize| -> Result<i64, VerifyError> {
        at(i)
            .parse::<i64>()
            .map_err(|_| bad("a number field is not a decimal integer"))
    };
    let parsed = match (values.first().map(String::as_str), values.len()) {
        (Some(INSTRUCTION_TAG), 15 | 16) => {
            let quantity = match values.get(15) {
                Some(q) => Some(
                    q.parse::<u64>()
                        .map_err(|_| bad("the quantity is not a count"))?,
                ),
                None => None,
            };
            let fields = SignedFields {
                key: at(1),
                case: at(2),
                court: at(3),
                ruling: at(4),
                officer: at(5),
                asset: at(6),
                debtor_id: at(7),
                debtor_name: at(8),
                action: at(9),
                amount_fen: number(10)?,
                quantity,
                hold: at(11),
                until: at(12),
                into_account: at(13),
            };
            (Signed::Instruction(fields), number(14)?)
        }
        (Some(INQUIRY_TAG), 10) => {
            let fields = InquiryFields {
                inquiry_id: at(1),
                case: at(2),
                court: at(3),
                officer: at(4),
                source: at(5),
                debtor_id: at(6),
                debtor_name: at(7),
                ticket: at(8),
            };
            (Signed::Inquiry(fields), number(9)?)
        }
        _ => return Err(bad("unknown payload kind or length")),
    };
    if parsed.0.canonical(parsed.1) != bytes {
        return Err(bad("the payload is not in canonical form"));
    }
    Ok(parsed)
}

/// The public keys a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct PublicKeys {
    /// (key id, key); a `None` id trusts the key under whatever id the notice names.
    keys: Vec<(Option<String>, VerifyingKey)>,
}

impl PublicKeys {
    /// Trusts a base64 32-byte Ed25519 public key, under `key_id` when given.
    pub fn with(mut self, key_id: Option<&str>, public_key_b64: &str) -> Result<Self, VerifyError> {
        let bytes: [u8; 32] = B64
            .decode(public_key_b64.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                VerifyError::BadKey("an Ed25519 public key is 32 bytes of base64".into())
            })?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|e| VerifyError::BadKey(e.to_string()))?;
        self.keys.push((key_id.map(str::to_string), key));
        Ok(self)
    }

    /// Checks the payload's signature (no freshness window: see the module comment).
    pub fn verify(&self, payload: &SignedPayload) -> Result<(), VerifyError> {
        let candidates: Vec<&VerifyingKey> = self
            .keys
            .iter()
            .filter(|(id, _)| id.as_deref().is_none_or(|id| id == payload.key_id))
            .map(|(_, key)| key)
            .collect();
        if candidates.is_empty() {
            return Err(VerifyError::UnknownKey(payload.key_id.clone()));
        }
        let bytes = payload.body.canonical(payload.signed_at);
        let signature = Signature::from_bytes(&payload.signature);
        if candidates
            .iter()
            .any(|key| key.verify(&bytes, &signature).is_ok())
        {
            Ok(())
        } else {
            Err(VerifyError::Mismatch)
        }
    }
}
