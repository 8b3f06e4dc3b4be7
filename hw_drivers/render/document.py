"""A laid-out document: rows of text, pictures and codes for one paper width.

The layout is done once; `escpos.py`, `preview.py` and `Document.text()` only draw it,
so the paper, the preview and the text always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ..errors import ConfigError
from .charset import Charset


@dataclass(frozen=True)
class Paper:
    """Roll width, its printable dots and its columns in font A (12 x 24 dots)."""

    width_mm: int
    dots: int

    @property
    def columns(self) -> int:
        return self.dots // 12


PRINTABLE_DOTS = {58: 384, 80: 576}  # the common Chinese 203 dpi mechanisms: 32 / 48 columns


def paper_for(width_mm: int, profile_dots: object = None) -> Paper:
    """The paper for `width_mm`; a printer profile that knows a narrower print width wins
    (an Epson TM-T88 prints 512 dots, 42 columns, on 80 mm paper)."""
    try:
        dots = PRINTABLE_DOTS[int(width_mm)]
    except (KeyError, ValueError):
        raise ConfigError(f"paper_width_mm must be 58 or 80, not {width_mm!r}") from None
    if isinstance(profile_dots, int) and 0 < profile_dots < dots:
        dots = profile_dots
    return Paper(int(width_mm), dots)


@dataclass(frozen=True)
class Text:
    """One printed row, already normalised and fitted; `double` is double width and height."""

    text: str
    bold: bool = False
    double: bool = False


@dataclass(frozen=True)
class Picture:
    """A centred image (the logo, a code drawn in software), at most the paper's dots wide."""

    image: Any  # PIL.Image.Image


@dataclass(frozen=True)
class Code:
    """A code of `kind` "qr" or "code128", printed centred."""

    kind: str
    data: str


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Block = Union[Text, Picture, Code, Feed]


@dataclass(frozen=True)
class Document:
    paper: Paper
    charset: Charset
    blocks: tuple[Block, ...]

    def text(self) -> str:
        """What a person reads on the paper, one row per line (pictures and codes left out)."""
        rows: list[str] = []
        for block in self.blocks:
            if isinstance(block, Text):
                rows.append(block.text.rstrip())
            elif isinstance(block, Feed):
                rows.extend([""] * block.lines)
        return "\n".join(rows) + "\n"


class Composer:
    """Builds a `Document` row by row, counting columns with the printer's charset."""

    def __init__(self, paper: Paper, charset: Charset) -> None:
        self.paper, self.charset = paper, charset
        self.blocks: list[Block] = []

    def document(self) -> Document:
        return Document(self.paper, self.charset, tuple(self.blocks))

    def _columns(self, double: bool) -> int:
        return self.paper.columns // 2 if double else self.paper.columns

    def _fit(self, text: str, columns: int, align: str = "left") -> str:
        width = self.charset.width
        while width(text) > columns:
            text = text[:-1]
        room = columns - width(text)
        if align == "center":
            return " " * (room // 2) + text + " " * (room - room // 2)
        if align == "right":
            return " " * room + text
        return text + " " * room

    def wrap(self, text: str, columns: int) -> list[str]:
        """Break `text` into rows of at most `columns`; a word that would split breaks
        after its last space or hyphen instead (hanzi break anywhere)."""
        text = self.charset.normalize(text)
        rows, row, used = [], "", 0
        for ch in text:
            w = self.charset.char_width(ch)
            if used + w > columns:
                cut = max(row.rfind(" "), row.rfind("-") + 1)
                if cut > 0 and ch not in " -":
                    rows.append(row[:cut])
                    row = row[cut:].lstrip(" ")
                    used = self.charset.width(row)
                if used + w > columns:  # no word break helps: break right here
                    if row:
                        rows.append(row)
                    row, used = "", 0
                if ch == " " and not row:
                    continue
            row += ch
            used += w
        if row or not rows:
            rows.append(row)
        return [r.rstrip() for r in rows]

    def line(self, text: str = "", *, align="left", bold=False, double=False) -> None:
        """One row per wrapped line of `text`."""
        columns = self._columns(double)
        for row in self.wrap(text, columns):
            self.blocks.append(Text(self._fit(row, columns, align), bold, double))

    def center(self, text: str, **style) -> None:
        self.line(text, align="center", **style)

    def pair(self, left: str, right: str, *, bold=False, double=False) -> None:
        """`left` and `right` on one row; on two rows (right-aligned) when they don't fit."""
        columns = self._columns(double)
        left, right = self.charset.normalize(left), self.charset.normalize(right)
        room = columns - self.charset.width(left) - self.charset.width(right)
        if room >= 1:
            self.blocks.append(Text(left + " " * room + right, bold, double))
        else:
            self.line(left, bold=bold, double=double)
            self.line(right, align="right", bold=bold, double=double)

    def rule(self, char: str = "-") -> None:
        self.blocks.append(Text(char * self.paper.columns))

    def picture(self, image) -> None:
        self.blocks.append(Picture(image))

    def code(self, kind: str, data: str) -> None:
        self.blocks.append(Code(kind, data))

    def feed(self, lines: int = 1) -> None:
        self.blocks.append(Feed(lines))
