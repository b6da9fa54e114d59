"""The mock depository's rules, over HTTP: inquiries, freeze by quantity (full, partial),
queueing behind another court and promotion, release, renewal, idempotent keys, status by key,
expiry on the agency's Beijing today, signature refusals, the admin endpoints the Rust mocks
serve (exact export format), faults, and the register kept in a file. Expected values are
written out here (the oracle), not computed by the agency's code."""

import os
import stat
import tempfile
import time
import unittest

from helpers import (COMPANY, MOUTAI, OUTSIDE_MOUTAI, SPDB, ZHANG, RunningAgency, freeze,
                     instruction, signed)

# mocks/src/holds/export.rs: HoldRow and KeyedHold field names, plus this agency's quantities.
HOLD_ROW = {"id", "asset", "kind", "court", "case", "ruling", "status", "queue_position",
            "requested_fen", "held_fen", "deducted_fen", "since", "until", "placed_by"}
KEYED_HOLD = {"key", "instruction", "hold", "asset", "kind", "court", "case", "status",
              "queue_position", "held_fen", "deducted_fen", "until"}
QUANTITIES_ROW = {"unit", "requested_quantity", "held_quantity"}
QUANTITIES_KEYED = {"unit", "held_quantity"}

OTHER_COURT = {"court": "鄂0102", "case": "(2025)鄂0102执77号"}


