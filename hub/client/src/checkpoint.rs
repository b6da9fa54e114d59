//! Signed checkpoints of the audit chain, after Certificate Transparency's signed tree heads
//! (RFC 6962 §3.5, RFC 9162 §4.10): the hub signs "the log had N entries and its newest hash
//! was H, at time T" with an Ed25519 key kept outside the database, and auditors keep those
//! statements anywhere they like. An insider who can write the database can recompute every
//! hash of a rewritten chain, or delete the newest entries and move the head back, but cannot
//! forge a checkpoint: a kept checkpoint that the log no longer extends shows the rewrite.
//!
//! This module holds the checkpoint itself, its canonical signed encoding, its JSON line (the
//! shape of the checkpoint file and of `hubctl --json audit checkpoint`) and the key. No
//! database and no file: the hub's `audit::checkpointer` signs and judges them, its
//! `audit::checkpoint_file` keeps them; it lives in the client crate so auditors' tools read
//! and verify checkpoints without the hub's code.
//!
//! The signed bytes are, for version 1, the fields `assethub-audit-checkpoint-v1`, key id,
//! entries (decimal), head hash (64 lower-case hex), at_ms (decimal), each written as
//! `<byte length>:<bytes>\n` — the entry encoding of `chain`, so no two checkpoints encode
//! alike. The signature is Ed25519 over those bytes, base64 (standard alphabet).

use assethub_proto::v1 as pb;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use serde::{Deserialize, Serialize};

/// The version of the signed encoding this hub writes and reads.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Tag of version 1 of the signed encoding.
const TAG_V1: &str = "assethub-audit-checkpoint-v1";

/// Most checkpoints one VerifyAudit request may carry.
pub const MAX_CHECKPOINTS: usize = 1000;

/// Each field as `<byte length>:<bytes>\n`, in order: no two different field lists encode
/// alike. Shared by the checkpoint encoding and the hub's audit entry encoding (`audit::chain`).
pub fn length_prefixed(fields: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 8).sum());
    for field in fields {
        out.extend_from_slice(field.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(field.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Longest key id accepted (configuration and checkpoints presented).
pub const MAX_KEY_ID: usize = 64;

/// One signed checkpoint, as kept in the checkpoint file (one JSON line each):
/// `{"v":1,"key_id":..,"entries":N,"head_hash":..,"at_ms":..,"signature":..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Version of the signed encoding ([`CHECKPOINT_VERSION`]).
    pub v: u32,
    /// Which key signed it.
    pub key_id: String,
    /// Entries the log had: the newest entry's number.
    pub entries: u64,
    /// The newest entry's hash (64 zeros for an empty log).
    pub head_hash: String,
    /// Unix milliseconds when it was signed.
    pub at_ms: i64,
    /// Base64 Ed25519 signature over [`Checkpoint::signed_bytes`].
    pub signature: String,
}

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        length_prefixed(&[
            TAG_V1,
            &self.key_id,
            &self.entries.to_string(),
            &self.head_hash,
            &self.at_ms.to_string(),
        ])
    }

    /// The checkpoint as one line of JSON (no newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A checkpoint from one line of JSON, checked for shape ([`Checkpoint::problems`]).
    pub fn from_json_line(line: &str) -> Result<Self, String> {
        let checkpoint: Self = serde_json::from_str(line.trim()).map_err(|e| e.to_string())?;
        match checkpoint.problems().first() {
            None => Ok(checkpoint),
            Some((field, problem)) => Err(format!("{field}: {problem}")),
        }
    }

    /// What is malformed, by field (`v`, `key_id`, ...): an unknown version, a key id that is
    /// empty or too long, a head hash that is not 64 lower-case hex characters, a signature
    /// that is not 64 base64 bytes, a count or time out of range. Empty when well formed;
    /// whether the signature matches is another question.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.v != CHECKPOINT_VERSION {
            problems.push((
                "v",
                format!(
                    "unknown version {}; this hub reads {CHECKPOINT_VERSION}",
                    self.v
                ),
            ));
        }
        if let Err(problem) = check_key_id(&self.key_id) {
            problems.push(("key_id", problem));
        }
        if i64::try_from(self.entries).is_err() {
            problems.push(("entries", "out of range".to_string()));
        }
        let hex64 = self.head_hash.len() == 64
            && self
                .head_hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex64 {
            problems.push((
                "head_hash",
                "must be 64 lower-case hex characters".to_string(),
            ));
        }
        if self.at_ms <= 0 {
            problems.push((
                "at_ms",
                "must be a positive Unix time in milliseconds".to_string(),
            ));
        }
        if signature_bytes(&self.signature).is_none() {
            problems.push((
                "signature",
                "must be a base64 Ed25519 signature (64 bytes)".to_string(),
            ));
        }
        problems
    }
}

