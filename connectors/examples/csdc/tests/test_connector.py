"""The connector over real gRPC in front of a real agency: Describe, Check, Query (generic
assets), Control by quantity, ControlStatus, Notifications, and the error mapping — the table
below is the oracle (connector.proto's code → class table, read from the agency's side)."""

import json
import os
import socket
import unittest

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

import connector
from helpers import COMPANY, MOUTAI, OUTSIDE_MOUTAI, SPDB, ZHANG, RunningAgency, signed

pb2 = connector.pb2
pb2_grpc = connector.pb2_grpc

CASE = "(2024)鄂0116执1234号"
VECTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "signature_vector.json")

# fault rule at the agency → (gRPC code, ErrorInfo reason, RetryInfo seconds or None)
ERROR_TABLE = [
    ({"error_rate": 1.0, "error_status": 500}, grpc.StatusCode.INTERNAL, "SERVER", None),
    ({"error_rate": 1.0, "error_status": 503}, grpc.StatusCode.INTERNAL, "SERVER", None),
    ({"error_rate": 1.0, "error_status": 504}, grpc.StatusCode.DEADLINE_EXCEEDED, "TIMEOUT", None),
    ({"error_rate": 1.0, "error_status": 400}, grpc.StatusCode.INVALID_ARGUMENT, "REJECTED", None),
    ({"error_rate": 1.0, "error_status": 403}, grpc.StatusCode.PERMISSION_DENIED, "AUTH", None),
    ({"throttle_rate": 1.0, "retry_after_secs": 7}, grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", 7),
    ({"malformed_rate": 1.0}, grpc.StatusCode.DATA_LOSS, "MALFORMED", None),
    ({"truncated_rate": 1.0}, grpc.StatusCode.DATA_LOSS, "MALFORMED", None),
    ({"latency_ms": 1500}, grpc.StatusCode.DEADLINE_EXCEEDED, "TIMEOUT", None),
    ({"hang_rate": 1.0}, grpc.StatusCode.DEADLINE_EXCEEDED, "TIMEOUT", None),
    ({"reset_rate": 1.0}, grpc.StatusCode.UNAVAILABLE, "CONNECT", None),
]


def details(error: grpc.RpcError):
    """(ErrorInfo reason, domain, RetryInfo seconds or None) from a status's details."""
    status = rpc_status.from_call(error)
    reason = domain = retry = None
    for any_ in status.details if status else []:
        info, delay = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
        if any_.Unpack(info):
            reason, domain = info.reason, info.domain
        elif any_.Unpack(delay):
            retry = delay.retry_delay.seconds
    return reason, domain, retry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConnectorTest(unittest.TestCase):
    def setUp(self):
        self.agency = RunningAgency()
        self.server, port = connector.serve(self.agency.url, port=0, timeout_ms=1000)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = pb2_grpc.ConnectorStub(self.channel)

    def tearDown(self):
        self.channel.close()
        self.server.stop(grace=None)
        self.agency.stop()

    def ctx(self):
        return pb2.CallContext(source_id="csdc", case_number=CASE, request_id="req-1")

    def query(self, debtor=ZHANG):
        return self.stub.Query(pb2.QueryRequest(context=self.ctx(), debtor=pb2.Debtor(**debtor)), timeout=5)

    def control(self, action: str, body: dict, **oneof):
        body = signed(action, body)
        sig = body["signature"]
        instruction = pb2.Instruction(
            key=body["key"], case_number=body["case_number"], court=body["court"], ruling=body["ruling"],
            officer=body["officer"], asset=body["asset"], debtor=pb2.Debtor(**body["debtor"]),
            signature=pb2.Signature(**sig), **oneof)
        return self.stub.Control(pb2.ControlRequest(context=self.ctx(), instruction=instruction), timeout=5)

    def freeze(self, key, quantity, asset=SPDB, debtor=ZHANG, until="2027-06-30", **kw):
        body = {"key": key, "case_number": kw.get("case", CASE), "court": kw.get("court", "鄂0116"),
                "ruling": CASE + "之一", "officer": "王法官", "asset": asset, "debtor": dict(debtor),
                "quantity": quantity, "until": until}
        return self.control("freeze", body, freeze_quantity=pb2.FreezeQuantity(quantity=quantity, until=until))

    def test_describe_names_the_kind_its_rules_and_the_settings_schema(self):
        d = self.stub.Describe(pb2.DescribeRequest(source_id="csdc", settings_json="{}"))
        self.assertEqual((d.protocol_version, d.connector_type), (1, "csdc"))
        self.assertEqual((d.kind.name, d.kind.legal_class, d.kind.unit, d.kind.holds_money),
                         ("securities", "other_rights", "shares", False))
        self.assertEqual(list(d.kind.actions), ["freeze", "release", "renew"])
        self.assertEqual(list(d.capabilities), ["query", "freeze", "release", "renew"])
        schema = json.loads(d.settings_schema)
        self.assertEqual(set(schema["properties"]), {"agency_url", "timeout_ms"})
        with self.assertRaises(grpc.RpcError) as bad:
            self.stub.Describe(pb2.DescribeRequest(source_id="csdc", settings_json='{"agency":"x"}'))
        self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(self.stub.Check(pb2.CheckRequest(source_id="csdc")).ok)

    def test_a_source_s_settings_choose_its_agency(self):
        dead = f"http://127.0.0.1:{free_port()}"
        self.stub.Describe(pb2.DescribeRequest(source_id="elsewhere",
                                               settings_json=json.dumps({"agency_url": dead})))
        self.assertFalse(self.stub.Check(pb2.CheckRequest(source_id="elsewhere")).ok)
        with self.assertRaises(grpc.RpcError) as down:
            self.stub.Query(pb2.QueryRequest(context=pb2.CallContext(source_id="elsewhere", case_number=CASE),
                                             debtor=pb2.Debtor(**ZHANG)))
        self.assertEqual(down.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(details(down.exception)[:2], ("CONNECT", "assethub.connector.v1"))

    def test_query_answers_positions_as_generic_assets(self):
        found = self.query().found.assets
        spdb = {a.local_id: a for a in found}[SPDB]
        self.assertEqual(spdb.title, "600000 浦发银行")
        attrs = {a.key: a for a in spdb.attributes}
        self.assertEqual((attrs["security_code"].text, attrs["security_name"].text, attrs["account"].text),
                         ("600000", "浦发银行", "A110105002"))
        self.assertEqual((attrs["shares"].integer, attrs["shares"].unit), (20_000, "shares"))
        self.assertEqual(attrs["market_price"].money_fen, 1_052)
        self.assertEqual((spdb.value_fen, spdb.quantity, spdb.frozen_quantity), (21_040_000, 20_000, 0))
        moutai = {a.local_id: a for a in self.query(COMPANY).found.assets}[MOUTAI]
        self.assertEqual((moutai.quantity, moutai.frozen_quantity), (300, 300))
        self.assertEqual(self.query({"id_number": ZHANG["id_number"], "name": "张卫"}).WhichOneof("answer"),
                         "name_mismatch")
        self.assertEqual(self.query({"id_number": "110105198001010016", "name": "某人"}).WhichOneof("answer"),
                         "not_found")

    def test_freeze_by_quantity_status_queue_release_and_notifications(self):
        answer = self.freeze("c1", 12_000)
        self.assertEqual((answer.status, answer.held_quantity, answer.held_fen),
                         (pb2.HOLD_STATUS_EFFECTIVE, 12_000, 0))
        again = self.freeze("c1", 12_000)
        self.assertEqual(again, answer)
        self.assertEqual(self.query().found.assets[0].frozen_quantity, 12_000)
        status = self.stub.ControlStatus(pb2.ControlStatusRequest(context=self.ctx(), key="c1"))
        self.assertEqual((status.known, status.answer.hold), (True, answer.hold))
        unknown = self.stub.ControlStatus(pb2.ControlStatusRequest(context=self.ctx(), key="never"))
        self.assertFalse(unknown.known)

        queued = self.freeze("c2", 300, asset=MOUTAI, debtor=COMPANY)
        self.assertEqual((queued.status, queued.queue_position), (pb2.HOLD_STATUS_QUEUED, 1))
        first = self.stub.Notifications(pb2.NotificationsRequest(source_id="csdc"))
        self.agency.call("POST", "/__admin/holds/lift", {"hold": OUTSIDE_MOUTAI})
        page = self.stub.Notifications(pb2.NotificationsRequest(source_id="csdc", cursor=first.cursor))
        (change,) = page.notifications
        self.assertEqual((change.hold_changed.key, change.hold_changed.answer.status,
                          change.hold_changed.answer.held_quantity), ("c2", pb2.HOLD_STATUS_EFFECTIVE, 300))

        release = {"key": "c1-release", "case_number": CASE, "court": "鄂0116", "ruling": CASE + "之一",
                   "officer": "王法官", "asset": SPDB, "debtor": dict(ZHANG), "hold": answer.hold}
        released = self.control("release", release, release=pb2.Release(hold=answer.hold))
        self.assertEqual((released.status, released.held_quantity), (pb2.HOLD_STATUS_RELEASED, 0))
        renew = dict(release, key="c2-renew", asset=MOUTAI, debtor=dict(COMPANY), hold=queued.hold,
                     until="2028-01-31")
        renewed = self.control("renew", renew, renew=pb2.Renew(hold=queued.hold, until="2028-01-31"))
        self.assertEqual(renewed.until, "2028-01-31")

    def test_agency_failures_map_to_codes_with_details_and_no_personal_data(self):
        for rule, code, reason, retry in ERROR_TABLE:
            with self.subTest(rule=rule):
                self.agency.call("POST", "/__admin/faults",
                                 {"replace": True, "rules": [dict(endpoint="/api/v1/*", **rule)]})
                with self.assertRaises(grpc.RpcError) as failed:
                    self.query()
                error = failed.exception
                self.assertEqual(error.code(), code)
                self.assertEqual(details(error), (reason, "assethub.connector.v1", retry))
                for personal in (ZHANG["id_number"], ZHANG["name"]):
                    self.assertNotIn(personal, error.details() or "")
        self.agency.call("DELETE", "/__admin/faults")

    def test_an_instruction_signed_in_rust_passes_through_connector_and_agency(self):
        with open(VECTOR, encoding="utf-8") as f:
            vector = json.load(f)
        case = next(c for c in vector["cases"] if c["name"] == "freeze_quantity")
        fields = case["fields"]
        self.agency.agency.trusted.add(vector["key_id"], vector["public_key"])
        self.agency.agency.now_secs = lambda: case["signed_at"] + 1
        instruction = pb2.Instruction(
            key=fields["key"], case_number=fields["case"], court=fields["court"], ruling=fields["ruling"],
            officer=fields["officer"], asset=fields["asset"],
            debtor=pb2.Debtor(id_number=fields["debtor_id"], name=fields["debtor_name"]),
            freeze_quantity=pb2.FreezeQuantity(quantity=fields["quantity"], until=fields["until"]),
            signature=pb2.Signature(key_id=vector["key_id"], signed_at=case["signed_at"],
                                    signature=case["signature"]))
        answer = self.stub.Control(pb2.ControlRequest(context=self.ctx(), instruction=instruction))
        self.assertEqual((answer.status, answer.held_quantity), (pb2.HOLD_STATUS_EFFECTIVE, 12_000))
        instruction.freeze_quantity.quantity = 12_001
        instruction.key = fields["key"] + "-altered"
        with self.assertRaises(grpc.RpcError) as altered:
            self.stub.Control(pb2.ControlRequest(context=self.ctx(), instruction=instruction))
        self.assertEqual(altered.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def test_refusals_and_unsupported_actions(self):
        # Unsigned: the agency refuses it; the hub's key is the problem (auth).
        body = {"key": "u1", "case_number": CASE, "court": "鄂0116", "ruling": CASE + "之一",
                "officer": "王法官", "asset": SPDB, "debtor": pb2.Debtor(**ZHANG)}
        unsigned = pb2.Instruction(freeze_quantity=pb2.FreezeQuantity(quantity=1, until="2027-06-30"), **body)
        cases = [
            (unsigned, grpc.StatusCode.UNAUTHENTICATED, "AUTH"),
            (pb2.Instruction(release=pb2.Release(hold="CSDC-DJ999999"), **body),
             grpc.StatusCode.UNAUTHENTICATED, "AUTH"),
            (pb2.Instruction(freeze=pb2.Freeze(amount_fen=100, until="2027-06-30"), **body),
             grpc.StatusCode.UNIMPLEMENTED, "UNSUPPORTED"),
            (pb2.Instruction(seal=pb2.Seal(until="2027-06-30"), **body),
             grpc.StatusCode.UNIMPLEMENTED, "UNSUPPORTED"),
            (pb2.Instruction(deduct=pb2.Deduct(hold="h", amount_fen=1), **body),
             grpc.StatusCode.UNIMPLEMENTED, "UNSUPPORTED"),
        ]
        for instruction, code, reason in cases:
            with self.subTest(action=instruction.WhichOneof("action")):
                with self.assertRaises(grpc.RpcError) as failed:
                    self.stub.Control(pb2.ControlRequest(context=self.ctx(), instruction=instruction))
                self.assertEqual((failed.exception.code(), details(failed.exception)[0]), (code, reason))
        # Signed but naming no such freeze → NOT_FOUND; a key reused → FAILED_PRECONDITION.
        release = {"key": "r1", "case_number": CASE, "court": "鄂0116", "ruling": CASE + "之一",
                   "officer": "王法官", "asset": SPDB, "debtor": dict(ZHANG), "hold": "CSDC-DJ999999"}
        with self.assertRaises(grpc.RpcError) as missing:
            self.control("release", release, release=pb2.Release(hold="CSDC-DJ999999"))
        self.assertEqual(missing.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.freeze("k", 10)
        with self.assertRaises(grpc.RpcError) as reused:
            self.freeze("k", 11)
        self.assertEqual((reused.exception.code(), details(reused.exception)[0]),
                         (grpc.StatusCode.FAILED_PRECONDITION, "REJECTED"))
        with self.assertRaises(grpc.RpcError) as ticket:
            self.stub.QueryStatus(pb2.QueryStatusRequest(context=self.ctx(), ticket="t"))
        self.assertEqual(ticket.exception.code(), grpc.StatusCode.UNIMPLEMENTED)


if __name__ == "__main__":
    unittest.main()
