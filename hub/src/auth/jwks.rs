//! An issuer's signing keys as a JWKS (RFC 7517 key set, the file identity providers publish
//! at their `jwks_uri`): each key's id (`kid`), the one algorithm it verifies, and the key.
//!
//! A key verifies exactly one algorithm, decided by the key itself (Ed25519 → EdDSA, P-256 →
//! ES256, P-384 → ES384, RSA → RS256 or the `alg` the key names); a token whose header names
//! another algorithm is refused before any signature check. Symmetric (`oct`) keys are refused:
//! a shared secret in a key set lets anyone who can read it mint tokens.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

/// One usable key.
pub struct VerifyKey {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: DecodingKey,
    /// Base64url of an Ed25519 public key (to recognise the public demo key), else empty.
    pub ed25519_x: String,
}

/// An issuer's keys.
pub struct Jwks {
    keys: Vec<VerifyKey>,
}

/// Why a token's key could not be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    /// The token names a `kid` the issuer's key set does not hold.
    UnknownKid(String),
    /// The key set holds several keys and the token names none.
    KidRequired,
}

impl Jwks {
    /// Parses a JWKS document (`{"keys": [...]}`); every key must be usable.
    pub fn parse(json: &str) -> Result<Self, String> {
        let set: JwkSet =
            serde_json::from_str(json).map_err(|e| format!("not a JWKS document: {e}"))?;
        if set.keys.is_empty() {
            return Err("the key set holds no keys".into());
        }
        let keys = set.keys.iter().map(key).collect::<Result<Vec<_>, _>>()?;
        let mut kids: Vec<_> = keys.iter().filter_map(|k| k.kid.as_deref()).collect();
        kids.sort_unstable();
        if kids.windows(2).any(|w| w[0] == w[1]) {
            return Err("two keys share one kid".into());
        }
        if keys.len() > 1 && keys.iter().any(|k| k.kid.is_none()) {
            return Err("a key set of several keys needs a kid on every key".into());
        }
        Ok(Self { keys })
    }

    /// The key a token's `kid` names; without one, the only key.
    pub fn select(&self, kid: Option<&str>) -> Result<&VerifyKey, KeyChoice> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or_else(|| KeyChoice::UnknownKid(kid.chars().take(64).collect())),
            None if self.keys.len() == 1 => Ok(&self.keys[0]),
            None => Err(KeyChoice::KidRequired),
        }
    }

    /// Whether any key is the Ed25519 public key `x` (base64url).
    pub fn has_ed25519(&self, x: &str) -> bool {
        self.keys.iter().any(|k| k.ed25519_x == x)
    }
}

/// The algorithm a key verifies, from its type and curve, checked against the `alg` it names.
fn key(jwk: &Jwk) -> Result<VerifyKey, String> {
    let kid = jwk.common.key_id.clone();
    let name = kid.as_deref().unwrap_or("(no kid)");
    let mut ed25519_x = String::new();
    let alg = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            ed25519_x = p.x.clone();
            Algorithm::EdDSA
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P384 => Algorithm::ES384,
        AlgorithmParameters::RSA(_) => match jwk.common.key_algorithm {
            None | Some(KeyAlgorithm::RS256) => Algorithm::RS256,
            Some(KeyAlgorithm::RS384) => Algorithm::RS384,
            Some(KeyAlgorithm::RS512) => Algorithm::RS512,
            Some(KeyAlgorithm::PS256) => Algorithm::PS256,
            Some(other) => return Err(format!("key {name}: RSA key with alg {other:?}")),
        },
        _ => {
            return Err(format!(
                "key {name}: only Ed25519 (EdDSA), P-256 (ES256), P-384 (ES384) and RSA keys are accepted"
            ))
        }
    };
    if let Some(named) = jwk.common.key_algorithm {
        if format!("{named:?}") != format!("{alg:?}") {
            return Err(format!(
                "key {name}: names alg {named:?} but its key type verifies {alg:?}"
            ));
        }
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {name}: {e}"))?;
    Ok(VerifyKey {
        kid,
        alg,
        key,
        ed25519_x,
    })
}
