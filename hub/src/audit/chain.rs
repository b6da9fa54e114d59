//! The hash chain's arithmetic, with no database: the canonical encoding of an entry, the
//! entry hash `sha256(prev_hash || canonical(seq, entry))`, and the keyed debtor reference
//! (HMAC-SHA256, RFC 2104, written out over `sha2` so the hub needs no other crate).

use super::AuditEntry;
use sha2::{Digest, Sha256};

/// The previous hash of the first entry: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Hex characters of the HMAC kept as the debtor reference (128 bits).
pub const DEBTOR_REF_LEN: usize = 32;

/// Versions the encoding: a future change of fields starts a new tag, never reinterprets old
/// entries.
const TAG: &str = "assethub-audit-v1";

/// An unambiguous encoding of one entry and its number: a tag, then each field as
/// `<byte length>:<bytes>\n` in a fixed order, so no choice of field contents can make two
/// different entries encode alike.
pub fn canonical(seq: u64, entry: &AuditEntry) -> Vec<u8> {
    let seq = seq.to_string();
    let at = entry.at_ms.to_string();
    let fields: [&str; 12] = [
        TAG,
        &seq,
        &at,
        &entry.actor,
        &entry.court,
        &entry.role,
        &entry.method,
        &entry.case_number,
        &entry.debtor_ref,
        &entry.decision,
        &entry.outcome,
        &entry.detail,
    ];
    length_prefixed(&fields)
}

pub(crate) use assethub_client::checkpoint::length_prefixed;

/// The hash of entry `seq` following an entry whose hash is `prev_hash` (hex, as stored).
pub fn entry_hash(prev_hash: &str, seq: u64, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical(seq, entry));
    hex::encode(hasher.finalize())
}

/// HMAC-SHA256 of `message` under `key` (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The debtor reference of an identity number (or credit code): the first
/// [`DEBTOR_REF_LEN`] hex characters of its HMAC under the audit key. The number is trimmed
/// and upper-cased first, so `...002x` and `...002X` give one reference. Empty for no debtor.
pub fn debtor_ref(key: &[u8], id: &str) -> String {
    let id = id.trim().to_ascii_uppercase();
    if id.is_empty() {
        return String::new();
    }
    let mut text = hex::encode(hmac_sha256(key, id.as_bytes()));
    text.truncate(DEBTOR_REF_LEN);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2: key "Jefe".
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_entry_hash_matches_an_independent_computation() {
        // sha256("0"*64 + canonical) computed with a few lines of Python (hashlib), so a
        // refactoring of the encoding cannot silently change every stored hash.
        let entry = AuditEntry {
            at_ms: 1_714_521_600_000,
            actor: "李四 (judge-1)".into(),
            court: "鄂0116".into(),
            role: "judge".into(),
            method: "PlaceHold".into(),
            case_number: "(2024)鄂0116执1234号".into(),
            debtor_ref: "0123456789abcdef0123456789abcdef".into(),
            decision: "allowed".into(),
            outcome: "OK".into(),
            detail: String::new(),
        };
        assert_eq!(
            entry_hash(GENESIS, 1, &entry),
            "84cefd75bf1f608119a4d2b1d87278fa1941fffdb9191a15e32511ef47fd4209"
        );
    }

    #[test]
    fn encoding_separates_fields() {
        let a = AuditEntry {
            actor: "ab".into(),
            court: "c".into(),
            ..AuditEntry::default()
        };
        let b = AuditEntry {
            actor: "a".into(),
            court: "bc".into(),
            ..AuditEntry::default()
        };
        assert_ne!(canonical(1, &a), canonical(1, &b));
        assert_ne!(canonical(1, &a), canonical(2, &a));
        assert_ne!(entry_hash(GENESIS, 1, &a), entry_hash(GENESIS, 1, &b));
        assert_eq!(entry_hash(GENESIS, 1, &a).len(), 64);
    }
}
