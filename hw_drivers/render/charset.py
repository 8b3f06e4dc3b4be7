"""How text becomes printer bytes, and how many columns each character takes on paper.

Two kinds of printer character sets:

* "gb18030": Chinese mode (FS &), as common Chinese ESC/POS printers need. ASCII prints
  as 12-dot half-width characters, every two-byte GB18030 character (hanzi, full-width
  punctuation, even Latin letters from the GB tables) as a 24-dot full-width glyph, so it
  counts two columns. Four-byte GB18030 characters are missing from the printers' fonts:
  a few have full-width stand-ins (¥ -> ￥), the rest print as "?".
* a single-byte code page the python-escpos profile knows (e.g. "cp437", "cp858",
  "cp1252"): one column per character; accents the page lacks lose their accent, and
  characters it cannot show at all (hanzi) print as "?".

The rendered text and the PNG preview use the same normalised text, so they show what
the paper will.
"""

from __future__ import annotations

import unicodedata

from ..errors import ConfigError

FS_CHINESE_MODE = b"\x1c\x26"  # FS &: select Kanji/Chinese character mode
_FULL_WIDTH_STANDINS = {"¥": "￥"}


class Charset:
    """Base: `normalize(text)`, `width(text)`, `encode(text)` and the `select` command.
    A charset overrides `_normalize_char`, `_char_width` and `encode`; the base caches
    the per-character answers (a receipt asks thousands of times)."""

    name = ""
    select = b""

    def __init__(self) -> None:
        self._normal: dict[str, str] = {}
        self._width: dict[str, int] = {}

    def normalize_char(self, ch: str) -> str:
        if ch not in self._normal:
            self._normal[ch] = self._normalize_char(ch)
        return self._normal[ch]

    def char_width(self, ch: str) -> int:
        if ch not in self._width:
            self._width[ch] = self._char_width(ch)
        return self._width[ch]

    def normalize(self, text: str) -> str:
        return "".join(self.normalize_char(ch) for ch in text)

    def width(self, text: str) -> int:
        return sum(self.char_width(ch) for ch in text)

    def _normalize_char(self, ch: str) -> str:
        raise NotImplementedError

    def _char_width(self, ch: str) -> int:
        raise NotImplementedError

    def encode(self, text: str) -> bytes:
        raise NotImplementedError


def _printable(ch: str) -> bool:
    return ch >= " " and unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


class ChineseCharset(Charset):
    name = "gb18030"
    select = FS_CHINESE_MODE

    def _normalize_char(self, ch: str) -> str:
        if not _printable(ch):
            return "" if ch != "\t" else " "
        ch = _FULL_WIDTH_STANDINS.get(ch, ch) if len(ch.encode("gb18030")) > 2 else ch
        return ch if all(len(c.encode("gb18030")) <= 2 for c in ch) else "?"

    def _char_width(self, ch: str) -> int:
        return len(ch.encode("gb18030"))

    def encode(self, text: str) -> bytes:
        return text.encode("gb18030")


class CodePageCharset(Charset):
    """`escpos_name` is the profile's code page name, `table` its ESC t number."""

    def __init__(self, python_name: str, escpos_name: str, table: int) -> None:
        super().__init__()
        self.name = python_name
        self.escpos_name = escpos_name
        self.select = b"\x1bt" + bytes([table])

    def _normalize_char(self, ch: str) -> str:
        if not _printable(ch):
            return "" if ch != "\t" else " "
        for candidate in (ch, unicodedata.normalize("NFKD", ch)[:1]):
            try:
                candidate.encode(self.name)
                return candidate
            except UnicodeEncodeError:
                continue
        return "?"

    def _char_width(self, ch: str) -> int:
        return 1

    def encode(self, text: str) -> bytes:
        return text.encode(self.name, "replace")


def charset_for(encoding: str, profile) -> Charset:
    """The charset for `[hardware.printer] encoding`, checked against the escpos profile."""
    if encoding.lower().replace("-", "") in ("gb18030", "gbk", "gb2312"):
        return ChineseCharset()
    pages = {
        name.upper().replace("_", "-"): (name, int(n)) for name, n in profile.get_code_pages().items()
    }
    wanted = encoding.upper().replace("_", "-")
    if wanted not in pages:
        raise ConfigError(
            f"printer encoding {encoding!r} is not a code page of profile "
            f"{profile.profile_data.get('name', '?')!r}; use 'gb18030' for Chinese printers or "
            f"one of: {', '.join(sorted(pages))}"
        )
    escpos_name, table = pages[wanted]
    return CodePageCharset(encoding.lower(), escpos_name, table)
