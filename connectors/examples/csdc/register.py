"""The depository's freeze register (司法冻结登记簿): share freezes by quantity from several
courts, their queue (轮候冻结), expiry, renewal, release, idempotency keys, the change log the
connector's notifications read, the export the conformance kit and the chaos test's invariant
checker read, and keeping it all in a file.

Rules (the share analogue of mocks/src/holds.rs, which the Rust mocks apply to money):
- A freeze takes what is free on the position (shares − frozen by other courts' old paper orders
  − held by freezes in force here), up to the quantity asked, and says so when that is less.
  With nothing free while other freezes exist, it is QUEUED with a position (1 = next).
- Queued freezes take effect in order when an earlier freeze is released, lifted at the counter
  or expires, taking what has become free.
- A freeze expires after its end date, on the agency's today in Beijing.
- Renewal only for freezes in force or queued, to a later date.
- A key seen before answers the hold as it stands now and never acts twice; the same key for a
  different instruction is refused.
Not here: HTTP, signatures, positions' market data (see positions.py).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field

IN_FORCE = ("effective", "queued")


class Refusal(Exception):
    """An instruction refused outright: nothing was created or changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Hold:
    id: str
    asset: str
    court: str
    case: str
    ruling: str
    requested: int
    held: int
    since: str
    until: str
    status: str = "queued"
    queue_position: int = 0
    message: str = ""
    placed_by: str = ""


@dataclass
class OutsideFreeze:
    """A freeze by another court recorded before this register (a paper order): it holds
    shares until it ends or a clerk lifts it, and is not an instruction of the hub's."""

    id: str
    asset: str
    court: str
    shares: int
    until: str
    status: str = "effective"


@dataclass
class KeyUse:
    fingerprint: str
    hold: str
    instruction: str  # place | change


@dataclass
class State:
    holds: list[Hold] = field(default_factory=list)
    outside: list[OutsideFreeze] = field(default_factory=list)
    keys: dict[str, KeyUse] = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)
    seen: dict[str, list] = field(default_factory=dict)


