//! The administration's request signature: `sign` = lowercase hex SHA-256 of
//! appKey + timestamp + appSecret, with the timestamp in Unix milliseconds (the administration
//! refuses timestamps more than a few minutes off its clock).

use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

/// The signature for a request made with these credentials at `timestamp`.
pub fn sign(app_key: &str, timestamp: &str, app_secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app_key.as_bytes());
    hasher.update(timestamp.as_bytes());
    hasher.update(app_secret.as_bytes());
    hex::encode(hasher.finalize())
}

/// The current time as the `timestamp` header: Unix milliseconds.
pub fn timestamp_now() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_key_timestamp_and_secret() {
        // printf 'k1700000000000s' | sha256sum
        assert_eq!(
            sign("k", "1700000000000", "s"),
            "ea69308234fc809599f8b5934fae803c77be085338d5c57d31e2fd18afe3752e"
        );
        assert_eq!(timestamp_now().len(), 13);
    }
}
