//! The electronic seal on a control instruction (协助执行通知书的电子签章, DOMAIN rule 8): an
//! Ed25519 signature by the court system's key over a canonical encoding of everything the
//! agency acts on — idempotency key, case, court, ruling, officer, asset, debtor, action,
//! amount, hold, dates, case account — and the signing time. An agency verifies it with the
//! hub's public key and refuses an instruction that is unsigned, altered on the way, signed by
//! another key, or stale (signed outside its window: a replay).
//!
//! The canonical form is a JSON array of strings in a fixed order, so both sides build the
//! same bytes from their own representation of the instruction: `["assethub-instruction-v1",
//! key, case, court, ruling, officer, asset, debtor_id, debtor_name, action, amount_fen, hold,
//! until, into_account, signed_at]`, and for a freeze by quantity one more element, the
//! quantity (decimal). Absent values are empty strings; numbers are decimal strings.

use crate::control::{ControlAction, ControlInstruction};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

/// Version tag inside the signed bytes.
const DOMAIN_TAG: &str = "assethub-instruction-v1";

/// How far an instruction's signing time may be from the agency's clock, in seconds.
pub const FRESHNESS_SECS: i64 = 300;

/// The signature an instruction travels with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionSignature {
    /// Which key signed (agencies may trust several, e.g. during a key rotation).
    pub key_id: String,
    /// Unix seconds when the hub signed it.
    pub signed_at: i64,
    /// Base64 (standard alphabet) Ed25519 signature over [`canonical`].
    pub signature: String,
}

/// The fields of an instruction as both sides can rebuild them from their own wire form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignedFields {
    pub key: String,
    /// Normalised case number; its court is signed too.
    pub case: String,
    pub court: String,
    pub ruling: String,
    pub officer: String,
    /// Agency-local asset id.
    pub asset: String,
    pub debtor_id: String,
    pub debtor_name: String,
    /// freeze, seal, watch, release, deduct, renew.
    pub action: String,
    /// Fen; 0 when the action has no amount.
    pub amount_fen: i64,
    /// Units of a freeze by quantity (shares); `None` for every other action. When present it
    /// is appended to the canonical array, so money instructions sign exactly as before.
    pub quantity: Option<u64>,
    /// The hold acted on (release, deduct, renew); empty otherwise.
    pub hold: String,
    /// ISO end date (freeze, seal, watch, renew); empty otherwise.
    pub until: String,
    /// Deductions only.
    pub into_account: String,
}

impl SignedFields {
    pub fn of(instruction: &ControlInstruction) -> Self {
        let mut fields = Self {
            key: instruction.key.clone(),
            case: instruction.case.as_str().to_string(),
            court: instruction.case.court().to_string(),
            ruling: instruction.ruling.clone(),
            officer: instruction.officer.clone(),
            asset: instruction.asset.clone(),
            debtor_id: instruction.debtor.id.as_str().to_string(),
            debtor_name: instruction.debtor.name.clone(),
            action: instruction.action.name().to_string(),
            ..Self::default()
        };
        match &instruction.action {
            ControlAction::Freeze { amount, until } => {
                fields.amount_fen = amount.0;
                fields.until = until.to_string();
            }
            ControlAction::FreezeQuantity { quantity, until } => {
                fields.quantity = Some(*quantity);
                fields.until = until.to_string();
            }
            ControlAction::Seal { until } | ControlAction::Watch { until } => {
                fields.until = until.to_string();
            }
            ControlAction::Release { hold } => fields.hold = hold.clone(),
            ControlAction::Deduct {
                hold,
                amount,
                into_account,
            } => {
                fields.hold = hold.clone();
                fields.amount_fen = amount.0;
                fields.into_account = into_account.clone();
            }
            ControlAction::Renew { hold, until } => {
                fields.hold = hold.clone();
                fields.until = until.to_string();
            }
        }
        fields
    }

