//! The keys a mock agency trusts to seal control instructions (the court system's public
//! keys), shared by every family: the configured list or, when none is configured, the demo
//! hub's key; and the agency's signing-window clock. Each family carries the seal on its own
//! wire and answers refusals in its own codes.

use assethub_connectors::signature::TrustedKeys;
use serde::Deserialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// A public key the agency trusts to seal control instructions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstructionKey {
    pub key_id: String,
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// The keys `agency` verifies seals with: `keys` (a malformed one is logged and left out, so
/// its seals are refused), or the demo hub key when none is configured.
pub fn trusted(agency: &str, keys: &[InstructionKey]) -> TrustedKeys {
    if keys.is_empty() {
        return crate::demo_keys::trusted_keys();
    }
    keys.iter().fold(TrustedKeys::default(), |trusted, key| {
        match trusted.clone().with(&key.key_id, &key.public_key) {
            Ok(more) => more,
            Err(error) => {
                tracing::error!(%agency, key_id = %key.key_id, %error, "instruction key ignored");
                trusted
            }
        }
    })
}

/// The agency's clock for the signing window, in Unix seconds: the system time. The knobs'
/// day offset is not applied (it moves the calendar for terms and expiry, not the window).
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
