"""The csdc connector: a gRPC server of assethub.connector.v1 in front of the mock securities
depository (agency.py), so the hub reaches a securities depository as `type = "remote"` source
without any Rust. Run it with `python3 connector.py --agency-url http://127.0.0.1:18090`.

Owns the protocol mapping: Describe (kind `securities`, its rules, capabilities, settings
schema), Check, Query (positions → generic assets), Control (freeze by quantity, release,
renew), ControlStatus, Notifications (hold changes by cursor), and agency failures → gRPC
codes with google.rpc.ErrorInfo and RetryInfo. One call is one attempt: it never retries and
never signs (it forwards the hub's signature; the agency checks it).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent import futures

import grpc
from google.protobuf import duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

import protos
from agency_client import AgencyClient, AgencyError

pb2, pb2_grpc = protos.load()

VERSION = "0.1.0"
DOMAIN = "assethub.connector.v1"
AGENCY = "中国证券登记结算有限责任公司（模拟）"
CAPABILITIES = ["query", "freeze", "release", "renew"]
DEFAULT_TIMEOUT_MS = 5_000

# Agency failure class → gRPC code (connector.proto's table, read backwards).
CODES = {
    "CONNECT": grpc.StatusCode.UNAVAILABLE,
    "TIMEOUT": grpc.StatusCode.DEADLINE_EXCEEDED,
    "RATE_LIMITED": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "SERVER": grpc.StatusCode.INTERNAL,
    "AUTH": grpc.StatusCode.UNAUTHENTICATED,
    "REJECTED": grpc.StatusCode.INVALID_ARGUMENT,
    "MALFORMED": grpc.StatusCode.DATA_LOSS,
    "UNSUPPORTED": grpc.StatusCode.UNIMPLEMENTED,
}
# Rejections the agency names precisely get the precise code.
REJECTED_BY_STATUS = {
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    422: grpc.StatusCode.FAILED_PRECONDITION,
}

HOLD_STATUS = {
    "pending": pb2.HOLD_STATUS_PENDING,
    "effective": pb2.HOLD_STATUS_EFFECTIVE,
    "queued": pb2.HOLD_STATUS_QUEUED,
    "rejected": pb2.HOLD_STATUS_REJECTED,
    "released": pb2.HOLD_STATUS_RELEASED,
    "expired": pb2.HOLD_STATUS_EXPIRED,
}

SETTINGS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "csdc connector settings",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "agency_url": {"type": "string", "pattern": "^https?://",
                       "description": "Base URL of the depository's API (default: the connector's --agency-url)"},
        "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 600000,
                       "description": f"Per-attempt time limit for one agency call (default {DEFAULT_TIMEOUT_MS})"},
    },
}


class Failure(Exception):
    """A gRPC error to answer: code, class (ErrorInfo reason), text, retry-after seconds."""

    def __init__(self, code: grpc.StatusCode, reason: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.retry_after = code, reason, message, retry_after

    @classmethod
    def of(cls, e: AgencyError) -> "Failure":
        code = CODES[e.reason]
        if e.reason == "REJECTED":
            code = REJECTED_BY_STATUS.get(e.status, code)
        if e.reason == "AUTH" and e.status == 403:
            code = grpc.StatusCode.PERMISSION_DENIED
        return cls(code, e.reason, e.message, e.retry_after)

    def status(self) -> grpc.Status:
        details = [error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN)]
        if self.retry_after is not None:
            details.append(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=self.retry_after)))
        status = status_pb2.Status(code=getattr(code_pb2, self.code.name), message=self.message[:500])
        for detail in details:
            status.details.add().Pack(detail)
        return rpc_status.to_status(status)


def malformed(what: str) -> Failure:
    return Failure(grpc.StatusCode.DATA_LOSS, "MALFORMED", f"the agency's answer is malformed: {what}")


def parse_settings(settings_json: str, default_url: str) -> tuple[str, int]:
    """(agency_url, timeout_ms) from a source's settings, or INVALID_ARGUMENT."""
    try:
        settings = json.loads(settings_json) if settings_json.strip() else {}
    except ValueError:
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, "REJECTED", "settings_json is not JSON") from None
    if not isinstance(settings, dict):
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, "REJECTED", "settings_json must be a JSON object")
    unknown = sorted(set(settings) - set(SETTINGS_SCHEMA["properties"]))
    if unknown:
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, "REJECTED", f"unknown settings: {', '.join(unknown)}")
    url = settings.get("agency_url", default_url)
    timeout = settings.get("timeout_ms", DEFAULT_TIMEOUT_MS)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, "REJECTED", "agency_url must be an http:// or https:// URL")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 600_000:
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, "REJECTED", "timeout_ms must be a whole number in 1..=600000")
    return url, timeout