fn signature_bytes(text: &str) -> Option<[u8; 64]> {
    B64.decode(text).ok()?.try_into().ok()
}

impl From<Checkpoint> for pb::AuditCheckpoint {
    fn from(c: Checkpoint) -> Self {
        Self {
            version: c.v,
            key_id: c.key_id,
            entries: c.entries,
            head_hash: c.head_hash,
            at_ms: c.at_ms,
            signature: c.signature,
        }
    }
}

impl From<pb::AuditCheckpoint> for Checkpoint {
    fn from(c: pb::AuditCheckpoint) -> Self {
        Self {
            v: c.version,
            key_id: c.key_id,
            entries: c.entries,
            head_hash: c.head_hash,
            at_ms: c.at_ms,
            signature: c.signature,
        }
    }
}

/// Why a checkpoint's signature is not the hub's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    #[error("signed by key {0:?}, not by this hub's checkpoint key {1:?}")]
    OtherKey(String, String),
    #[error("the signature does not match the checkpoint's fields under key {0:?} (altered after signing, or signed by another key)")]
    Mismatch(String),
    #[error("malformed: {0}")]
    Malformed(String),
}

/// The hub's checkpoint key (Ed25519). Never stored in the database.
#[derive(Clone)]
pub struct CheckpointKey {
    key_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey")
            .field("key_id", &self.key_id)
            .field("public_key", &self.public_key())
            .finish()
    }
}

impl CheckpointKey {
    /// A key from a base64 32-byte Ed25519 seed.
    pub fn from_seed(key_id: &str, seed_b64: &str) -> Result<Self, String> {
        check_key_id(key_id)?;
        let bytes = B64.decode(seed_b64.trim()).map_err(|e| e.to_string())?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "an Ed25519 seed is 32 bytes".to_string())?;
        Ok(Self {
            key_id: key_id.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Base64 of the 32-byte public key, for auditors who verify checkpoints themselves.
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().as_bytes())
    }

    /// Signs "the log had `entries` entries, the newest hashed `head_hash`, at `at_ms`".
    pub fn sign(&self, entries: u64, head_hash: &str, at_ms: i64) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            v: CHECKPOINT_VERSION,
            key_id: self.key_id.clone(),
            entries,
            head_hash: head_hash.to_string(),
            at_ms,
            signature: String::new(),
        };
        checkpoint.signature = B64.encode(self.key.sign(&checkpoint.signed_bytes()).to_bytes());
        checkpoint
    }

    /// Whether this key signed `checkpoint` as it is.
    pub fn verify(&self, checkpoint: &Checkpoint) -> Result<(), SignatureProblem> {
        if let Some((field, problem)) = checkpoint.problems().into_iter().next() {
            return Err(SignatureProblem::Malformed(format!("{field}: {problem}")));
        }
        if checkpoint.key_id != self.key_id {
            return Err(SignatureProblem::OtherKey(
                checkpoint.key_id.clone(),
                self.key_id.clone(),
            ));
        }
        let bytes = signature_bytes(&checkpoint.signature)
            .ok_or_else(|| SignatureProblem::Malformed("signature".into()))?;
        self.key
            .verifying_key()
            .verify_strict(&checkpoint.signed_bytes(), &Signature::from_bytes(&bytes))
            .map_err(|_| SignatureProblem::Mismatch(self.key_id.clone()))
    }
}