class Register:
    """One depository's register; every method is atomic (one lock)."""

    def __init__(self, shares_of, today, prefix: str = "CSDC-DJ", file: str | None = None):
        # shares_of(asset) -> shares on the position (0 when unknown); today() -> date.
        self._shares_of = shares_of
        self._today = today
        self._prefix = prefix
        self._lock = threading.RLock()
        self._file = file
        self.state = State()
        if file and os.path.exists(file):
            self._load(file)

    # --- instructions -------------------------------------------------------------------

    def place(self, key: str, fingerprint: str, asset: str, court: str, case: str, ruling: str,
              quantity: int, until: str) -> dict:
        with self._lock:
            replay = self._replay(key, fingerprint)
            if replay is not None:
                return replay
            today = self._today()
            if quantity <= 0:
                raise Refusal("BAD_QUANTITY", "the quantity to freeze must be positive")
            if dt.date.fromisoformat(until) < today:
                raise Refusal("BAD_DATE", "the freeze would end before today")
            self._settle(asset)
            hold = Hold(
                id=f"{self._prefix}{len(self.state.holds) + 1:06d}",
                asset=asset, court=court, case=case, ruling=ruling,
                requested=quantity, held=0, since=today.isoformat(), until=until,
                placed_by=key,
            )
            others = self._active(asset)
            free = self._free(asset)
            if free > 0 or (not others and not self._outside_in_force(asset)):
                _take(hold, free)
            self.state.holds.append(hold)
            self.state.keys[key] = KeyUse(fingerprint, hold.id, "place")
            self._number_queue(asset)
            self._snapshot(hold, log=False)
            self._commit()
            return self._answer(hold)

    def release(self, key: str, fingerprint: str, hold_id: str) -> dict:
        def act(h: Hold, _today):
            if h.status not in IN_FORCE:
                raise Refusal("WRONG_STATE", f"the freeze is {h.status}, not in force")
            h.status, h.held, h.queue_position = "released", 0, 0

        return self._change(key, fingerprint, hold_id, act)

    def renew(self, key: str, fingerprint: str, hold_id: str, until: str) -> dict:
        def act(h: Hold, today):
            if h.status not in IN_FORCE or dt.date.fromisoformat(h.until) < today:
                raise Refusal("WRONG_STATE", f"the freeze is {h.status} (ends {h.until}), it can no longer be renewed")
            if until <= h.until:
                raise Refusal("BAD_DATE", f"a renewal must end after the current end date {h.until}")
            h.until = until

        return self._change(key, fingerprint, hold_id, act)

    def by_key(self, key: str) -> dict | None:
        with self._lock:
            used = self.state.keys.get(key)
            if used is None:
                return None
            hold = self._hold(used.hold)
            self._settle(hold.asset)
            self._commit()
            return self._answer(hold)

    def lift(self, hold_id: str) -> bool:
        """A clerk lifts a freeze at the counter (this register's or another court's old one),
        with no instruction from the hub; queued freezes move up."""
        with self._lock:
            target = next((h for h in self.state.holds if h.id == hold_id), None)
            if target is None:
                target = next((o for o in self.state.outside if o.id == hold_id), None)
            if target is None:
                return False
            self._settle(target.asset)
            if target.status not in IN_FORCE:
                return False
            target.status = "released"
            if isinstance(target, Hold):
                target.held, target.queue_position = 0, 0
            self._settle(target.asset)
            self._commit()
            return True

    # --- reading ------------------------------------------------------------------------

    def asset_of(self, hold_id: str) -> str | None:
        with self._lock:
            return next((h.asset for h in self.state.holds if h.id == hold_id), None)

    def frozen_on(self, asset: str) -> int:
        """Shares frozen now on `asset` by any court."""
        with self._lock:
            self._settle(asset)
            self._commit()
            return self._outside_in_force(asset) + sum(
                h.held for h in self.state.holds if h.asset == asset and h.status == "effective")

    def outside_on(self, asset: str) -> list[OutsideFreeze]:
        with self._lock:
            self._settle(asset)
            return [copy.copy(o) for o in self.state.outside if o.asset == asset]

    def changes(self, after: int, limit: int) -> tuple[list[dict], int]:
        """Hold changes with sequence number > `after`, and the last sequence number."""
        with self._lock:
            self._settle_all()
            self._commit()
            picked = [c for c in self.state.changes if c["seq"] > after][:limit]
            last = picked[-1]["seq"] if picked else max(after, 0)
            return copy.deepcopy(picked), last

    def export(self) -> dict:
        """`GET /__admin/holds`: mocks/src/holds/export.rs RegisterExport, plus quantities."""
        with self._lock:
            self._settle_all()
            self._commit()
            holds = [{
                "id": h.id, "asset": h.asset, "kind": "freeze", "court": h.court, "case": h.case,
                "ruling": h.ruling, "status": h.status, "queue_position": h.queue_position,
                # The depository freezes shares, never money: the money fields are 0 and the
                # quantities travel in the added fields below (the hub's answer has held_fen 0
                # and held_quantity, so both sides agree).
                "requested_fen": 0, "held_fen": 0, "deducted_fen": 0,
                "since": h.since, "until": h.until, "placed_by": h.placed_by,
                "unit": "shares", "requested_quantity": h.requested, "held_quantity": h.held,
            } for h in self.state.holds]
            keyed = []
            for key in sorted(self.state.keys):
                used = self.state.keys[key]
                h = self._hold(used.hold)
                keyed.append({
                    "key": key, "instruction": used.instruction, "hold": h.id, "asset": h.asset,
                    "kind": "freeze", "court": h.court, "case": h.case, "status": h.status,
                    "queue_position": h.queue_position, "held_fen": 0, "deducted_fen": 0,
                    "until": h.until, "unit": "shares", "held_quantity": h.held,
                })
            return {"holds": holds, "keyed": keyed}

    # --- set-up -------------------------------------------------------------------------

    def seed_outside(self, freezes: list[OutsideFreeze]) -> None:
        """Other courts' freezes recorded before (kept state wins when a file was read)."""
        with self._lock:
            if not self.state.outside:
                self.state.outside = [copy.copy(o) for o in freezes]
                self._commit()

    # --- inside -------------------------------------------------------------------------

    def _change(self, key, fingerprint, hold_id, act) -> dict:
        with self._lock:
            replay = self._replay(key, fingerprint)
            if replay is not None:
                return replay
            hold = next((h for h in self.state.holds if h.id == hold_id), None)
            if hold is None:
                raise Refusal("NO_SUCH_HOLD", "no such freeze")
            self._settle(hold.asset)
            act(hold, self._today())
            self.state.keys[key] = KeyUse(fingerprint, hold.id, "change")
            self._settle(hold.asset)
            self._commit()
            return self._answer(hold)

    def _replay(self, key: str, fingerprint: str) -> dict | None:
        used = self.state.keys.get(key)
        if used is None:
            return None
        if used.fingerprint != fingerprint:
            raise Refusal("KEY_REUSED", "idempotency key already used for another instruction")
        hold = self._hold(used.hold)
        self._settle(hold.asset)
        self._commit()
        return self._answer(hold)

    def _hold(self, hold_id: str) -> Hold:
        return next(h for h in self.state.holds if h.id == hold_id)

    def _active(self, asset: str) -> list[Hold]:
        return [h for h in self.state.holds if h.asset == asset and h.status in IN_FORCE]

    def _outside_in_force(self, asset: str) -> int:
        return sum(o.shares for o in self.state.outside if o.asset == asset and o.status == "effective")

    def _free(self, asset: str) -> int:
        held = sum(h.held for h in self._active(asset) if h.status == "effective")
        return max(self._shares_of(asset) - self._outside_in_force(asset) - held, 0)

    def _settle_all(self) -> None:
        for asset in sorted({h.asset for h in self.state.holds} | {o.asset for o in self.state.outside}):
            self._settle(asset)

    def _settle(self, asset: str) -> None:
        """Expires what ended before today, then lets queued freezes take effect in order."""
        today = self._today()
        for h in self.state.holds:
            if h.asset == asset and h.status in IN_FORCE and dt.date.fromisoformat(h.until) < today:
                h.status, h.held, h.queue_position = "expired", 0, 0
        for o in self.state.outside:
            if o.asset == asset and o.status == "effective" and dt.date.fromisoformat(o.until) < today:
                o.status = "expired"
        while True:
            queue = [h for h in self._active(asset) if h.status == "queued"]
            if not queue:
                break
            in_force = len(self._active(asset)) - len(queue)
            room = self._free(asset)
            if room == 0 and (in_force > 0 or self._outside_in_force(asset) > 0):
                break
            _take(queue[0], room)
        self._number_queue(asset)
        for h in self.state.holds:
            if h.asset == asset:
                self._snapshot(h, log=True)

    def _number_queue(self, asset: str) -> None:
        queued = [h for h in self._active(asset) if h.status == "queued"]
        for n, h in enumerate(queued, start=1):
            h.queue_position = n

    def _answer(self, h: Hold) -> dict:
        return {
            "hold": h.id, "status": h.status, "queue_position": h.queue_position,
            "requested_shares": h.requested, "frozen_shares": h.held, "until": h.until,
            "message": h.message,
        }

    def _snapshot(self, h: Hold, log: bool) -> None:
        """Logs a change of `h`'s status, shares, place in line or end date since last seen."""
        now = [h.status, h.held, h.queue_position, h.until]
        before = self.state.seen.get(h.id)
        self.state.seen[h.id] = now
        if log and before is not None and before != now and h.placed_by:
            seq = (self.state.changes[-1]["seq"] if self.state.changes else 0) + 1
            self.state.changes.append({"seq": seq, "key": h.placed_by, "answer": self._answer(h)})

    def _commit(self) -> None:
        if not self._file:
            return
        data = {
            "holds": [asdict(h) for h in self.state.holds],
            "outside": [asdict(o) for o in self.state.outside],
            "keys": {k: asdict(v) for k, v in self.state.keys.items()},
            "changes": self.state.changes,
            "seen": self.state.seen,
        }
        directory = os.path.dirname(os.path.abspath(self._file))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".csdc-register-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False)
            os.replace(tmp, self._file)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _load(self, file: str) -> None:
        with open(file, encoding="utf-8") as f:
            data = json.load(f)
        self.state = State(
            holds=[Hold(**h) for h in data.get("holds", [])],
            outside=[OutsideFreeze(**o) for o in data.get("outside", [])],
            keys={k: KeyUse(**v) for k, v in data.get("keys", {}).items()},
            changes=data.get("changes", []),
            seen=data.get("seen", {}),
        )


def _take(hold: Hold, free: int) -> None:
    hold.held = min(hold.requested, free)
    hold.status = "effective"
    hold.queue_position = 0
    if hold.held < hold.requested:
        hold.message = (f"only {free} shares free of {hold.requested} asked; "
                        f"froze {hold.held} shares")
