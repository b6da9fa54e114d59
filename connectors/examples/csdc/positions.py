"""The depository's investors and their positions (证券账户 + 证券代码 + 持有数量 + 市价), the
other courts' old freezes on them, and the agency's calendar (Beijing civil dates).

Data only, plus the clock: the demo debtors of mocks/src/population.rs hold positions here
(张伟 and 福建某某贸易有限公司 among them), one of them frozen in full by another court so a
new freeze queues behind it. Prices are integer fen; market values are shares × price.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from register import OutsideFreeze

# China keeps no daylight saving time: Beijing civil time is UTC+8 all year (Asia/Shanghai).
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True)
class Investor:
    id_number: str
    name: str


@dataclass(frozen=True)
class Position:
    # The asset's local id: "<securities account>-<security code>" (ASCII, no spaces or '/').
    id: str
    investor: str  # id number
    account: str  # 证券账户
    market: str  # SH | SZ
    code: str  # 证券代码
    name: str  # 证券简称
    shares: int
    price_fen: int  # 市价, fen per share

    @property
    def title(self) -> str:
        return f"{self.code} {self.name}"


INVESTORS = [
    Investor("11010519491231002X", "张伟"),
    Investor("91350100M000100Y43", "福建某某贸易有限公司"),
    Investor("42010619880315001X", "李娜"),
]


def _position(investor: str, account: str, market: str, code: str, name: str, shares: int,
              price_fen: int) -> Position:
    return Position(f"{account}-{code}", investor, account, market, code, name, shares, price_fen)


POSITIONS = [
    _position("11010519491231002X", "A110105002", "SH", "600000", "浦发银行", 20_000, 1_052),
    _position("11010519491231002X", "0110105002", "SZ", "000001", "平安银行", 5_000, 1_186),
    _position("91350100M000100Y43", "B350100001", "SH", "601318", "中国平安", 50_000, 4_820),
    # Frozen in full by another court (闽0102): a freeze here queues behind it.
    _position("91350100M000100Y43", "B350100001", "SH", "600519", "贵州茅台", 300, 152_000),
    _position("42010619880315001X", "A420106017", "SH", "601398", "工商银行", 8_000, 612),
]

# Other courts' freezes recorded before the hub's time (paper orders): ids a clerk can lift
# with POST /__admin/holds/lift, never listed in the hub's register export.
OUTSIDE_FREEZES = [
    OutsideFreeze(id="CSDC-EXT-000001", asset="B350100001-600519", court="闽0102", shares=300,
                  until="2099-12-31"),
]


class Clock:
    """The agency's today: Beijing's date (or a fixed one), moved by an offset in days."""

    def __init__(self, fixed: dt.date | None = None, offset_days: int = 0):
        self._lock = threading.Lock()
        self.fixed = fixed
        self.offset_days = offset_days

    def today(self) -> dt.date:
        with self._lock:
            base = self.fixed or dt.datetime.now(BEIJING).date()
            return base + dt.timedelta(days=self.offset_days)

    def set(self, fixed: dt.date | None = None, offset_days: int | None = None) -> None:
        with self._lock:
            if fixed is not None:
                self.fixed = fixed
            if offset_days is not None:
                self.offset_days = offset_days


class Book:
    """Lookups over the positions."""

    def __init__(self, investors=INVESTORS, positions=POSITIONS):
        self.investors = {i.id_number: i for i in investors}
        self.positions = {p.id: p for p in positions}

    def of(self, id_number: str) -> list[Position]:
        return [p for p in self.positions.values() if p.investor == id_number]

    def shares_of(self, asset: str) -> int:
        p = self.positions.get(asset)
        return p.shares if p else 0