/// A key id is 1 to [`MAX_KEY_ID`] printable ASCII characters without spaces.
pub fn check_key_id(key_id: &str) -> Result<(), String> {
    if key_id.is_empty()
        || key_id.len() > MAX_KEY_ID
        || !key_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(format!(
            "a key id is 1 to {MAX_KEY_ID} printable ASCII characters without spaces"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "84cefd75bf1f608119a4d2b1d87278fa1941fffdb9191a15e32511ef47fd4209";

    fn key() -> CheckpointKey {
        CheckpointKey::from_seed("cp-1", &B64.encode([7u8; 32])).unwrap()
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_round_trips_as_json() {
        let cp = key().sign(12, HEAD, 1_714_521_600_000);
        assert_eq!(key().verify(&cp), Ok(()));
        let line = cp.to_json_line();
        assert!(
            line.starts_with(&format!(
                r#"{{"v":1,"key_id":"cp-1","entries":12,"head_hash":"{HEAD}","at_ms":1714521600000,"signature":""#
            )),
            "{line}"
        );
        assert_eq!(Checkpoint::from_json_line(&line), Ok(cp.clone()));
        let proto = pb::AuditCheckpoint::from(cp.clone());
        assert_eq!(Checkpoint::from(proto), cp);
    }

    #[test]
    fn the_signed_bytes_are_versioned_and_length_prefixed() {
        let cp = key().sign(12, HEAD, 5);
        assert_eq!(
            cp.signed_bytes(),
            format!("28:assethub-audit-checkpoint-v1\n4:cp-1\n2:12\n64:{HEAD}\n1:5\n").into_bytes()
        );
        // Ed25519 is deterministic: the same key and fields give the same signature, so a
        // change of the encoding shows here.
        assert_eq!(cp.signature, key().sign(12, HEAD, 5).signature);
    }

    #[test]
    fn any_altered_field_or_another_key_is_refused() {
        let cp = key().sign(12, HEAD, 1_714_521_600_000);
        let altered = [
            Checkpoint {
                entries: 13,
                ..cp.clone()
            },
            Checkpoint {
                at_ms: cp.at_ms + 1,
                ..cp.clone()
            },
            Checkpoint {
                head_hash: HEAD.replace('8', "9"),
                ..cp.clone()
            },
        ];
        for bad in altered {
            assert!(
                matches!(key().verify(&bad), Err(SignatureProblem::Mismatch(_))),
                "{bad:?}"
            );
        }
        let renamed = Checkpoint {
            key_id: "cp-2".into(),
            ..cp.clone()
        };
        assert!(matches!(
            key().verify(&renamed),
            Err(SignatureProblem::OtherKey(..))
        ));
        let other = CheckpointKey::from_seed("cp-1", &B64.encode([8u8; 32])).unwrap();
        let forged = other.sign(12, HEAD, cp.at_ms);
        assert!(matches!(
            key().verify(&forged),
            Err(SignatureProblem::Mismatch(_))
        ));
        assert_ne!(other.public_key(), key().public_key());
    }

    #[test]
    fn malformed_checkpoints_name_the_field() {
        let cp = key().sign(12, HEAD, 1);
        let bad = Checkpoint {
            v: 2,
            key_id: String::new(),
            entries: u64::MAX,
            head_hash: HEAD.to_uppercase(),
            at_ms: 0,
            signature: "not base64!".into(),
        };
        let fields: Vec<&str> = bad.problems().iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["v", "key_id", "entries", "head_hash", "at_ms", "signature"]
        );
        assert!(cp.problems().is_empty());
        assert!(Checkpoint::from_json_line("{}").is_err());
        let short = Checkpoint {
            signature: B64.encode([1u8; 10]),
            ..cp
        };
        assert!(Checkpoint::from_json_line(&short.to_json_line())
            .unwrap_err()
            .starts_with("signature:"));
    }

    #[test]
    fn key_ids_and_seeds_are_checked() {
        assert!(CheckpointKey::from_seed("", &B64.encode([7u8; 32])).is_err());
        assert!(CheckpointKey::from_seed("has space", &B64.encode([7u8; 32])).is_err());
        assert!(CheckpointKey::from_seed("k", &B64.encode([7u8; 31])).is_err());
        assert!(CheckpointKey::from_seed("k", "!!").is_err());
        assert_ne!(
            CheckpointKey::from_seed("cp-1", &B64.encode([8u8; 32]))
                .unwrap()
                .public_key(),
            key().public_key()
        );
        assert!(!format!("{:?}", key()).contains(&B64.encode([7u8; 32])));
    }
}
