"""Keyboard layouts a keyboard-wedge scanner may be set to, as evdev key code -> character.

The scanner types each character by pressing the key that produces it in the layout it is
configured for, so the decoder must read the key codes back with that same layout: a
scanner set to French AZERTY sends the digit 1 as Shift + the key that is "1" on a US
keyboard. Set the scanner and `[hardware.scanner] layout` to the same value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evdev import ecodes as e

# Physical key rows, by Linux key code (the same codes whatever the layout).
_ROWS = (
    (e.KEY_GRAVE, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8,
     e.KEY_9, e.KEY_0, e.KEY_MINUS, e.KEY_EQUAL),
    (e.KEY_Q, e.KEY_W, e.KEY_E, e.KEY_R, e.KEY_T, e.KEY_Y, e.KEY_U, e.KEY_I, e.KEY_O,
     e.KEY_P, e.KEY_LEFTBRACE, e.KEY_RIGHTBRACE),
    (e.KEY_A, e.KEY_S, e.KEY_D, e.KEY_F, e.KEY_G, e.KEY_H, e.KEY_J, e.KEY_K, e.KEY_L,
     e.KEY_SEMICOLON, e.KEY_APOSTROPHE, e.KEY_BACKSLASH),
    (e.KEY_102ND, e.KEY_Z, e.KEY_X, e.KEY_C, e.KEY_V, e.KEY_B, e.KEY_N, e.KEY_M,
     e.KEY_COMMA, e.KEY_DOT, e.KEY_SLASH),
)
NONE = "\0"  # placeholder in the row strings: this key makes no character at this level

# Keys that type the same in every layout (keypad with NumLock on, space).
_COMMON = {
    e.KEY_SPACE: " ", e.KEY_KP0: "0", e.KEY_KP1: "1", e.KEY_KP2: "2", e.KEY_KP3: "3",
    e.KEY_KP4: "4", e.KEY_KP5: "5", e.KEY_KP6: "6", e.KEY_KP7: "7", e.KEY_KP8: "8",
    e.KEY_KP9: "9", e.KEY_KPDOT: ".", e.KEY_KPMINUS: "-", e.KEY_KPPLUS: "+",
    e.KEY_KPASTERISK: "*", e.KEY_KPSLASH: "/",
}
KEYPAD_DIGITS = {code: ch for code, ch in _COMMON.items() if ch.isdigit()}


@dataclass(frozen=True)
class Layout:
    """One keyboard layout: the character of each key alone, with Shift, with AltGr.

    `dead` lists (key code, level) pairs that are dead keys: they type their accent only
    when followed by Space (scanners send accents that way, if at all).
    """

    name: str
    plain: dict[int, str]
    shift: dict[int, str]
    altgr: dict[int, str] = field(default_factory=dict)
    dead: frozenset[tuple[int, str]] = frozenset()

    def char(self, code: int, *, shift: bool, altgr: bool, caps: bool) -> str | None:
        if altgr:
            return self.altgr.get(code)
        plain = self.plain.get(code)
        if plain is None:
            return None
        # Caps Lock flips case only on letter keys (whose Shift level is the capital).
        if caps and plain.isalpha() and self.shift.get(code) == plain.upper():
            shift = not shift
        return self.shift.get(code) if shift else plain

    def is_dead(self, code: int, level: str) -> bool:
        return (code, level) in self.dead


def _layout(name: str, plain_rows, shift_rows, altgr=None, dead=()) -> Layout:
    plain, shift = dict(_COMMON), dict(_COMMON)
    for keys, p_row, s_row in zip(_ROWS, plain_rows, shift_rows, strict=True):
        for key, p, s in zip(keys, p_row, s_row, strict=True):
            if p != NONE:
                plain[key] = p
            if s != NONE:
                shift[key] = s
    return Layout(name, plain, shift, dict(altgr or {}), frozenset(dead))


LAYOUTS: dict[str, Layout] = {
    "us": _layout(
        "us",
        ("`1234567890-=", "qwertyuiop[]", "asdfghjkl;'\\", "\\zxcvbnm,./"),
        ("~!@#$%^&*()_+", "QWERTYUIOP{}", 'ASDFGHJKL:"|', "|ZXCVBNM<>?"),
    ),
    "de": _layout(
        "de",
        ("^1234567890ß´", "qwertzuiopü+", "asdfghjklöä#", "<yxcvbnm,.-"),
        ("°!\"§$%&/()=?`", "QWERTZUIOPÜ*", "ASDFGHJKLÖÄ'", ">YXCVBNM;:_"),
        altgr={e.KEY_2: "²", e.KEY_3: "³", e.KEY_7: "{", e.KEY_8: "[", e.KEY_9: "]",
               e.KEY_0: "}", e.KEY_MINUS: "\\", e.KEY_Q: "@", e.KEY_E: "€",
               e.KEY_RIGHTBRACE: "~", e.KEY_102ND: "|", e.KEY_M: "µ"},
        dead={(e.KEY_GRAVE, "plain"), (e.KEY_EQUAL, "plain"), (e.KEY_EQUAL, "shift")},
    ),
    "fr": _layout(
        "fr",
        ("²&é\"'(-è_çà)=", "azertyuiop^$", "qsdfghjklmù*", "<wxcvbn,;:!"),
        (NONE + "1234567890°+", "AZERTYUIOP¨£", "QSDFGHJKLM%µ", ">WXCVBN?./§"),
        altgr={e.KEY_2: "~", e.KEY_3: "#", e.KEY_4: "{", e.KEY_5: "[", e.KEY_6: "|",
               e.KEY_7: "`", e.KEY_8: "\\", e.KEY_9: "^", e.KEY_0: "@", e.KEY_MINUS: "]",
               e.KEY_EQUAL: "}", e.KEY_RIGHTBRACE: "¤", e.KEY_E: "€"},
        dead={(e.KEY_LEFTBRACE, "plain"), (e.KEY_LEFTBRACE, "shift"), (e.KEY_2, "altgr"),
              (e.KEY_7, "altgr")},
    ),
}


def keys_for(text: str, layout: Layout) -> list[tuple[int, bool]]:
    """The (key code, shift) presses that type `text` on the main keys of `layout`.

    For simulators, tests and the benchmark; prefers the unshifted key.
    """
    reverse: dict[str, tuple[int, bool]] = {" ": (e.KEY_SPACE, False)}
    for shifted, table in ((True, layout.shift), (False, layout.plain)):
        level = "shift" if shifted else "plain"
        for code, ch in table.items():
            if code not in _COMMON and (code, level) not in layout.dead:
                reverse[ch] = (code, shifted)
    try:
        return [reverse[ch] for ch in text]
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} cannot be typed on layout {layout.name!r}") from None
