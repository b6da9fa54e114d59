"""The mock securities depository (中国证券登记结算 style): an HTTP+JSON service that answers
courts' inquiries about investors' positions and takes share freezes by quantity, releases and
renewals signed by the hub — the agency behind connector.py. Run it alone with
`python3 agency.py --demo-key` (see README.md for every option).

Owns the HTTP surface: the business API under /api/v1 (inquiry, freeze, release, renew, status
by key, hold changes), the admin API the Rust mocks serve (/__admin/holds, /__admin/holds/lift,
/__admin/faults, /__admin/knobs) plus /__admin/clock, and fault injection in front of the
business API. The rules of the register live in register.py, the positions in positions.py,
the signature check in signature.py, the fault rules in faults.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from faults import HANG_SECS, Faults, garbage
from positions import OUTSIDE_FREEZES, Book, Clock
from register import Refusal, Register
from signature import DEMO_KEY_ID, SignatureRefused, SignedFields, TrustedKeys, demo_public_key

JSON = "application/json; charset=utf-8"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Printable, bounded text fields of an instruction.
MAX_TEXT = 256


class BadRequest(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Agency:
    """Everything the handlers share: positions, register, trusted keys, clock, faults."""

    def __init__(self, trusted: TrustedKeys, clock: Clock | None = None,
                 register_file: str | None = None, seed: int | None = None):
        self.book = Book()
        self.clock = clock or Clock()
        self.trusted = trusted
        self.register = Register(self.book.shares_of, self.clock.today, file=register_file)
        self.register.seed_outside(OUTSIDE_FREEZES)
        self.faults = Faults() if seed is None else Faults(seed=seed)
        self.stopping = threading.Event()
        self.now_secs = lambda: int(time.time())

    # --- business API -------------------------------------------------------------------

    def inquiry(self, body: dict) -> dict:
        id_number, name = _text(body, "id_number"), _text(body, "name")
        _text(body, "case_number")
        self.faults.count_inquiry()
        investor = self.book.investors.get(id_number)
        if investor is None:
            return {"result": "not_found"}
        if investor.name != name:
            return {"result": "name_mismatch"}
        positions = []
        for p in self.book.of(id_number):
            frozen = self.register.frozen_on(p.id)
            positions.append({
                "id": p.id, "account": p.account, "market": p.market, "code": p.code,
                "name": p.name, "shares": p.shares, "frozen_shares": frozen,
                "price_fen": p.price_fen, "market_value_fen": p.shares * p.price_fen,
            })
        return {"result": "found", "as_of": self.clock.today().isoformat(), "positions": positions}

    def instruct(self, action: str, body: dict) -> dict:
        """freeze | release | renew, signed; answers the hold as it stands after."""
        fields = SignedFields(
            key=_text(body, "key"), case=_text(body, "case_number"), court=_text(body, "court"),
            ruling=_text(body, "ruling", required=False), officer=_text(body, "officer", required=False),
            asset=_text(body, "asset"), action=action,
        )
        debtor = body.get("debtor")
        if not isinstance(debtor, dict):
            raise BadRequest("BAD_REQUEST", "debtor is required")
        fields.debtor_id, fields.debtor_name = _text(debtor, "id_number"), _text(debtor, "name")
        if action == "freeze":
            fields.quantity = _count(body, "quantity")
            fields.until = _date(body, "until")
        elif action == "release":
            fields.hold = _text(body, "hold")
        else:
            fields.hold, fields.until = _text(body, "hold"), _date(body, "until")
        try:
            self.trusted.verify(fields, body.get("signature"), self.now_secs())
        except SignatureRefused as e:
            raise BadRequest(e.code, e.message, 401) from None
        position = self.book.positions.get(fields.asset)
        if position is None:
            raise BadRequest("NO_SUCH_POSITION", "no such position", 404)
        investor = self.book.investors[position.investor]
        if (investor.id_number, investor.name) != (fields.debtor_id, fields.debtor_name):
            raise BadRequest("NOT_THE_HOLDER", "the position is not the debtor's", 422)
        if not fields.court or fields.court not in fields.case:
            raise BadRequest("BAD_REQUEST", "the court must be the one in the case number")
        # What a resend must match: every signed field but the key and the signing time.
        fingerprint = json.dumps([fields.case, fields.court, fields.ruling, fields.officer,
                                  fields.asset, fields.debtor_id, fields.debtor_name, action,
                                  fields.quantity, fields.hold, fields.until], ensure_ascii=False)
        try:
            if action == "freeze":
                return self.register.place(fields.key, fingerprint, fields.asset, fields.court,
                                           fields.case, fields.ruling, fields.quantity, fields.until)
            if action == "release":
                return self._own(fields, lambda: self.register.release(fields.key, fingerprint, fields.hold))
            return self._own(fields, lambda: self.register.renew(fields.key, fingerprint, fields.hold, fields.until))
        except Refusal as r:
            status = {"NO_SUCH_HOLD": 404, "KEY_REUSED": 409, "WRONG_STATE": 409}.get(r.code, 400)
            raise BadRequest(r.code, r.message, status) from None

    def _own(self, fields: SignedFields, act):
        """A release or renewal must name a freeze on the asset it names."""
        asset = self.register.asset_of(fields.hold)
        if asset is not None and asset != fields.asset:
            raise Refusal("NO_SUCH_HOLD", "no such freeze on this position")
        return act()

    def status(self, key: str) -> dict:
        answer = self.register.by_key(key)
        if answer is None:
            raise BadRequest("UNKNOWN_KEY", "no instruction was received with this key", 404)
        return answer

    def changes(self, query: dict) -> dict:
        after = _int_param(query, "after", 0)
        limit = min(max(_int_param(query, "limit", 100), 1), 1000)
        changes, last = self.register.changes(after, limit)
        return {"changes": changes, "last": last}


def _text(body: dict, name: str, required: bool = True) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_TEXT or (required and not value.strip()):
        raise BadRequest("BAD_REQUEST", f"{name} is required (text of at most {MAX_TEXT})")
    return value


def _count(body: dict, name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise BadRequest("BAD_QUANTITY", f"{name} must be a positive whole number of shares")
    return value


def _date(body: dict, name: str) -> str:
    value = body.get(name)
    try:
        if not isinstance(value, str) or not DATE.match(value):
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest("BAD_DATE", f"{name} must be a date YYYY-MM-DD") from None
    return value


def _int_param(query: dict, name: str, default: int) -> int:
    try:
        return int(query.get(name, [default])[0])
    except ValueError:
        raise BadRequest("BAD_REQUEST", f"{name} must be a number") from None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "csdc-mock/1"
    agency: Agency  # set on the subclass made by serve()

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        try:
            body = self._body() if method == "POST" else {}
        except BadRequest as e:
            return self._send(e.status, _error(e.code, e.message))
        if path.startswith("/__admin"):
            return self._admin(method, path, query, body)
        plan = self.agency.faults.plan(path)
        if plan.delay_ms:
            time.sleep(plan.delay_ms / 1000)
        if plan.before:
            return self._before(plan.before)
        try:
            status, answer = 200, self._business(method, path, query, body)
        except BadRequest as e:
            status, answer = e.status, _error(e.code, e.message)
        self._send(status, answer, after=plan.after)

    def _business(self, method: str, path: str, query: dict, body: dict) -> dict:
        a = self.agency
        if method == "GET" and path == "/health":
            return {"status": "ok", "today": a.clock.today().isoformat()}
        if method == "POST" and path == "/api/v1/inquiry":
            return a.inquiry(body)
        if method == "POST" and path in ("/api/v1/freeze", "/api/v1/release", "/api/v1/renew"):
            return a.instruct(path.rsplit("/", 1)[1], body)
        if method == "GET" and path.startswith("/api/v1/instructions/"):
            return a.status(unquote(path[len("/api/v1/instructions/"):]))
        if method == "GET" and path == "/api/v1/changes":
            return a.changes(query)
        raise BadRequest("NOT_FOUND", "no such endpoint", 404)

    def _admin(self, method: str, path: str, query: dict, body: dict):
        a = self.agency
        try:
            if path == "/__admin/holds" and method == "GET":
                return self._send(200, a.register.export())
            if path == "/__admin/holds/lift" and method == "POST":
                if a.register.lift(str(body.get("hold", ""))):
                    return self._send(200, b"lifted", "text/plain; charset=utf-8")
                return self._send(404, b"no such hold in force or queued", "text/plain; charset=utf-8")
            if path == "/__admin/faults":
                if method == "POST":
                    a.faults.update(body)
                elif method == "DELETE":
                    a.faults.remove(query.get("endpoint", [None])[0])
                return self._send(200, a.faults.view())
            if path == "/__admin/knobs":
                if method == "POST":
                    a.faults.set_knobs(body)
                    if body.get("clock_offset_days") is not None:
                        a.clock.set(offset_days=int(body["clock_offset_days"]))
                return self._send(200, a.faults.knobs_view(a.clock.offset_days))
            if path == "/__admin/clock":
                if method == "POST":
                    today = body.get("today")
                    a.clock.set(fixed=dt.date.fromisoformat(today) if today else None,
                                offset_days=body.get("offset_days"))
                return self._send(200, {"today": a.clock.today().isoformat(),
                                        "offset_days": a.clock.offset_days})
        except (ValueError, TypeError) as e:
            return self._send(400, _error("BAD_REQUEST", str(e)[:200]))
        return self._send(404, _error("NOT_FOUND", "no such admin endpoint"))

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            raise BadRequest("TOO_LARGE", "request body too large", 413)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("BAD_JSON", "the request body is not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("BAD_JSON", "the request body must be a JSON object")
        return body

    def _before(self, before: tuple):
        kind = before[0]
        if kind == "reset":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if kind == "hang":
            self.agency.stopping.wait(HANG_SECS)
            return self._send(504, b"Gateway Timeout", "text/plain")
        if kind == "throttle":
            return self._send(429, b"Too Many Requests", "text/plain",
                              headers={"Retry-After": str(before[1])})
        status = before[1]
        return self._send(status, b"Injected fault", "text/plain")

    def _send(self, status: int, body, content_type: str = JSON, headers: dict | None = None,
              after: tuple | None = None):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        declared = len(data)
        if after and after[0] == "malformed":
            data = garbage(content_type)
            declared = len(data)
        elif after and after[0] == "truncated":
            data = data[: len(data) // 2]
            declared = max(declared, len(data) + 1)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(declared))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if after and after[0] == "truncated":
            self.send_header("Connection", "close")
        self.end_headers()
        if after and after[0] == "slow":
            _, chunk, delay_ms = after
            for i in range(0, len(data), chunk):
                time.sleep(delay_ms / 1000)
                self.wfile.write(data[i:i + chunk])
                self.wfile.flush()
        else:
            self.wfile.write(data)
        if after and after[0] == "truncated":
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(agency: Agency, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> Server:
    """Binds and returns the server (call serve_forever on it, e.g. in a thread)."""
    handler = type("BoundHandler", (Handler,), {"agency": agency})
    server = Server((host, port), handler)
    server.verbose = verbose
    return server


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Mock securities depository (csdc) for assethub.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=18090, help="0 picks a free port (printed)")
    p.add_argument("--public-key", help="the hub's Ed25519 public key, base64 (32 bytes)")
    p.add_argument("--key-id", default=DEMO_KEY_ID, help="key id of --public-key (default demo-1)")
    p.add_argument("--trust", action="append", default=[], metavar="KEY_ID=PUBLIC_KEY",
                   help="another trusted key (repeatable)")
    p.add_argument("--demo-key", action="store_true",
                   help="trust the demo hub's key (demo-1); never in production")
    p.add_argument("--today", help="the agency's today, YYYY-MM-DD (default: Beijing's date)")
    p.add_argument("--register", help="keep the freeze register in this JSON file (0600)")
    p.add_argument("--seed", type=int, help="seed of the fault RNG")
    p.add_argument("--verbose", action="store_true", help="log every request")
    args = p.parse_args(argv)
    trusted = TrustedKeys()
    try:
        if args.public_key:
            trusted.add(args.key_id, args.public_key)
        if args.demo_key:
            trusted.add(DEMO_KEY_ID, demo_public_key())
        for item in args.trust:
            key_id, _, key = item.partition("=")
            trusted.add(key_id, key)
        today = dt.date.fromisoformat(args.today) if args.today else None
    except ValueError as e:
        p.error(str(e))
    if not trusted.keys:
        p.error("trust at least one hub key: --public-key (with --key-id), --trust or --demo-key")
    agency = Agency(trusted, Clock(fixed=today), register_file=args.register, seed=args.seed)
    server = serve(agency, args.host, args.port, args.verbose)
    host, port = server.server_address[:2]
    print(f"csdc agency listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        agency.stopping.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