    /// The bytes that are signed.
    pub fn canonical(&self, signed_at: i64) -> Vec<u8> {
        let quantity = self.quantity.map(|q| q.to_string());
        let amount = self.amount_fen.to_string();
        let signed_at = signed_at.to_string();
        let mut values: Vec<&str> = vec![
            DOMAIN_TAG,
            &self.key,
            &self.case,
            &self.court,
            &self.ruling,
            &self.officer,
            &self.asset,
            &self.debtor_id,
            &self.debtor_name,
            &self.action,
            &amount,
            &self.hold,
            &self.until,
            &self.into_account,
            &signed_at,
        ];
        if let Some(quantity) = &quantity {
            values.push(quantity);
        }
        serde_json::to_vec(&values).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the instruction is not signed")]
    Missing,
    #[error("the instruction was signed by an unknown key {0:?}")]
    UnknownKey(String),
    #[error("the signature is malformed")]
    Malformed,
    #[error("the signature does not match the instruction (altered on the way?)")]
    Mismatch,
    #[error("the instruction was signed {0} s from now, outside the {FRESHNESS_SECS} s window (a replay?)")]
    Stale(i64),
    #[error("the key is malformed: {0}")]
    BadKey(String),
}

/// The hub's signing key.
#[derive(Clone)]
pub struct InstructionSigner {
    key_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for InstructionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstructionSigner")
            .field("key_id", &self.key_id)
            .field("public_key", &self.public_key())
            .finish()
    }
}

impl InstructionSigner {
    /// A signer from a base64 32-byte Ed25519 seed.
    pub fn from_seed(key_id: &str, seed_b64: &str) -> Result<Self, SignatureError> {
        let bytes = B64
            .decode(seed_b64.trim())
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SignatureError::BadKey("an Ed25519 seed is 32 bytes".into()))?;
        Ok(Self {
            key_id: key_id.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Base64 of the 32-byte public key, for agencies' configuration.
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().as_bytes())
    }

    /// Signs another document's canonical bytes with this key (an inquiry notice's, see
    /// `assethub-notice`). Such a form must open with a domain tag of its own, so that it can
    /// never be taken for an instruction's canonical bytes. Returns the 64-byte signature.
    pub fn sign_document(&self, canonical: &[u8]) -> [u8; 64] {
        self.key.sign(canonical).to_bytes()
    }

    pub fn sign(&self, instruction: &ControlInstruction, now_secs: i64) -> InstructionSignature {
        let bytes = SignedFields::of(instruction).canonical(now_secs);
        InstructionSignature {
            key_id: self.key_id.clone(),
            signed_at: now_secs,
            signature: B64.encode(self.key.sign(&bytes).to_bytes()),
        }
    }
}

/// What an agency trusts: key ids and their public keys.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<(String, VerifyingKey)>,
}

impl TrustedKeys {
    /// Adds a base64 32-byte public key under `key_id`.
    pub fn with(mut self, key_id: &str, public_key_b64: &str) -> Result<Self, SignatureError> {
        let bytes = B64
            .decode(public_key_b64.trim())
            .map_err(|e| SignatureError::BadKey(e.to_string()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SignatureError::BadKey("an Ed25519 public key is 32 bytes".into()))?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|e| SignatureError::BadKey(e.to_string()))?;
        self.keys.push((key_id.to_string(), key));
        Ok(self)
    }

