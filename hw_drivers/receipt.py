"""What a receipt or report says, as plain data: the till builds it, the renderer prints it.

Money is integer minor units (fen, cents) with the receipt's `Currency`; amounts are
printed exactly as given, signed as they count towards the total (a discount is
negative, a refund's lines and payments are negative). The renderer does no arithmetic.
Quantities are integer milli-units: 2 items are 2000 "each", 1.254 kg is 1254 "kg".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

UNITS = ("each", "kg")


@dataclass(frozen=True)
class Currency:
    code: str = "CNY"
    exponent: int = 2
    symbol: str = "¥"

    def __post_init__(self) -> None:
        if not 0 <= self.exponent <= 4:
            raise ValueError(f"currency exponent {self.exponent} is not 0..4")

    def format(self, minor: int, *, symbol: bool = True) -> str:
        sign = "-" if minor < 0 else ""
        whole, frac = divmod(abs(minor), 10**self.exponent)
        number = f"{whole}.{frac:0{self.exponent}d}" if self.exponent else str(whole)
        return f"{sign}{self.symbol if symbol else ''}{number}"


def format_qty(qty_milli: int, unit: str) -> str:
    """2000 each -> "2", 1500 each -> "1.5", 1254 kg -> "1.254 kg"."""
    sign = "-" if qty_milli < 0 else ""
    whole, frac = divmod(abs(qty_milli), 1000)
    if unit == "kg":
        return f"{sign}{whole}.{frac:03d} kg"
    return f"{sign}{whole}" + (f".{frac:03d}".rstrip("0") if frac else "")


@dataclass(frozen=True)
class Adjustment:
    """A discount or promotion line (折扣 / 促销 / 满减); `amount` is negative for money off."""

    label: str
    amount: int


@dataclass(frozen=True)
class ReceiptLine:
    """One sold (or returned) item. `amount` is qty x unit price before `adjustments`."""

    name: str
    qty_milli: int
    unit_price: int
    amount: int
    unit: str = "each"
    adjustments: tuple[Adjustment, ...] = ()
    sku: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit {self.unit!r} is not one of {UNITS}")


@dataclass(frozen=True)
class TaxLine:
    """One rate of the tax summary; `rate_bp` in basis points (1300 = 13 %)."""

    label: str
    rate_bp: int
    taxable: int
    tax: int


@dataclass(frozen=True)
class Payment:
    """`method` as the cashier sees it (现金, 微信支付, 银行卡 ...)."""

    method: str
    amount: int
    reference: str = ""


@dataclass(frozen=True)
class Member:
    """`card_no` already masked by the till (e.g. ****1234)."""

    card_no: str
    tier: str = ""
    points_earned: int = 0
    points_balance: int = 0


@dataclass(frozen=True)
class StoreHeader:
    name: str
    address: str = ""
    phone: str = ""
    tax_id: str = ""


@dataclass(frozen=True)
class Receipt:
    """A sale receipt (小票) or, with `kind="refund"`, a refund receipt (退货单)."""

    sale_id: str
    receipt_no: str
    created_at: datetime
    store: StoreHeader
    cashier: str
    lines: tuple[ReceiptLine, ...]
    subtotal: int
    total: int
    payments: tuple[Payment, ...] = ()
    change: int = 0
    promotions: tuple[Adjustment, ...] = ()
    taxes: tuple[TaxLine, ...] = ()
    tax_included: bool = True
    member: Member | None = None
    footer: tuple[str, ...] = ()
    currency: Currency = field(default_factory=Currency)
    language: str = "zh-CN"
    kind: str = "sale"
    original_receipt_no: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("sale", "refund"):
            raise ValueError(f"receipt kind {self.kind!r} is not 'sale' or 'refund'")


@dataclass(frozen=True)
class ReportRow:
    """A label/value row; `heading=True` starts a section (the value is ignored)."""

    label: str
    value: str = ""
    heading: bool = False


@dataclass(frozen=True)
class Report:
    """A generic printed report, e.g. the X (shift so far) or Z (day close) report."""

    title: str
    created_at: datetime
    rows: tuple[ReportRow, ...]
    store: StoreHeader | None = None
    subtitle: str = ""
    footer: tuple[str, ...] = ()
