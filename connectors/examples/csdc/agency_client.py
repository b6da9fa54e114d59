"""The connector's HTTP client of the depository: one attempt per call (the hub retries), each
failure turned into the error class of assethub.connector.v1 with the agency's Retry-After.

Owns the translation of transport and HTTP outcomes into `AgencyError(reason, ...)`; the
mapping onto gRPC codes is in connector.py. Texts never carry personal data: only statuses,
the agency's error codes and fixed words.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

MAX_BODY = 4 << 20


@dataclass
class AgencyError(Exception):
    # CONNECT, TIMEOUT, RATE_LIMITED, SERVER, AUTH, REJECTED, MALFORMED
    reason: str
    message: str
    status: int = 0
    code: str = ""  # the agency's error code, when it sent one
    retry_after: int | None = None

    def __str__(self) -> str:
        return self.message


class AgencyClient:
    def __init__(self, base_url: str, timeout_s: float):
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("agency_url must be an http:// or https:// URL")
        self.scheme, self.host, self.port = url.scheme, url.hostname, url.port
        self.prefix = url.path.rstrip("/")
        self.timeout_s = timeout_s

    def inquiry(self, body: dict, timeout_s: float) -> dict:
        return self._call("POST", "/api/v1/inquiry", body, timeout_s)

    def instruct(self, action: str, body: dict, timeout_s: float) -> dict:
        return self._call("POST", f"/api/v1/{action}", body, timeout_s)

    def status(self, key: str, timeout_s: float) -> dict | None:
        """The answer to the instruction sent with `key`; None when the agency never got it."""
        try:
            return self._call("GET", "/api/v1/instructions/" + quote(key, safe=""), None, timeout_s)
        except AgencyError as e:
            if e.status == 404 and e.code == "UNKNOWN_KEY":
                return None
            raise

    def changes(self, after: int, limit: int, timeout_s: float) -> dict:
        return self._call("GET", f"/api/v1/changes?after={after}&limit={limit}", None, timeout_s)

    def health(self, timeout_s: float) -> dict:
        return self._call("GET", "/health", None, timeout_s)

    def _call(self, method: str, path: str, body: dict | None, timeout_s: float) -> dict:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=max(timeout_s, 0.001))
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            conn.request(method, self.prefix + path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read(MAX_BODY + 1)
        except http.client.IncompleteRead:
            raise AgencyError("MALFORMED", "the agency's answer was cut short") from None
        except (socket.timeout, TimeoutError):
            raise AgencyError("TIMEOUT", "the agency did not answer in time") from None
        except (ConnectionError, OSError, http.client.HTTPException) as e:
            raise AgencyError("CONNECT", f"cannot reach the agency ({type(e).__name__})") from None
        finally:
            conn.close()
        if len(raw) > MAX_BODY:
            raise AgencyError("MALFORMED", "the agency's answer is too large", response.status)
        status = response.status
        if status == 429:
            raise AgencyError("RATE_LIMITED", "the agency asks to slow down (429)", status,
                              retry_after=_retry_after(response.getheader("Retry-After")))
        if status >= 400:
            try:
                parsed = _json(raw)
            except AgencyError:
                parsed = None
            code = ""
            if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
                code = str(parsed["error"].get("code", ""))[:64]
            raise AgencyError(_reason_of(status), f"the agency answered {status} {code}".strip(), status, code)
        parsed = _json(raw)
        if not isinstance(parsed, dict):
            raise AgencyError("MALFORMED", "the agency's answer is not a JSON object", status)
        return parsed


def _reason_of(status: int) -> str:
    if status in (401, 403):
        return "AUTH"
    if status == 504:
        return "TIMEOUT"
    if status >= 500:
        return "SERVER"
    return "REJECTED"


def _retry_after(value: str | None) -> int | None:
    try:
        return max(int((value or "").strip()), 0)
    except ValueError:
        return None


def _json(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AgencyError("MALFORMED", "the agency's answer is not valid JSON") from None
