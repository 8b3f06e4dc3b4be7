"""Receipts and reports as ESC/POS bytes, as the text on the paper, and as a PNG preview.

    renderer = ReceiptRenderer(paper_width_mm=58, encoding="gb18030")
    rendered = renderer.receipt(receipt)
    rendered.escpos  # bytes for the printer
    rendered.text    # what a person reads on the paper
    rendered.png()   # preview, 384 dots wide for 58 mm paper, 576 for 80 mm
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from escpos.capabilities import get_profile
from PIL import Image

from ..errors import ConfigError
from ..receipt import Receipt, Report
from .charset import charset_for
from .document import Composer, Document, paper_for
from .escpos_bytes import command_bytes, document_escpos
from .layout import CODE_KINDS, layout_receipt, layout_report
from .preview import document_image, image_png

__all__ = ["ReceiptRenderer", "Rendered"]


class Rendered:
    """One laid-out document; each output is made on first use."""

    def __init__(self, document: Document, renderer: "ReceiptRenderer") -> None:
        self.document = document
        self._renderer = renderer

    @cached_property
    def text(self) -> str:
        return self.document.text()

    @cached_property
    def escpos(self) -> bytes:
        r = self._renderer
        return document_escpos(self.document, r.profile, native_codes=r.native_codes)

    def image(self) -> Image.Image:
        return document_image(self.document, self._renderer.preview_font)

    def png(self) -> bytes:
        return image_png(self.image())


def _load_logo(path: str | Path, max_width: int) -> Image.Image:
    try:
        with Image.open(path) as image:
            logo = image.convert("L")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the receipt logo {path}: {exc}") from None
    if logo.width > max_width:
        logo = logo.resize((max_width, logo.height * max_width // logo.width))
    return logo


class ReceiptRenderer:
    """Lays out receipts and reports for one printer's paper, charset and profile.

    `profile` is a python-escpos printer profile name ("default", "TM-T88V", "ZJ-5870" ...);
    `encoding` is "gb18030" (Chinese mode) or a code page of that profile ("cp437" ...);
    `code` is what identifies the sale for returns: "qr" (the sale id), "code128" (the
    receipt number) or "none"; `native_codes` lets the printer draw codes itself instead
    of receiving them as images (faster, but not every printer has GS ( k).
    """

    def __init__(
        self,
        *,
        paper_width_mm: int = 80,
        encoding: str = "gb18030",
        profile: str = "default",
        logo: str | Path | None = None,
        code: str = "qr",
        native_codes: bool = False,
        preview_font: str | None = None,
    ) -> None:
        try:
            self.profile = get_profile(profile)
        except KeyError:
            raise ConfigError(
                f"unknown python-escpos printer profile {profile!r} (e.g. 'default', "
                "'TM-T88V', 'ZJ-5870'; `python-escpos` lists them)"
            ) from None
        media = self.profile.profile_data.get("media", {})
        self.paper = paper_for(paper_width_mm, media.get("width", {}).get("pixels"))
        # This printer's own copy of the profile, knowing the paper we print on.
        self.profile.profile_data = {
            **self.profile.profile_data,
            "media": {**media, "width": {"mm": self.paper.width_mm, "pixels": self.paper.dots}},
        }
        self.charset = charset_for(encoding, self.profile)
        if code not in CODE_KINDS:
            raise ConfigError(f"code must be one of {', '.join(CODE_KINDS)}, not {code!r}")
        self.code = code
        self.native_codes = native_codes
        self.preview_font = preview_font
        self.logo = _load_logo(logo, self.paper.dots) if logo else None

    def _composer(self) -> Composer:
        return Composer(self.paper, self.charset)

    def receipt(self, receipt: Receipt, *, reprint: bool = False) -> Rendered:
        document = layout_receipt(
            receipt, self._composer(), logo=self.logo, code=self.code, reprint=reprint
        )
        return Rendered(document, self)

    def report(self, report: Report) -> Rendered:
        return Rendered(layout_report(report, self._composer()), self)

    def commands(self, build) -> bytes:
        """ESC/POS bytes of `build(escpos_printer)`, e.g. `lambda p: p.cashdraw(2)`."""
        return command_bytes(self.profile, build)
