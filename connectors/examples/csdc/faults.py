"""Injected faults for the mock depository: the rules of mocks/src/faults.rs and the knobs of
mocks/src/knobs.rs, with the same JSON names, so the conformance kit and the chaos test drive
this agency as they drive the Rust mocks (`/__admin/faults`, `/__admin/knobs`).

Supported rule fields: endpoint, latency_ms, jitter_ms, long_tail_rate, long_tail_ms,
error_rate, error_status, hang_rate, reset_rate, throttle_rate, retry_after_secs,
malformed_rate, truncated_rate, slow_body_rate, slow_body_chunk_bytes, slow_body_delay_ms,
never_decide_rate (accepted, never drawn as a fault: the depository decides at once). Unknown
fields are refused. Every matching rule draws every rate in that order from one seeded RNG
(Python's Mersenne Twister, not ChaCha8: the same seed gives a repeatable sequence here, not
the Rust mocks' sequence). Requests under /__admin are never faulted.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import asdict, dataclass, field, fields

HANG_SECS = 3600.0


@dataclass
class FaultRule:
    endpoint: str = "*"
    latency_ms: int = 0
    jitter_ms: int = 0
    long_tail_rate: float = 0.0
    long_tail_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    hang_rate: float = 0.0
    reset_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after_secs: int = 1
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0
    slow_body_rate: float = 0.0
    slow_body_chunk_bytes: int = 64
    slow_body_delay_ms: int = 100
    never_decide_rate: float = 0.0

    @classmethod
    def parse(cls, data: dict) -> "FaultRule":
        if not isinstance(data, dict):
            raise ValueError("a fault rule is a JSON object")
        names = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(names)
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        rule = cls()
        for name, value in data.items():
            default = getattr(rule, name)
            if isinstance(default, str):
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string")
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be a probability in 0..=1")
                value = float(value)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
            setattr(rule, name, value)
        return rule

    def matches(self, path: str) -> bool:
        if self.endpoint.endswith("*"):
            return path.startswith(self.endpoint[:-1])
        return path == self.endpoint


COUNT_NAMES = ["latency", "long_tail", "error", "hang", "reset", "throttle", "malformed",
               "truncated", "slow_body", "never_decided"]


@dataclass
class Plan:
    """What happens to one request: a delay, then at most one answer instead of the agency's
    (reset | hang | throttle | error), else at most one spoiling of its body."""

    delay_ms: int = 0
    before: tuple | None = None  # ("reset",) ("hang",) ("throttle", secs) ("error", status)
    after: tuple | None = None  # ("malformed",) ("truncated",) ("slow", chunk, delay_ms)


@dataclass
class Knobs:
    """The knobs of mocks/src/knobs.rs that make sense here (JSON names kept)."""

    latency_ms: int = 0
    jitter_ms: int = 0
    fail_next: int = 0
    throttle_next: int = 0
    throttle_retry_after_secs: int = 1
    requests: int = 0
    inquiries: int = 0


@dataclass
class Faults:
    seed: int = int.from_bytes(hashlib.sha256(b"csdc").digest()[:8], "big")
    rules: list[FaultRule] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_NAMES, 0))
    knobs: Knobs = field(default_factory=Knobs)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    def view(self) -> dict:
        with self._lock:
            injected = dict(self.counts)
            injected["total"] = sum(v for k, v in self.counts.items() if k != "latency")
            return {"seed": self.seed, "rules": [asdict(r) for r in self.rules], "injected": injected}

    def update(self, body: dict) -> None:
        """POST /__admin/faults: {"seed"?, "rules": [...], "replace"?}."""
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        unknown = set(body) - {"seed", "rules", "replace"}
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        rules = [FaultRule.parse(r) for r in body.get("rules", [])]
        with self._lock:
            if body.get("seed") is not None:
                self.seed = int(body["seed"])
                self._rng = random.Random(self.seed)
            if body.get("replace"):
                self.rules = rules
            else:
                self.rules.extend(rules)

    def remove(self, endpoint: str | None) -> None:
        with self._lock:
            self.rules = [] if endpoint is None else [r for r in self.rules if r.endpoint != endpoint]

    def knobs_view(self, clock_offset_days: int) -> dict:
        with self._lock:
            view = asdict(self.knobs)
        view["clock_offset_days"] = clock_offset_days
        return view

    def set_knobs(self, body: dict) -> None:
        with self._lock:
            for name in ("latency_ms", "jitter_ms", "fail_next", "throttle_next", "throttle_retry_after_secs"):
                if body.get(name) is not None:
                    setattr(self.knobs, name, int(body[name]))

    def count_inquiry(self) -> None:
        with self._lock:
            self.knobs.inquiries += 1

    def plan(self, path: str) -> Plan:
        """Draws what happens to one business request for `path` (one draw per rate, always)."""
        plan = Plan()
        with self._lock:
            self.knobs.requests += 1
            k = self.knobs
            plan.delay_ms = k.latency_ms + (self._rng.randint(0, k.jitter_ms) if k.jitter_ms else 0)
            if k.throttle_next > 0:
                k.throttle_next -= 1
                plan.before = ("throttle", k.throttle_retry_after_secs)
            elif k.fail_next > 0:
                k.fail_next -= 1
                plan.before = ("error", 503)
            long_tail, delayed = False, False
            for rule in [r for r in self.rules if r.matches(path)]:
                jitter = self._rng.randint(0, rule.jitter_ms) if rule.jitter_ms else 0
                plan.delay_ms += rule.latency_ms + jitter
                delayed |= rule.latency_ms + jitter > 0
                if self._draw(rule.long_tail_rate):
                    long_tail = True
                    plan.delay_ms += rule.long_tail_ms
                before = [
                    (self._draw(rule.reset_rate), ("reset",)),
                    (self._draw(rule.hang_rate), ("hang",)),
                    (self._draw(rule.throttle_rate), ("throttle", rule.retry_after_secs)),
                    (self._draw(rule.error_rate), ("error", rule.error_status)),
                ]
                after = [
                    (self._draw(rule.malformed_rate), ("malformed",)),
                    (self._draw(rule.truncated_rate), ("truncated",)),
                    (self._draw(rule.slow_body_rate),
                     ("slow", max(rule.slow_body_chunk_bytes, 1), rule.slow_body_delay_ms)),
                ]
                self._draw(rule.never_decide_rate)
                if plan.before is None:
                    plan.before = next((b for hit, b in before if hit), None)
                if plan.after is None:
                    plan.after = next((a for hit, a in after if hit), None)
            if delayed or long_tail:
                self.counts["latency"] += 1
            if long_tail:
                self.counts["long_tail"] += 1
            if plan.before is not None:
                self.counts[plan.before[0]] += 1
                plan.after = None
            if plan.after is not None:
                self.counts["slow_body" if plan.after[0] == "slow" else plan.after[0]] += 1
        return plan

    def _draw(self, rate: float) -> bool:
        return self._rng.random() < rate


def garbage(content_type: str) -> bytes:
    """A body that claims `content_type` but does not parse as it."""
    if "json" in content_type:
        return b'{"code":"0000","data":{"positions":[{"shares":20000,,"price":}]'
    return b"\xff\xfe\x00garbage\x00\x01\x02"