def handled(method):
    """Turns Failure / AgencyError into the gRPC status with its details."""

    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except AgencyError as e:
            context.abort_with_status(Failure.of(e).status())
        except Failure as f:
            context.abort_with_status(f.status())
        except Exception as e:  # noqa: BLE001 - a bug here must not leak request data
            failure = Failure(grpc.StatusCode.INTERNAL, "SERVER", f"connector error ({type(e).__name__})")
            context.abort_with_status(failure.status())

    wrapper.__name__ = method.__name__
    return wrapper


class CsdcConnector(pb2_grpc.ConnectorServicer):
    def __init__(self, agency_url: str, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.default = (agency_url, timeout_ms)
        # Per source id: (agency_url, timeout_ms) from its Describe / Check settings.
        self.sources: dict[str, tuple[str, int]] = {}

    def _client(self, source_id: str, context) -> tuple[AgencyClient, float]:
        url, timeout_ms = self.sources.get(source_id, self.default)
        timeout = timeout_ms / 1000
        remaining = context.time_remaining() if context is not None else None
        if remaining is not None:
            timeout = min(timeout, remaining)
        if timeout <= 0:
            raise Failure(grpc.StatusCode.DEADLINE_EXCEEDED, "TIMEOUT", "no time left for the agency")
        return AgencyClient(url, timeout), timeout

    @handled
    def Describe(self, request, context):
        self.sources[request.source_id] = parse_settings(request.settings_json, self.default[0])
        return pb2.Description(
            protocol_version=1,
            connector_type="csdc",
            connector_version=VERSION,
            kind=pb2.KindSpec(name="securities", label="证券", legal_class="other_rights",
                              holds_money=False, unit="shares", max_days=0,
                              actions=["freeze", "release", "renew"]),
            capabilities=CAPABILITIES,
            settings_schema=json.dumps(SETTINGS_SCHEMA, ensure_ascii=False),
            agency=AGENCY,
        )

    @handled
    def Check(self, request, context):
        if request.settings_json:
            self.sources[request.source_id] = parse_settings(request.settings_json, self.default[0])
        client, timeout = self._client(request.source_id, context)
        try:
            answer = client.health(timeout)
        except AgencyError as e:
            return pb2.CheckResponse(ok=False, message=e.message)
        if answer.get("status") != "ok":
            return pb2.CheckResponse(ok=False, message="the agency reports it is not ready")
        return pb2.CheckResponse(ok=True, message="")

    @handled
    def Query(self, request, context):
        client, timeout = self._client(request.context.source_id, context)
        answer = client.inquiry({
            "id_number": request.debtor.id_number,
            "name": request.debtor.name,
            "case_number": request.context.case_number,
            "request_id": request.context.request_id,
        }, timeout)
        result = answer.get("result")
        if result == "not_found":
            return pb2.QueryResponse(not_found=pb2.NotFound())
        if result == "name_mismatch":
            return pb2.QueryResponse(name_mismatch=pb2.NameMismatch())
        if result != "found" or not isinstance(answer.get("positions"), list):
            raise malformed("unknown inquiry result")
        return pb2.QueryResponse(found=pb2.Found(assets=[asset_of(p) for p in answer["positions"]]))

    @handled
    def QueryStatus(self, request, context):
        raise Failure(grpc.StatusCode.UNIMPLEMENTED, "UNSUPPORTED",
                      "the depository answers inquiries at once and issues no tickets")

    @handled
    def Control(self, request, context):
        i = request.instruction
        action = i.WhichOneof("action")
        body = {
            "key": i.key, "case_number": i.case_number, "court": i.court, "ruling": i.ruling,
            "officer": i.officer, "asset": i.asset,
            "debtor": {"id_number": i.debtor.id_number, "name": i.debtor.name},
            "signature": ({"key_id": i.signature.key_id, "signed_at": i.signature.signed_at,
                           "signature": i.signature.signature} if i.HasField("signature") else None),
        }
        if action == "freeze_quantity":
            body.update(quantity=i.freeze_quantity.quantity, until=i.freeze_quantity.until)
            path = "freeze"
        elif action == "release":
            body.update(hold=i.release.hold)
            path = "release"
        elif action == "renew":
            body.update(hold=i.renew.hold, until=i.renew.until)
            path = "renew"
        else:
            raise Failure(grpc.StatusCode.UNIMPLEMENTED, "UNSUPPORTED",
                          f"the depository freezes shares by quantity; it cannot {action or 'do nothing'}")
        client, timeout = self._client(request.context.source_id, context)
        return answer_of(client.instruct(path, body, timeout))

    @handled
    def ControlStatus(self, request, context):
        client, timeout = self._client(request.context.source_id, context)
        answer = client.status(request.key, timeout)
        if answer is None:
            return pb2.ControlStatusResponse(known=False)
        return pb2.ControlStatusResponse(known=True, answer=answer_of(answer))

    @handled
    def Notifications(self, request, context):
        try:
            after = int(request.cursor) if request.cursor else 0
        except ValueError:
            raise Failure(grpc.StatusCode.INVALID_ARGUMENT, "REJECTED", "the cursor is not one this connector gave") from None
        limit = request.limit or 100
        client, timeout = self._client(request.source_id, context)
        page = client.changes(after, min(limit, 1000), timeout)
        changes, last = page.get("changes"), page.get("last")
        if not isinstance(changes, list) or not isinstance(last, int):
            raise malformed("hold changes")
        notifications = []
        for change in changes:
            if not isinstance(change, dict) or not isinstance(change.get("key"), str):
                raise malformed("hold change")
            notifications.append(pb2.Notification(
                hold_changed=pb2.HoldChanged(key=change["key"], answer=answer_of(change.get("answer")))))
        return pb2.NotificationsPage(notifications=notifications, cursor=str(last))


def asset_of(p) -> "pb2.Asset":
    """One position as a generic asset; DATA_LOSS when the agency's fields are not as agreed."""
    try:
        local_id, account, code, name = (str_field(p, k) for k in ("id", "account", "code", "name"))
        shares, frozen, price = (int_field(p, k) for k in ("shares", "frozen_shares", "price_fen"))
    except (TypeError, KeyError, ValueError):
        raise malformed("position") from None
    if frozen > shares or not local_id.isascii() or any(c in local_id for c in " /\\") or ".." in local_id:
        raise malformed("position")
    value = shares * price
    attribute = pb2.Attribute
    return pb2.Asset(
        local_id=local_id,
        title=f"{code} {name}",
        attributes=[
            attribute(key="security_code", label="证券代码", text=code),
            attribute(key="security_name", label="证券简称", text=name),
            attribute(key="account", label="证券账户", text=account),
            attribute(key="shares", label="持有数量", integer=shares, unit="shares"),
            attribute(key="frozen", label="冻结数量", integer=frozen, unit="shares"),
            attribute(key="market_price", label="市价", money_fen=price),
            attribute(key="market_value", label="市值", money_fen=value),
        ],
        value_fen=value,
        quantity=shares,
        frozen_quantity=frozen,
    )


def answer_of(a) -> "pb2.ControlAnswer":
    try:
        status = HOLD_STATUS[a["status"]]
        return pb2.ControlAnswer(
            hold=str_field(a, "hold"), status=status,
            queue_position=int_field(a, "queue_position"),
            held_fen=0, deducted_fen=0, held_quantity=int_field(a, "frozen_shares"),
            until=str_field(a, "until"), message=str(a.get("message", ""))[:500],
        )
    except (TypeError, KeyError, ValueError):
        raise malformed("hold answer") from None


def str_field(d, key: str) -> str:
    value = d[key]
    if not isinstance(value, str) or not value or len(value) > 256:
        raise ValueError(key)
    return value


def int_field(d, key: str) -> int:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**62:
        raise ValueError(key)
    return value


def serve(agency_url: str, host: str = "127.0.0.1", port: int = 0, timeout_ms: int = DEFAULT_TIMEOUT_MS,
          workers: int = 16) -> tuple[grpc.Server, int]:
    """Starts the server; returns it and the port bound."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    pb2_grpc.add_ConnectorServicer_to_server(CsdcConnector(agency_url, timeout_ms), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise SystemExit(f"cannot listen on {host}:{port}")
    server.start()
    return server, bound


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="assethub.connector.v1 connector for the csdc mock depository.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=50070, help="0 picks a free port (printed)")
    p.add_argument("--agency-url", default="http://127.0.0.1:18090",
                   help="the depository's base URL, for sources whose settings name none")
    p.add_argument("--timeout-ms", type=int, default=DEFAULT_TIMEOUT_MS)
    args = p.parse_args(argv)
    try:
        AgencyClient(args.agency_url, 1)
    except ValueError as e:
        p.error(str(e))
    server, port = serve(args.agency_url, args.host, args.port, args.timeout_ms)
    print(f"csdc connector listening on {args.host}:{port}", flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(grace=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
