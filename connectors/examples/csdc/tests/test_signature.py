"""The shared signature vector: bytes and signatures made by connectors/core/src/signature.rs
(its test `the_shared_signature_vector_is_what_this_code_signs` rebuilds the file), checked
here by the Python side's own canonical form and Ed25519 verification."""

import base64
import json
import os
import unittest

from signature import (FRESHNESS_SECS, SignatureRefused, SignedFields, TrustedKeys,
                       private_key_from_seed, sign)

VECTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "signature_vector.json")


class SharedVector(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(VECTOR, encoding="utf-8") as f:
            cls.vector = json.load(f)
        cls.trusted = TrustedKeys().add(cls.vector["key_id"], cls.vector["public_key"])

    def test_python_builds_the_same_canonical_bytes_as_rust(self):
        names = [c["name"] for c in self.vector["cases"]]
        self.assertIn("freeze_quantity", names)
        for case in self.vector["cases"]:
            with self.subTest(case["name"]):
                fields = SignedFields(**case["fields"])
                self.assertEqual(fields.canonical(case["signed_at"]), case["canonical"].encode("utf-8"))

    def test_rust_signatures_verify_here_and_python_signs_identically(self):
        key = private_key_from_seed(base64.b64decode(self.vector["seed"]))
        for case in self.vector["cases"]:
            with self.subTest(case["name"]):
                fields = SignedFields(**case["fields"])
                sig = {"key_id": self.vector["key_id"], "signed_at": case["signed_at"],
                       "signature": case["signature"]}
                self.trusted.verify(fields, sig, case["signed_at"] + 10)
                # Ed25519 is deterministic: the same key over the same bytes, the same signature.
                self.assertEqual(sign(key, self.vector["key_id"], fields, case["signed_at"]), sig)

    def test_only_a_quantity_freeze_appends_the_quantity(self):
        by_name = {c["name"]: c for c in self.vector["cases"]}
        self.assertEqual(json.loads(by_name["freeze_quantity"]["canonical"])[-1], "12000")
        self.assertEqual(len(json.loads(by_name["freeze_quantity"]["canonical"])), 16)
        self.assertEqual(len(json.loads(by_name["freeze_money_no_quantity"]["canonical"])), 15)
        self.assertIn("福建某某贸易有限公司", by_name["freeze_quantity_company_escapes"]["canonical"])

    def test_refusals(self):
        case = self.vector["cases"][0]
        fields = SignedFields(**case["fields"])
        sig = {"key_id": self.vector["key_id"], "signed_at": case["signed_at"], "signature": case["signature"]}
        at = case["signed_at"]

        def code(fields, sig, now):
            with self.assertRaises(SignatureRefused) as refused:
                self.trusted.verify(fields, sig, now)
            return refused.exception.code

        self.assertEqual(code(fields, None, at), "SIGNATURE_MISSING")
        self.assertEqual(code(fields, dict(sig, key_id="other"), at), "SIGNATURE_UNKNOWN_KEY")
        self.assertEqual(code(fields, dict(sig, signature="not base64!"), at), "SIGNATURE_MALFORMED")
        more = SignedFields(**dict(case["fields"], quantity=12001))
        self.assertEqual(code(more, sig, at), "SIGNATURE_MISMATCH")
        self.assertEqual(code(fields, sig, at + FRESHNESS_SECS + 1), "SIGNATURE_STALE")
        self.assertEqual(code(fields, sig, at - FRESHNESS_SECS - 1), "SIGNATURE_STALE")
        self.trusted.verify(fields, sig, at + FRESHNESS_SECS)


if __name__ == "__main__":
    unittest.main()
