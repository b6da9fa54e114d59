"""Test helpers: an agency served on a free port in a thread, a test hub key, and instructions
signed with it as the hub signs them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
import urllib.error
import urllib.request

import agency as agency_mod
from positions import Clock
from signature import SignedFields, TrustedKeys, private_key_from_seed, public_key_b64, sign

HUB_KEY = private_key_from_seed(hashlib.sha256(b"csdc tests hub key").digest())
HUB_KEY_ID = "test-1"
TODAY = dt.date(2026, 12, 1)

ZHANG = {"id_number": "11010519491231002X", "name": "张伟"}
COMPANY = {"id_number": "91350100M000100Y43", "name": "福建某某贸易有限公司"}
SPDB = "A110105002-600000"  # 张伟's 20,000 shares of 600000 浦发银行
MOUTAI = "B350100001-600519"  # the company's 300 shares, frozen in full by 闽0102
OUTSIDE_MOUTAI = "CSDC-EXT-000001"


class RunningAgency:
    def __init__(self, today: dt.date | None = TODAY, register_file: str | None = None):
        trusted = TrustedKeys().add(HUB_KEY_ID, public_key_b64(HUB_KEY))
        self.agency = agency_mod.Agency(trusted, Clock(fixed=today), register_file=register_file, seed=7)
        self.server = agency_mod.serve(self.agency, "127.0.0.1", 0)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.agency.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def call(self, method: str, path: str, body: dict | None = None):
        """(status, headers, parsed JSON or raw bytes)."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, e.headers, e.read()
        try:
            return status, headers, json.loads(raw)
        except ValueError:
            return status, headers, raw

    def holds(self) -> dict:
        return self.call("GET", "/__admin/holds")[2]


def instruction(action: str, key: str, asset: str = SPDB, debtor: dict = ZHANG,
                court: str = "鄂0116", case: str = "(2024)鄂0116执1234号", **extra) -> dict:
    body = {"key": key, "case_number": case, "court": court, "ruling": case + "之一",
            "officer": "王法官", "asset": asset, "debtor": dict(debtor), **extra}
    return body


def fields_of(action: str, body: dict) -> SignedFields:
    return SignedFields(
        key=body["key"], case=body["case_number"], court=body["court"], ruling=body["ruling"],
        officer=body["officer"], asset=body["asset"], debtor_id=body["debtor"]["id_number"],
        debtor_name=body["debtor"]["name"], action=action,
        quantity=body.get("quantity") if action == "freeze" else None,
        hold=body.get("hold", ""), until=body.get("until", ""),
    )


def signed(action: str, body: dict, at: int | None = None, key=HUB_KEY, key_id=HUB_KEY_ID) -> dict:
    body = dict(body)
    body["signature"] = sign(key, key_id, fields_of(action, body), int(time.time()) if at is None else at)
    return body


def freeze(key: str, quantity: int, until: str = "2027-06-30", **kw) -> dict:
    return signed("freeze", instruction("freeze", key, quantity=quantity, until=until, **kw))
