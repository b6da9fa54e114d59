"""The hub's instruction signature, checked on the agency's side.

Owns the canonical form of an instruction (proto/assethub/connector/v1/connector.proto,
`message Signature`; connectors/core/src/signature.rs builds the same bytes in Rust) and the
Ed25519 check against the hub's public keys: an instruction that is unsigned, signed by an
unknown key, altered on the way, or signed outside the 300 s window is refused. It never signs
anything except in tests (the hub signs; the connector only forwards).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOMAIN_TAG = "assethub-instruction-v1"
FRESHNESS_SECS = 300
DEMO_KEY_ID = "demo-1"


@dataclass
class SignedFields:
    """What the signature covers, as both sides rebuild it from their own wire form."""

    key: str = ""
    case: str = ""
    court: str = ""
    ruling: str = ""
    officer: str = ""
    asset: str = ""
    debtor_id: str = ""
    debtor_name: str = ""
    action: str = ""
    amount_fen: int = 0
    # Units of a freeze by quantity; None for every other action.
    quantity: int | None = None
    hold: str = ""
    until: str = ""
    into_account: str = ""

    def canonical(self, signed_at: int) -> bytes:
        values = [
            DOMAIN_TAG,
            self.key,
            self.case,
            self.court,
            self.ruling,
            self.officer,
            self.asset,
            self.debtor_id,
            self.debtor_name,
            self.action,
            str(int(self.amount_fen)),
            self.hold,
            self.until,
            self.into_account,
            str(int(signed_at)),
        ]
        if self.quantity is not None:
            values.append(str(int(self.quantity)))
        # serde_json's compact form: no spaces, non-ASCII as UTF-8, the same escapes.
        return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SignatureRefused(Exception):
    """Why an instruction's signature was refused; `code` is the agency's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class TrustedKeys:
    """Key ids and the hub public keys the agency trusts."""

    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)

    def add(self, key_id: str, public_key_b64: str) -> "TrustedKeys":
        try:
            raw = base64.b64decode(public_key_b64.strip(), validate=True)
        except (binascii.Error, ValueError) as e:
            raise ValueError(f"public key {key_id!r} is not base64") from e
        if len(raw) != 32:
            raise ValueError(f"public key {key_id!r}: an Ed25519 public key is 32 bytes")
        self.keys[key_id] = Ed25519PublicKey.from_public_bytes(raw)
        return self

    def verify(self, fields: SignedFields, signature: dict | None, now_secs: int) -> None:
        """Raises SignatureRefused unless `signature` ({key_id, signed_at, signature}) is good."""
        if not signature or not signature.get("signature"):
            raise SignatureRefused("SIGNATURE_MISSING", "the instruction is not signed")
        key = self.keys.get(str(signature.get("key_id", "")))
        if key is None:
            raise SignatureRefused("SIGNATURE_UNKNOWN_KEY", "the instruction was signed by an unknown key")
        try:
            signed_at = int(signature.get("signed_at"))
            raw = base64.b64decode(str(signature["signature"]), validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise SignatureRefused("SIGNATURE_MALFORMED", "the signature is malformed") from None
        if len(raw) != 64:
            raise SignatureRefused("SIGNATURE_MALFORMED", "the signature is malformed")
        try:
            key.verify(raw, fields.canonical(signed_at))
        except InvalidSignature:
            raise SignatureRefused(
                "SIGNATURE_MISMATCH", "the signature does not match the instruction"
            ) from None
        if abs(signed_at - now_secs) > FRESHNESS_SECS:
            raise SignatureRefused(
                "SIGNATURE_STALE",
                f"the instruction was signed {signed_at - now_secs} s from now, "
                f"outside the {FRESHNESS_SECS} s window",
            )


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_b64(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def demo_private_key() -> Ed25519PrivateKey:
    """The demo hub's key (assethub_mocks::demo_keys in Rust): never for production."""
    return private_key_from_seed(hashlib.sha256(b"assethub demo instruction key").digest())


def demo_public_key() -> str:
    return public_key_b64(demo_private_key())


def sign(private: Ed25519PrivateKey, key_id: str, fields: SignedFields, signed_at: int) -> dict:
    """A signature as the hub makes it (tests and scripts only)."""
    raw = private.sign(fields.canonical(signed_at))
    return {
        "key_id": key_id,
        "signed_at": signed_at,
        "signature": base64.b64encode(raw).decode(),
    }
