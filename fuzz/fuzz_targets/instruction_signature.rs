//! TrustedKeys::verify (trusting the demo key) on instructions and signatures built from the input bytes (via
//! `arbitrary`): arbitrary garbage, well-formed base64 of arbitrary 64 bytes, and genuine demo
//! signatures that are then tampered with (a field, the amount, the signing time, a signature
//! bit, the key id, another key). It must never panic, and must return exactly what an
//! independent oracle expects: it accepts only the demo key's own signature over the very
//! fields and signing time presented, made within FRESHNESS_SECS of `now`.
#![no_main]

use arbitrary::Arbitrary;
use assethub_connectors::signature::{
    InstructionSignature, SignatureError, SignedFields, TrustedKeys, FRESHNESS_SECS,
};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const DEMO_KEY_ID: &str = "demo-1";

#[derive(Arbitrary, Debug, Clone)]
struct Fields {
    key: String,
    case: String,
    court: String,
    ruling: String,
    officer: String,
    asset: String,
    debtor_id: String,
    debtor_name: String,
    action: String,
    amount_fen: i64,
    hold: String,
    until: String,
    into_account: String,
    /// A freeze by quantity signs one more element.
    quantity: Option<u64>,
}

impl Fields {
    fn signed(&self) -> SignedFields {
        SignedFields {
            key: self.key.clone(),
            case: self.case.clone(),
            court: self.court.clone(),
            ruling: self.ruling.clone(),
            officer: self.officer.clone(),
            asset: self.asset.clone(),
            debtor_id: self.debtor_id.clone(),
            debtor_name: self.debtor_name.clone(),
            action: self.action.clone(),
            amount_fen: self.amount_fen,
            hold: self.hold.clone(),
            until: self.until.clone(),
            into_account: self.into_account.clone(),
            quantity: self.quantity,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Tamper {
    None,
    /// Replace one of the 12 text fields.
    Field(u8, String),
    Amount(i64),
    Quantity(Option<u64>),
    SignedAt(i64),
    /// Flip bits of one signature byte.
    SignatureBit(u8, u8),
    KeyId(String),
    /// Signed by another key (seed) under the demo key id.
    OtherKey([u8; 32]),
}

#[derive(Arbitrary, Debug)]
enum Presented {
    Missing,
    /// Anything at all in the signature's fields.
    Garbage {
        key_id: String,
        signed_at: i64,
        signature: String,
    },
    /// Well-formed: the demo key id and base64 of 64 arbitrary bytes.
    Raw {
        signed_at: i64,
        bytes: [u8; 64],
    },
    /// A genuine demo signature, made `age` seconds before `now` (any i64), then tampered.
    Genuine {
        age: i64,
        tamper: Tamper,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    fields: Fields,
    /// The agency's clock: any Unix second up to ~2^33 (year 2242).
    now: u32,
    now_high: bool,
    presented: Presented,
}

fn demo_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    // The documented demo seed (`assethub_mocks::demo_keys`), derived independently here.
    KEY.get_or_init(|| {
        SigningKey::from_bytes(&Sha256::digest(b"assethub demo instruction key").into())
    })
}

fn trusted() -> &'static TrustedKeys {
    static KEYS: OnceLock<TrustedKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let public = B64.encode(demo_key().verifying_key().as_bytes());
        TrustedKeys::default()
            .with(DEMO_KEY_ID, &public)
            .expect("the demo key is a valid public key")
    })
}

fn sign(key: &SigningKey, fields: &SignedFields, signed_at: i64) -> String {
    B64.encode(key.sign(&fields.canonical(signed_at)).to_bytes())
}

fn set_field(f: &mut SignedFields, which: u8, value: String) {
    let slot = match which % 12 {
        0 => &mut f.key,
        1 => &mut f.case,
        2 => &mut f.court,
        3 => &mut f.ruling,
        4 => &mut f.officer,
        5 => &mut f.asset,
        6 => &mut f.debtor_id,
        7 => &mut f.debtor_name,
        8 => &mut f.action,
        9 => &mut f.hold,
        10 => &mut f.until,
        _ => &mut f.into_account,
    };
    *slot = value;
}

fuzz_target!(|input: Input| {
    let now = i64::from(input.now) + if input.now_high { 1 << 32 } else { 0 };
    let original = input.fields.signed();
    let mut fields = original.clone();

    let signature = match input.presented {
        Presented::Missing => None,
        Presented::Garbage {
            key_id,
            signed_at,
            signature,
        } => Some(InstructionSignature {
            key_id,
            signed_at,
            signature,
        }),
        Presented::Raw { signed_at, bytes } => Some(InstructionSignature {
            key_id: DEMO_KEY_ID.into(),
            signed_at,
            signature: B64.encode(bytes),
        }),
        Presented::Genuine { age, tamper } => {
            let signed_at = now.wrapping_sub(age);
            let mut sig = InstructionSignature {
                key_id: DEMO_KEY_ID.into(),
                signed_at,
                signature: sign(demo_key(), &original, signed_at),
            };
            match tamper {
                Tamper::None => {}
                Tamper::Field(which, value) => set_field(&mut fields, which, value),
                Tamper::Amount(amount) => fields.amount_fen = amount,
                Tamper::Quantity(quantity) => fields.quantity = quantity,
                Tamper::SignedAt(at) => sig.signed_at = at,
                Tamper::SignatureBit(at, flip) => {
                    let mut bytes = B64.decode(&sig.signature).expect("own base64");
                    bytes[usize::from(at) % 64] ^= flip;
                    sig.signature = B64.encode(bytes);
                }
                Tamper::KeyId(id) => sig.key_id = id,
                Tamper::OtherKey(seed) => {
                    sig.signature = sign(&SigningKey::from_bytes(&seed), &original, signed_at)
                }
            }
            // The canonical encoding is injective: any change of a field or of the signing
            // time changes the signed bytes.
            if fields != original || sig.signed_at != signed_at {
                assert_ne!(
                    fields.canonical(sig.signed_at),
                    original.canonical(signed_at),
                    "two different instructions share their signed bytes"
                );
            }
            Some(sig)
        }
    };

    // Oracle. Ed25519 signing is deterministic and the fuzzer holds no key but the ones above,
    // so "really matches" means: the demo key's own signature over these bytes.
    let skew = signature
        .as_ref()
        .map(|s| i128::from(s.signed_at) - i128::from(now));
    let expected = match &signature {
        None => Err(SignatureError::Missing),
        Some(s) if s.key_id != DEMO_KEY_ID => Err(SignatureError::UnknownKey(s.key_id.clone())),
        Some(s) if B64.decode(&s.signature).map_or(true, |b| b.len() != 64) => {
            Err(SignatureError::Malformed)
        }
        Some(s) if s.signature != sign(demo_key(), &fields, s.signed_at) => {
            Err(SignatureError::Mismatch)
        }
        Some(_) => match skew.unwrap_or_default() {
            d if d.abs() > i128::from(FRESHNESS_SECS) => Err(SignatureError::Stale(
                i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX }),
            )),
            _ => Ok(()),
        },
    };
    let got = trusted().verify(&fields, signature.as_ref(), now);
    assert_eq!(
        got, expected,
        "fields {fields:?}, signature {signature:?}, now {now}"
    );
});