class AgencyTest(unittest.TestCase):
    def setUp(self):
        self.a = RunningAgency()

    def tearDown(self):
        self.a.stop()

    def post(self, path, body):
        return self.a.call("POST", path, body)

    def test_inquiry_answers_found_not_found_and_name_mismatch(self):
        status, _, body = self.post("/api/v1/inquiry", dict(ZHANG, case_number="(2024)鄂0116执1234号"))
        self.assertEqual((status, body["result"]), (200, "found"))
        spdb = {p["id"]: p for p in body["positions"]}[SPDB]
        self.assertEqual((spdb["code"], spdb["name"], spdb["shares"], spdb["price_fen"]),
                         ("600000", "浦发银行", 20_000, 1_052))
        self.assertEqual(spdb["market_value_fen"], 21_040_000)
        self.assertEqual({p["code"] for p in body["positions"]}, {"600000", "000001"})
        _, _, other = self.post("/api/v1/inquiry", {"id_number": "11010519491231002X", "name": "张卫",
                                                    "case_number": "x"})
        self.assertEqual(other, {"result": "name_mismatch"})
        _, _, nobody = self.post("/api/v1/inquiry", {"id_number": "110105198001010016", "name": "张伟",
                                                     "case_number": "x"})
        self.assertEqual(nobody, {"result": "not_found"})
        status, _, bad = self.post("/api/v1/inquiry", {"name": "张伟"})
        self.assertEqual((status, bad["error"]["code"]), (400, "BAD_REQUEST"))

    def test_freeze_by_quantity_then_partial_and_the_frozen_shares_show(self):
        status, _, first = self.post("/api/v1/freeze", freeze("k1", 12_000))
        self.assertEqual(status, 200)
        self.assertEqual((first["status"], first["frozen_shares"], first["requested_shares"]),
                         ("effective", 12_000, 12_000))
        # Another court asks 10,000: 8,000 are free, it takes those and says so.
        _, _, second = self.post("/api/v1/freeze", freeze("k2", 10_000, **OTHER_COURT))
        self.assertEqual((second["status"], second["frozen_shares"]), ("effective", 8_000))
        self.assertIn("8000", second["message"])
        _, _, inquiry = self.post("/api/v1/inquiry", dict(ZHANG, case_number="x"))
        spdb = {p["id"]: p for p in inquiry["positions"]}[SPDB]
        self.assertEqual(spdb["frozen_shares"], 20_000)
        # Nothing free any more: a third freeze queues first in line.
        _, _, third = self.post("/api/v1/freeze", freeze("k3", 1_000, court="鄂01", case="(2025)鄂01执88号"))
        self.assertEqual((third["status"], third["queue_position"], third["frozen_shares"]), ("queued", 1, 0))

    def test_queue_behind_another_court_then_promotion_on_lift_and_release(self):
        company = dict(asset=MOUTAI, debtor=COMPANY)
        _, _, first = self.post("/api/v1/freeze", freeze("q1", 300, **company))
        self.assertEqual((first["status"], first["queue_position"]), ("queued", 1))
        _, _, second = self.post("/api/v1/freeze", freeze("q2", 100, **company, **OTHER_COURT))
        self.assertEqual((second["status"], second["queue_position"]), ("queued", 2))
        # 闽0102's old freeze is lifted at the counter: the first in line takes all 300.
        status, _, _ = self.post("/__admin/holds/lift", {"hold": OUTSIDE_MOUTAI})
        self.assertEqual(status, 200)
        _, _, q1 = self.a.call("GET", "/api/v1/instructions/q1")
        _, _, q2 = self.a.call("GET", "/api/v1/instructions/q2")
        self.assertEqual((q1["status"], q1["frozen_shares"]), ("effective", 300))
        self.assertEqual((q2["status"], q2["queue_position"]), ("queued", 1))
        # The first court releases: the second is promoted.
        status, _, released = self.post("/api/v1/release", signed("release", instruction(
            "release", "r1", asset=MOUTAI, debtor=COMPANY, hold=first["hold"])))
        self.assertEqual((status, released["status"], released["frozen_shares"]), (200, "released", 0))
        _, _, q2 = self.a.call("GET", "/api/v1/instructions/q2")
        self.assertEqual((q2["status"], q2["frozen_shares"], q2["queue_position"]), ("effective", 100, 0))
        # Changes since the start name the placements' keys, in order.
        _, _, changes = self.a.call("GET", "/api/v1/changes?after=0")
        self.assertEqual([(c["key"], c["answer"]["status"]) for c in changes["changes"]],
                         [("q1", "effective"), ("q2", "queued"), ("q1", "released"), ("q2", "effective")])
        _, _, later = self.a.call("GET", f"/api/v1/changes?after={changes['last']}")
        self.assertEqual(later["changes"], [])

    def test_a_resent_key_answers_the_same_hold_and_a_reused_key_is_refused(self):
        once = freeze("same", 5_000)
        _, _, a = self.post("/api/v1/freeze", once)
        _, _, b = self.post("/api/v1/freeze", freeze("same", 5_000))  # re-signed later
        self.assertEqual(a, b)
        self.assertEqual(len(self.a.holds()["holds"]), 1)
        status, _, reused = self.post("/api/v1/freeze", freeze("same", 6_000))
        self.assertEqual((status, reused["error"]["code"]), (409, "KEY_REUSED"))

    def test_status_of_an_unknown_key_is_not_known(self):
        status, _, body = self.a.call("GET", "/api/v1/instructions/never-sent")
        self.assertEqual((status, body["error"]["code"]), (404, "UNKNOWN_KEY"))

    def test_expiry_on_the_agency_s_today_promotes_the_queue_and_renewal(self):
        _, _, short = self.post("/api/v1/freeze", freeze("e1", 20_000, until="2026-12-10"))
        _, _, waits = self.post("/api/v1/freeze", freeze("e2", 5_000, until="2027-12-31", **OTHER_COURT))
        self.assertEqual(waits["status"], "queued")
        status, _, renewed = self.post("/api/v1/renew", signed("renew", instruction(
            "renew", "e1-renew", hold=short["hold"], until="2026-12-20")))
        self.assertEqual((status, renewed["until"]), (200, "2026-12-20"))
        status, _, early = self.post("/api/v1/renew", signed("renew", instruction(
            "renew", "e1-renew-2", hold=short["hold"], until="2026-12-15")))
        self.assertEqual((status, early["error"]["code"]), (400, "BAD_DATE"))
        self.post("/__admin/clock", {"today": "2026-12-20"})
        _, _, e1 = self.a.call("GET", "/api/v1/instructions/e1")
        self.assertEqual(e1["status"], "effective")  # the end date itself is still in force
        self.post("/__admin/knobs", {"clock_offset_days": 1})
        _, _, clock = self.a.call("GET", "/__admin/clock")
        self.assertEqual(clock["today"], "2026-12-21")
        _, _, e1 = self.a.call("GET", "/api/v1/instructions/e1")
        _, _, e2 = self.a.call("GET", "/api/v1/instructions/e2")
        self.assertEqual((e1["status"], e1["frozen_shares"]), ("expired", 0))
        self.assertEqual((e2["status"], e2["frozen_shares"]), ("effective", 5_000))
        status, _, late = self.post("/api/v1/renew", signed("renew", instruction(
            "renew", "e1-renew-3", hold=short["hold"], until="2027-12-31")))
        self.assertEqual((status, late["error"]["code"]), (409, "WRONG_STATE"))

    def test_signature_refusals_leave_nothing_behind(self):
        body = instruction("freeze", "s1", quantity=1_000, until="2027-06-30")
        cases = {
            "SIGNATURE_MISSING": body,
            "SIGNATURE_MISMATCH": dict(signed("freeze", body), quantity=2_000),
            "SIGNATURE_STALE": signed("freeze", body, at=int(time.time()) - 301),
            "SIGNATURE_UNKNOWN_KEY": signed("freeze", body, key_id="someone-else"),
        }
        for code, sent in cases.items():
            with self.subTest(code):
                status, _, answer = self.post("/api/v1/freeze", sent)
                self.assertEqual((status, answer["error"]["code"]), (401, code))
        self.assertEqual(self.a.holds(), {"holds": [], "keyed": []})

    def test_the_debtor_must_hold_the_position(self):
        status, _, answer = self.post("/api/v1/freeze", freeze("d1", 10, asset=MOUTAI))
        self.assertEqual((status, answer["error"]["code"]), (422, "NOT_THE_HOLDER"))
        status, _, answer = self.post("/api/v1/freeze", freeze("d2", 10, asset="A000000000-600000"))
        self.assertEqual((status, answer["error"]["code"]), (404, "NO_SUCH_POSITION"))

    def test_the_export_has_the_rust_mocks_format_and_the_quantities(self):
        _, _, placed = self.post("/api/v1/freeze", freeze("x1", 12_000))
        self.post("/api/v1/release", signed("release", instruction("release", "x2", hold=placed["hold"])))
        export = self.a.holds()
        self.assertEqual(set(export), {"holds", "keyed"})
        (row,) = export["holds"]
        self.assertEqual(set(row), HOLD_ROW | QUANTITIES_ROW)
        self.assertEqual((row["kind"], row["status"], row["placed_by"], row["held_fen"], row["requested_fen"]),
                         ("freeze", "released", "x1", 0, 0))
        self.assertEqual((row["unit"], row["requested_quantity"], row["held_quantity"]), ("shares", 12_000, 0))
        self.assertEqual((row["since"], row["until"], row["court"]), ("2026-12-01", "2027-06-30", "鄂0116"))
        self.assertEqual([(k["key"], k["instruction"]) for k in export["keyed"]], [("x1", "place"), ("x2", "change")])
        for k in export["keyed"]:
            self.assertEqual(set(k), KEYED_HOLD | QUANTITIES_KEYED)
        # The other court's paper freeze is not the hub's: never in the export.
        self.assertNotIn(OUTSIDE_MOUTAI, str(export))

    def test_faults_answer_instead_of_the_agency_and_admin_is_never_faulted(self):
        def rule(**kw):
            self.a.call("DELETE", "/__admin/faults")
            status, _, view = self.post("/__admin/faults", {"rules": [dict(endpoint="/api/v1/*", **kw)]})
            self.assertEqual(status, 200)
            return view

        inquiry = dict(ZHANG, case_number="x")
        rule(error_rate=1.0, error_status=500)
        self.assertEqual(self.post("/api/v1/inquiry", inquiry)[0], 500)
        self.assertEqual(self.a.call("GET", "/__admin/holds")[0], 200)
        view = rule(throttle_rate=1.0, retry_after_secs=7)
        status, headers, _ = self.post("/api/v1/inquiry", inquiry)
        self.assertEqual((status, headers["Retry-After"]), (429, "7"))
        rule(malformed_rate=1.0)
        status, _, raw = self.post("/api/v1/inquiry", inquiry)
        self.assertEqual(status, 200)
        self.assertIsInstance(raw, bytes)
        _, _, view = self.a.call("GET", "/__admin/faults")
        self.assertEqual((view["injected"]["error"], view["injected"]["throttle"], view["injected"]["malformed"]),
                         (1, 1, 1))
        status, _, refused = self.post("/__admin/faults", {"rules": [{"no_such_field": 1}]})
        self.assertEqual(status, 400)
        self.a.call("DELETE", "/__admin/faults")
        self.assertEqual(self.post("/api/v1/inquiry", inquiry)[0], 200)


class KeptRegister(unittest.TestCase):
    def test_the_register_survives_a_restart_in_a_private_file(self):
        with tempfile.TemporaryDirectory() as d:
            file = os.path.join(d, "csdc.json")
            a = RunningAgency(register_file=file)
            try:
                _, _, placed = a.call("POST", "/api/v1/freeze", freeze("k1", 12_000))
            finally:
                a.stop()
            self.assertEqual(stat.S_IMODE(os.stat(file).st_mode), 0o600)
            b = RunningAgency(register_file=file)
            try:
                _, _, again = b.call("GET", "/api/v1/instructions/k1")
                self.assertEqual(again, placed)
                _, _, second = b.call("POST", "/api/v1/freeze", freeze("k2", 1, **OTHER_COURT))
                self.assertNotEqual(second["hold"], placed["hold"])
            finally:
                b.stop()


if __name__ == "__main__":
    unittest.main()