    /// Checks `signature` over `fields` and that it was made within the window around `now`.
    pub fn verify(
        &self,
        fields: &SignedFields,
        signature: Option<&InstructionSignature>,
        now_secs: i64,
    ) -> Result<(), SignatureError> {
        let signature = signature.ok_or(SignatureError::Missing)?;
        let key = self
            .keys
            .iter()
            .find(|(id, _)| *id == signature.key_id)
            .map(|(_, key)| key)
            .ok_or_else(|| SignatureError::UnknownKey(signature.key_id.clone()))?;
        let bytes = B64
            .decode(&signature.signature)
            .map_err(|_| SignatureError::Malformed)?;
        let bytes: [u8; 64] = bytes.try_into().map_err(|_| SignatureError::Malformed)?;
        key.verify(
            &fields.canonical(signature.signed_at),
            &Signature::from_bytes(&bytes),
        )
        .map_err(|_| SignatureError::Mismatch)?;
        // Wide arithmetic: a signing time near i64's ends must not overflow into "fresh".
        let skew = i128::from(signature.signed_at) - i128::from(now_secs);
        if skew.abs() > i128::from(FRESHNESS_SECS) {
            let clamped = i64::try_from(skew).unwrap_or(if skew < 0 { i64::MIN } else { i64::MAX });
            return Err(SignatureError::Stale(clamped));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CaseNumber, CivilDate, Debtor, DebtorId, Fen};

    /// A test key of this module's own (the demo's key lives with the mocks).
    fn signer() -> InstructionSigner {
        InstructionSigner::from_seed("test-1", &B64.encode([7u8; 32])).unwrap()
    }

    fn trusted() -> TrustedKeys {
        TrustedKeys::default()
            .with("test-1", &signer().public_key())
            .unwrap()
    }

    fn instruction() -> ControlInstruction {
        ControlInstruction {
            key: "ord-1".into(),
            case: CaseNumber::parse("(2024)鄂0116执1234号").unwrap(),
            ruling: "(2024)鄂0116执1234号之一".into(),
            officer: "王法官".into(),
            asset: "6222000011112222".into(),
            debtor: Debtor {
                id: DebtorId::parse("11010519491231002X").unwrap(),
                name: "张伟".into(),
            },
            action: ControlAction::Freeze {
                amount: Fen(100_000),
                until: CivilDate::from_days(20_800),
            },
            signature: None,
        }
    }

    #[test]
    fn a_signed_instruction_verifies_and_any_change_is_caught() {
        let signer = signer();
        let trusted = trusted();
        let i = instruction();
        let sig = signer.sign(&i, 1_000);
        let fields = SignedFields::of(&i);
        assert_eq!(trusted.verify(&fields, Some(&sig), 1_100), Ok(()));
        assert_eq!(
            trusted.verify(&fields, None, 1_100),
            Err(SignatureError::Missing)
        );
        let mut more = fields.clone();
        more.amount_fen += 1;
        assert_eq!(
            trusted.verify(&more, Some(&sig), 1_100),
            Err(SignatureError::Mismatch)
        );
        let mut other_court = fields.clone();
        other_court.court = "鄂01".into();
        assert_eq!(
            trusted.verify(&other_court, Some(&sig), 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            trusted.verify(&fields, Some(&sig), 1_000 + FRESHNESS_SECS + 1),
            Err(SignatureError::Stale(-FRESHNESS_SECS - 1))
        );
        let stranger = InstructionSigner::from_seed("test-1", &B64.encode([9u8; 32])).unwrap();
        assert_eq!(
            trusted.verify(&fields, Some(&stranger.sign(&i, 1_000)), 1_000),
            Err(SignatureError::Mismatch)
        );
        let mut unknown = sig.clone();
        unknown.key_id = "other".into();
        assert!(matches!(
            trusted.verify(&fields, Some(&unknown), 1_000),
            Err(SignatureError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_signing_time_at_the_ends_of_time_is_stale_not_an_overflow() {
        // Found by the `instruction_signature` fuzz target.
        let i = instruction();
        let trusted = trusted();
        for at in [i64::MIN, i64::MIN + 1_000, i64::MAX] {
            let sig = signer().sign(&i, at);
            assert!(matches!(
                trusted.verify(&SignedFields::of(&i), Some(&sig), 1_000),
                Err(SignatureError::Stale(_))
            ));
        }
    }

    /// The shared signature vector `connectors/examples/csdc/tests/signature_vector.json`:
    /// instructions signed here with a fixed test key, which the Python example checks byte for
    /// byte (its canonical form and its Ed25519 verification), so both sides provably sign the
    /// same bytes. Rewrite the file with `ASSETHUB_WRITE_SIGNATURE_VECTOR=1 cargo test -p
    /// assethub-core signature_vector`.
    fn signature_vector() -> serde_json::Value {
        use crate::domain::CivilDate;
        use sha2::{Digest, Sha256};
        let seed = B64.encode(Sha256::digest(b"assethub shared signature vector"));
        let signer = InstructionSigner::from_seed("vector-1", &seed).unwrap();
        let date = |iso: &str| CivilDate::parse(iso).unwrap();
        let company = Debtor {
            id: DebtorId::parse("91350100M000100Y43").unwrap(),
            name: "福建某某贸易有限公司".into(),
        };
        let cases = [
            (
                "freeze_quantity",
                "A110105002-600000",
                None,
                ControlAction::FreezeQuantity {
                    quantity: 12_000,
                    until: date("2027-06-30"),
                },
            ),
            (
                "freeze_quantity_company_escapes",
                "B350100001-600519",
                Some(company),
                ControlAction::FreezeQuantity {
                    quantity: 300,
                    until: date("2029-12-31"),
                },
            ),
            (
                "release",
                "A110105002-600000",
                None,
                ControlAction::Release {
                    hold: "CSDC-DJ000001".into(),
                },
            ),
            (
                "renew",
                "A110105002-600000",
                None,
                ControlAction::Renew {
                    hold: "CSDC-DJ000001".into(),
                    until: date("2028-06-30"),
                },
            ),
            (
                "freeze_money_no_quantity",
                "6222000011112222",
                None,
                ControlAction::Freeze {
                    amount: Fen(100_000),
                    until: date("2027-06-30"),
                },
            ),
        ];
        let signed_at = 1_790_000_000;
        let cases: Vec<serde_json::Value> = cases
            .into_iter()
            .map(|(name, asset, debtor, action)| {
                let mut i = instruction();
                i.key = format!("ord-vector-{name}");
                i.asset = asset.into();
                if let Some(debtor) = debtor {
                    i.debtor = debtor;
                    i.officer = "陈 \"执行\" 法官\t\\".into();
                }
                i.action = action;
                let f = SignedFields::of(&i);
                let sig = signer.sign(&i, signed_at);
                serde_json::json!({
                    "name": name,
                    "fields": {
                        "key": f.key, "case": f.case, "court": f.court, "ruling": f.ruling,
                        "officer": f.officer, "asset": f.asset, "debtor_id": f.debtor_id,
                        "debtor_name": f.debtor_name, "action": f.action,
                        "amount_fen": f.amount_fen, "quantity": f.quantity, "hold": f.hold,
                        "until": f.until, "into_account": f.into_account,
                    },
                    "signed_at": signed_at,
                    "canonical": String::from_utf8(f.canonical(signed_at)).unwrap(),
                    "signature": sig.signature,
                })
            })
            .collect();
        serde_json::json!({
            "about": "Instructions signed by connectors/core/src/signature.rs with a fixed TEST key (never trusted anywhere); the Python example checks the same canonical bytes and signatures.",
            "key_id": signer.key_id(),
            "seed": seed,
            "public_key": signer.public_key(),
            "cases": cases,
        })
    }

    #[test]
    fn the_shared_signature_vector_is_what_this_code_signs() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/csdc/tests/signature_vector.json"
        );
        let built = signature_vector();
        if std::env::var_os("ASSETHUB_WRITE_SIGNATURE_VECTOR").is_some() {
            let text = serde_json::to_string_pretty(&built).unwrap() + "\n";
            std::fs::write(path, text).unwrap();
        }
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(file, built, "{path} differs from what signature.rs signs");
        let trusted = TrustedKeys::default()
            .with("vector-1", built["public_key"].as_str().unwrap())
            .unwrap();
        let quantity = &built["cases"][0];
        assert!(quantity["canonical"]
            .as_str()
            .unwrap()
            .ends_with(",\"12000\"]"));
        assert!(trusted
            .verify(
                &SignedFields::of(&{
                    let mut i = instruction();
                    i.key = "ord-vector-freeze_quantity".into();
                    i.asset = "A110105002-600000".into();
                    i.action = ControlAction::FreezeQuantity {
                        quantity: 12_000,
                        until: CivilDate::parse("2027-06-30").unwrap(),
                    };
                    i
                }),
                Some(&InstructionSignature {
                    key_id: "vector-1".into(),
                    signed_at: 1_790_000_000,
                    signature: quantity["signature"].as_str().unwrap().into(),
                }),
                1_790_000_000,
            )
            .is_ok());
    }

    #[test]
    fn fields_cannot_be_shifted_between_positions() {
        let a = SignedFields {
            ruling: "x".into(),
            officer: "".into(),
            ..SignedFields::default()
        };
        let b = SignedFields {
            ruling: "".into(),
            officer: "x".into(),
            ..SignedFields::default()
        };
        assert_ne!(a.canonical(1), b.canonical(1));
    }
}
