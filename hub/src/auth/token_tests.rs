//! Tokens from a JWKS of two keys (EdDSA and ES256, chosen by kid), and every way a token is
//! refused. Tokens are signed here with jsonwebtoken directly (ES256) or by the development
//! issuer (EdDSA), and the refusals are the literal reasons the hub gives.

use super::*;
use crate::auth::{ClaimMapping, TokenIssuer};
use crate::identity::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

const NOW: i64 = 1_800_000_000;

/// An ES256 key: its signing key and its JWK (kid `ec-1`).
fn ec_key() -> (EncodingKey, Value) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let raw = pair.public_key_raw(); // 0x04 || x || y
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": "ec-1", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
    });
    (EncodingKey::from_ec_der(&pair.serialize_der()), jwk)
}

fn ed_issuer() -> TokenIssuer {
    TokenIssuer::from_seed("https://idp.court.example", "ed-1", STANDARD_SEED).unwrap()
}

const STANDARD_SEED: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn payload() -> Value {
    json!({
        "iss": "https://idp.court.example", "sub": "judge-0042", "aud": "assethub",
        "court": "鄂0116", "role": "judge", "officer": "王法官", "jti": "t-1",
        "iat": NOW - 60, "nbf": NOW - 60, "exp": NOW + 3_600,
    })
}

fn verifier(ec_jwk: &Value) -> TokenVerifier {
    let ed: Value = serde_json::from_str(&ed_issuer().jwks()).unwrap();
    let jwks = json!({"keys": [ed["keys"][0], ec_jwk]}).to_string();
    TokenVerifier::new(TokenPolicy {
        audience: "assethub".into(),
        max_lifetime_secs: 86_400,
        skew_secs: 30,
    })
    .trust(TrustedIssuer {
        name: "https://idp.court.example".into(),
        keys: Jwks::parse(&jwks).unwrap(),
        mapping: ClaimMapping::default(),
    })
}

fn es256(key: &EncodingKey, kid: &str, payload: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, payload, key).unwrap()
}

#[test]
fn eddsa_and_es256_tokens_verify_with_the_key_their_kid_names() {
    let (ec, jwk) = ec_key();
    let hub = verifier(&jwk);
    let by_ed = hub.verify(&ed_issuer().sign(&payload()), NOW).unwrap();
    let by_ec = hub.verify(&es256(&ec, "ec-1", &payload()), NOW).unwrap();
    for claims in [by_ed, by_ec] {
        assert_eq!(
            (claims.sub.as_str(), claims.court.as_str(), claims.role),
            ("judge-0042", "鄂0116", Role::Judge)
        );
        assert_eq!((claims.jti.as_str(), claims.exp), ("t-1", NOW + 3_600));
    }
    // The EC signature under the Ed25519 key's kid: the header's alg is not that key's.
    assert_eq!(
        hub.verify(&es256(&ec, "ed-1", &payload()), NOW),
        Err(TokenError::AlgMismatch {
            header: "ES256".into(),
            key: "EdDSA".into()
        })
    );
    assert_eq!(
        hub.verify(&es256(&ec, "ec-9", &payload()), NOW),
        Err(TokenError::UnknownKid("ec-9".into()))
    );
}

#[test]
fn every_refusal_says_why() {
    let (_, jwk) = ec_key();
    let hub = verifier(&jwk);
    let with = |change: Value| {
        let mut p = payload();
        for (k, v) in change.as_object().unwrap() {
            p[k] = v.clone();
        }
        hub.verify(&ed_issuer().sign(&p), NOW)
    };
    let cases = [
        (
            json!({"aud": "another-hub"}),
            TokenError::WrongAudience("assethub".into()),
        ),
        (
            json!({"aud": ["x", "y"]}),
            TokenError::WrongAudience("assethub".into()),
        ),
        (json!({"exp": NOW - 31}), TokenError::Expired),
        (json!({"nbf": NOW + 31}), TokenError::NotYetValid),
        (json!({"iat": NOW + 31}), TokenError::IssuedInFuture),
        (
            json!({"exp": NOW - 60 + 86_401}),
            TokenError::TooLong {
                lifetime: 86_401,
                max: 86_400,
            },
        ),
        (
            json!({"exp": i64::MAX}),
            TokenError::TooLong {
                lifetime: i64::MAX - (NOW - 60),
                max: 86_400,
            },
        ),
        (json!({"exp": null}), TokenError::MissingTime("exp")),
        (json!({"iat": "yesterday"}), TokenError::MissingTime("iat")),
        (
            json!({"iss": "https://evil.example"}),
            TokenError::UnknownIssuer("https://evil.example".into()),
        ),
        (
            json!({"role": "judge", "officer": ""}),
            TokenError::BadClaims("an officer is required for the role judge".into()),
        ),
    ];
    for (change, refusal) in cases {
        assert_eq!(with(change.clone()), Err(refusal), "{change}");
    }
    // Within the skew: accepted.
    assert!(with(json!({"exp": NOW - 29, "iat": NOW - 600, "nbf": NOW + 29})).is_ok());
    assert!(with(json!({"aud": ["x", "assethub"]})).is_ok());

    // alg none: an unsigned token with a valid payload.
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!("{}.{}.", part(json!({"alg": "none"})), part(payload()));
    assert_eq!(hub.verify(&unsigned, NOW), Err(TokenError::Unsigned));
    // HS256 "signed" with the Ed25519 public key as the secret (algorithm confusion).
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("ed-1".into());
    let x = ed_issuer().public_x();
    let confused =
        jsonwebtoken::encode(&hs, &payload(), &EncodingKey::from_secret(x.as_bytes())).unwrap();
    assert_eq!(
        hub.verify(&confused, NOW),
        Err(TokenError::AlgMismatch {
            header: "HS256".into(),
            key: "EdDSA".into()
        })
    );
    // Without a kid, a key set of two keys cannot say which.
    let token = ed_issuer().sign(&payload());
    let stripped = {
        let (_, rest) = token.split_once('.').unwrap();
        format!("{}.{rest}", part(json!({"alg": "EdDSA", "typ": "JWT"})))
    };
    assert_eq!(hub.verify(&stripped, NOW), Err(TokenError::KidRequired));
    // A signature that does not match.
    let good = ed_issuer().sign(&payload());
    let (head, rest) = good.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut other = payload();
    other["court"] = json!("鄂01");
    let tampered = format!("{head}.{}.{sig}", part(other));
    assert_eq!(hub.verify(&tampered, NOW), Err(TokenError::BadSignature));
    for junk in ["", "a.b", "a.b.c", "Bearer x", "e30.e30.e30.e30"] {
        assert!(hub.verify(junk, NOW).is_err(), "{junk}");
    }
}

#[test]
fn key_sets_are_checked_when_read() {
    let (_, jwk) = ec_key();
    let mut lying = jwk.clone();
    lying["alg"] = json!("ES384");
    let secret = json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hs"});
    for (keys, says) in [
        (json!({"keys": []}), "no keys"),
        (json!({"keys": [lying]}), "names alg"),
        (json!({"keys": [secret]}), "only Ed25519"),
        (json!({"keys": [jwk, jwk]}), "share one kid"),
    ] {
        let err = Jwks::parse(&keys.to_string()).err().unwrap();
        assert!(err.contains(says), "{err}");
    }
}
