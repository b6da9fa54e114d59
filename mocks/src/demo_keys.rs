//! The demo's PUBLIC keys, in one place and on the demo side only: the seed the demo hub signs
//! control instructions with (which the mock agencies trust when none is configured), the
//! audit checkpoint seed, the audit key and the demo token issuer's seed. They were derived
//! once from fixed phrases (SHA-256), so anyone can sign, forge or mint with them: they exist
//! so the demo and the tests run without setup. The production hub links none of them and
//! refuses empty seeds; it recognises these keys by their public halves
//! (`assethub_hub::config::auth`) and refuses to serve beyond loopback with any.
//!
//! Must not be imported by production code.

use assethub_connectors::signature::{InstructionSigner, TrustedKeys};

/// Id of the demo instruction key, as the mock agencies know it.
pub const INSTRUCTION_KEY_ID: &str = "demo-1";
/// Base64 Ed25519 seed of the demo instruction key (public: never in production).
pub const INSTRUCTION_KEY_SEED: &str = "CKbNolTdp/S4Xy7ae840K2tbTC0fU4ZiShodBcUXH98=";
/// Id of the demo audit checkpoint key.
pub const CHECKPOINT_KEY_ID: &str = "audit-demo-1";
/// Base64 Ed25519 seed of the demo audit checkpoint key (public: anyone can forge checkpoints).
pub const CHECKPOINT_KEY_SEED: &str = "WJmQeVjciXwY5ySiyR54FYa9msHeMYLW06xim56QsWw=";
/// The demo audit key (keys the audit log's debtor references; public).
pub const AUDIT_KEY: &str = "assethub demo audit key";
/// Name (`iss`) of the demo token issuer.
pub const TOKEN_ISSUER_NAME: &str = "demo";
/// Key id of the demo token issuer in its JWKS.
pub const TOKEN_ISSUER_KID: &str = "demo-1";
/// Base64 Ed25519 seed of the demo token issuer (public: anyone can mint any role).
pub const TOKEN_ISSUER_SEED: &str = "G/JGRNhqpGfhTY3Lp7X/+aTS8hGPl0HCyxF0ReP67Hw=";

/// The demo hub's instruction signer.
pub fn instruction_signer() -> InstructionSigner {
    InstructionSigner::from_seed(INSTRUCTION_KEY_ID, INSTRUCTION_KEY_SEED)
        .expect("the demo instruction seed is 32 bytes of base64")
}

/// What an agency trusts when none is configured: the demo hub's instruction key.
pub fn trusted_keys() -> TrustedKeys {
    let signer = instruction_signer();
    TrustedKeys::default()
        .with(signer.key_id(), &signer.public_key())
        .expect("the demo instruction key is a valid public key")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    /// The seeds are the SHA-256 of the phrases the demo keys were first derived from, so
    /// credentials, signatures and audit logs written by earlier demos stay valid.
    #[test]
    fn the_seeds_are_the_historic_demo_phrases() {
        let b64 = |phrase: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(phrase.as_bytes()))
        };
        assert_eq!(INSTRUCTION_KEY_SEED, b64("assethub demo instruction key"));
        assert_eq!(
            CHECKPOINT_KEY_SEED,
            b64("assethub demo audit checkpoint key")
        );
        assert_eq!(TOKEN_ISSUER_SEED, b64("assethub demo token issuer"));
    }

    #[test]
    fn the_trusted_keys_verify_the_signer() {
        assert_eq!(
            instruction_signer().public_key(),
            // Independent: computed with python `cryptography` from the seed above.
            "fRMhVfSBTleCMgCvXyXHLDv4PT+lofwK2tuhWFlBW8M="
        );
        let _ = trusted_keys();
    }
}
