"""Customer display (客显): what the customer sees, for a pole display and any listener."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from typing import ClassVar

from ..device import Device
from ..errors import ConfigError, DeviceUnavailable
from ..events import Listeners
from ..receipt import Currency, format_qty
from .commands import COMMAND_SETS

DEFAULT_LABELS = {"total": "TOTAL", "paid": "PAID", "change": "CHANGE", "item": "ITEM"}


@dataclass(frozen=True)
class DisplayEvent:
    """`kind` is "item", "total", "payment", "idle" or "text"; `data` is JSON-friendly (names
    as given, Chinese included; amounts in minor units and formatted); `lines` is what a
    pole display shows."""

    kind: str
    data: dict = field(hash=False)
    lines: tuple[str, ...]


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def pole_text(text: str, encoding: str, *, collapse: bool = True) -> str:
    """`text` as far as a pole display can show it: a character its code page lacks loses
    its accent (Ł -> L), one without any glyph there (hanzi) is left out; then
    (`collapse`) runs of spaces become one."""
    kept = []
    for ch in unicodedata.normalize("NFC", text):
        if not ch.isprintable():
            ch = " "
        elif not _encodable(ch, encoding):
            base = unicodedata.normalize("NFKD", ch)[:1]
            ch = base if base.isprintable() and _encodable(base, encoding) else ""
        kept.append(ch)
    text = "".join(kept)
    return " ".join(text.split()) if collapse else text


class CustomerDisplay(Device):
    """Customer display. `show_item`, `show_total`, `show_payment`, `show_idle` and
    `show_text` build a `DisplayEvent`, send it to `on_event` listeners (the HDMI
    customer page) and show its `lines` on the pole display.

    Pole displays have no Chinese glyphs: names are shown as far as their code page goes,
    else the SKU, else just the price (see docs/hardware.md).

    A backend overrides `_write(data: bytes)` (raise `DeviceUnavailable` when gone) and
    may override `_connect()` / `_disconnect()`. The base re-sends the current screen
    after a reconnect.
    """

    kind: ClassVar[str] = "display"

    def __init__(
        self,
        *,
        columns: int = 20,
        rows: int = 2,
        command_set: str = "escpos",
        encoding: str = "cp437",
        currency: Currency | None = None,
        idle_lines: tuple[str, ...] | list[str] = ("WELCOME", ""),
        labels: dict | None = None,
        retry_s: float = 5.0,
    ) -> None:
        super().__init__(retry_s=retry_s)
        if command_set not in COMMAND_SETS:
            raise ConfigError(
                f"unknown display command_set {command_set!r}; known: {', '.join(COMMAND_SETS)}"
            )
        self.columns, self.rows, self.encoding = columns, rows, encoding
        self.commands = COMMAND_SETS[command_set]
        self.currency = currency or Currency()
        self.idle_lines = tuple(idle_lines)
        self.labels = {**DEFAULT_LABELS, **(labels or {})}
        self.on_event: Listeners[DisplayEvent] = Listeners("display")
        self._lines = ("",) * rows
        self._lock = threading.Lock()

    @property
    def lines(self) -> tuple[str, ...]:
        """What the pole display shows now, one string per row."""
        return self._lines

    # -- screens -------------------------------------------------------------------------

    def show_item(
        self, name: str, price: int, *, qty_milli: int = 1000, unit: str = "each",
        amount: int | None = None, sku: str = "",
    ) -> DisplayEvent:
        if amount is None:
            if qty_milli != 1000:
                raise ValueError("pass the line amount for a quantity other than 1: the till rounds it")
            amount = price
        title = pole_text(name, self.encoding) or pole_text(sku, self.encoding)
        money = self._money(amount)
        if qty_milli != 1000 or unit != "each":
            detail = self._pair(f"{format_qty(qty_milli, unit)} x {self._money(price)}", money)
        else:
            detail = self._pair("", money)
        data = {"name": name, "sku": sku, "qty_milli": qty_milli, "unit": unit, "price": price,
                "amount": amount, "price_text": self.currency.format(price),
                "amount_text": self.currency.format(amount)}
        return self._show("item", data, (title or self.labels["item"], detail))

    def show_total(self, total: int) -> DisplayEvent:
        data = {"total": total, "total_text": self.currency.format(total)}
        return self._show("total", data, (self.labels["total"], self._pair("", self._money(total))))

    def show_payment(self, paid: int, change: int) -> DisplayEvent:
        data = {"paid": paid, "change": change, "paid_text": self.currency.format(paid),
                "change_text": self.currency.format(change)}
        lines = (self._pair(self.labels["paid"], self._money(paid)),
                 self._pair(self.labels["change"], self._money(change)))
        return self._show("payment", data, lines)

    def show_idle(self) -> DisplayEvent:
        return self._show("idle", {}, self.idle_lines)

    def show_text(self, *lines: str) -> DisplayEvent:
        return self._show("text", {"lines": list(lines)}, lines)

    # -- machinery -----------------------------------------------------------------------

    def _money(self, minor: int) -> str:
        text = self.currency.format(minor)
        return text if pole_text(text, self.encoding) == text else self.currency.format(minor, symbol=False)

    def _pair(self, left: str, right: str) -> str:
        room = self.columns - len(left) - len(right)
        return left + " " * room + right if room >= 1 else right.rjust(self.columns)

    def _show(self, kind: str, data: dict, lines) -> DisplayEvent:
        rows = [pole_text(line, self.encoding, collapse=False)[: self.columns] for line in lines]
        rows = tuple((rows + [""] * self.rows)[: self.rows])
        event = DisplayEvent(kind, data, rows)
        with self._lock:
            self._lines = rows
            if self.available:
                try:
                    self._write(self._screen(rows))
                except DeviceUnavailable as exc:
                    self._lost(exc)
        self.on_event.emit(event)
        return event

    def _screen(self, rows) -> bytes:
        return self.commands.show([row.ljust(self.columns).encode(self.encoding) for row in rows])

    def _connected(self) -> None:
        with self._lock:
            self._write(self.commands.init + self._screen(self._lines))

    def _write(self, data: bytes) -> None:
        raise NotImplementedError
