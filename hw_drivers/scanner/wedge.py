"""Decode the key events of a keyboard-wedge (USB HID keyboard) scanner into codes.

A scanner "types" a whole code within a few milliseconds, each key a few ms apart; a
person needs 60 ms or more per key. The decoder keeps the keys of one burst together,
ends it on the configured suffix key (or, with suffix "none", on the first pause), and
marks input that came too slowly or too short as typed rather than scanned.
"""

from __future__ import annotations

from dataclasses import dataclass

from evdev import ecodes as e

from .keymaps import KEYPAD_DIGITS, LAYOUTS, Layout

SUFFIXES = {
    "enter": frozenset({e.KEY_ENTER, e.KEY_KPENTER}),
    "tab": frozenset({e.KEY_TAB}),
    "none": frozenset(),
}
_SHIFT = frozenset({e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT})
_CTRL = frozenset({e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL})
KEY_DOWN, KEY_UP = 1, 0


@dataclass(frozen=True)
class KeyInput:
    """Text typed on the device: `is_scan` for a scanner burst, False for human typing."""

    text: str
    started: float
    ended: float
    is_scan: bool


class KeyboardWedgeDecoder:
    """Feed it `evdev.InputEvent`s (or anything with type, code, value, timestamp()).

    `feed(event)` returns a `KeyInput` when an input is complete, else None.
    `flush(now)` completes a burst that ended in silence (suffix "none").
    Only key-down events make characters; key repeats are ignored (scanners don't repeat).
    Ctrl+key gives the ASCII control character (Ctrl+] is GS, the GS1 separator) and
    Alt+keypad digits give the character of that code point.
    """

    def __init__(
        self,
        layout: str | Layout = "us",
        suffix: str = "enter",
        max_key_gap_ms: float = 50.0,
        min_length: int = 4,
    ) -> None:
        self.layout = LAYOUTS[layout] if isinstance(layout, str) else layout
        self.terminators = SUFFIXES[suffix]
        self.suffix = suffix
        self.max_gap = max_key_gap_ms / 1000.0
        self.min_length = min_length
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._altgr = self._alt = self._caps = False
        self._alt_digits = ""
        self._dead: str | None = None
        self._reset()

    def _reset(self) -> None:
        self._chars: list[str] = []
        self._typed = ""
        self._first = self._last = 0.0

    def feed(self, event) -> KeyInput | None:
        if event.type != e.EV_KEY:
            return None
        code, value, at = event.code, event.value, event.timestamp()
        if code in _SHIFT or code in _CTRL:
            held = self._shift if code in _SHIFT else self._ctrl
            if value == KEY_UP:
                held.discard(code)
            else:
                held.add(code)
            return None
        if code == e.KEY_RIGHTALT:
            self._altgr = value != KEY_UP
            return None
        if code == e.KEY_LEFTALT:
            self._alt = value != KEY_UP
            if not self._alt and self._alt_digits:
                number, self._alt_digits = int(self._alt_digits), ""
                if 0 < number < 0x110000:
                    return self._type(chr(number), at)
            return None
        if value != KEY_DOWN:
            return None
        if code == e.KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in self.terminators:
            return self._terminate(at)
        if self._alt and code in KEYPAD_DIGITS:
            self._alt_digits += KEYPAD_DIGITS[code]
            return None
        return self._key(code, at)

    def flush(self, now: float) -> KeyInput | None:
        """Complete a burst after a pause (suffix "none"); call it when no key arrives."""
        if self.suffix == "none" and self._chars and now - self._last > self.max_gap:
            return self._complete()
        return None

    def _key(self, code: int, at: float) -> KeyInput | None:
        shift = bool(self._shift)
        level = "altgr" if self._altgr else "shift" if shift else "plain"
        ch = self.layout.char(code, shift=shift, altgr=self._altgr, caps=self._caps)
        if ch is None:
            return None
        if self.layout.is_dead(code, level):
            self._dead = ch
            return None
        if self._dead is not None:
            ch, self._dead = (self._dead if ch == " " else ch), None
        if self._ctrl and "@" <= ch.upper() <= "_":
            ch = chr(ord(ch.upper()) - 64)
        return self._type(ch, at)

    def _type(self, ch: str, at: float) -> KeyInput | None:
        done = None
        if self._chars and at - self._last > self.max_gap:
            if self.suffix == "none":
                done = self._complete()
            else:  # too slow for a scanner: a person typed this
                self._typed += "".join(self._chars)
                self._chars = []
        if not self._chars:
            self._first = at
        self._chars.append(ch)
        self._last = at
        return done

    def _terminate(self, at: float) -> KeyInput | None:
        quick = bool(self._chars) and at - self._last <= self.max_gap
        return self._complete(quick and len(self._chars) >= self.min_length)

    def _complete(self, is_scan: bool | None = None) -> KeyInput | None:
        text, typed, first, last = "".join(self._chars), self._typed, self._first, self._last
        self._reset()
        if is_scan is None:
            is_scan = len(text) >= self.min_length
        if is_scan:
            return KeyInput(text, first, last, True)
        text = typed + text
        return KeyInput(text, first, last, False) if text else None
