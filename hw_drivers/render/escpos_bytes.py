"""A `Document` as ESC/POS bytes, using python-escpos' command set (its `Dummy` printer)."""

from __future__ import annotations

from escpos.printer import Dummy
from PIL import Image

from .codes import code_image
from .document import Code, Document, Feed, Picture, Text


def command_bytes(profile, build) -> bytes:
    """Bytes of whatever `build(printer)` sends to a python-escpos printer with `profile`."""
    printer = Dummy()
    printer.profile = profile
    build(printer)
    return printer.output


def _centred(image: Image.Image, width: int) -> Image.Image:
    # Padding the image itself centres it on every printer: ESC a does not apply to
    # raster images on many models, and python-escpos only centres with a known profile.
    canvas = Image.new("L", (width, image.height), 255)
    canvas.paste(image.convert("L"), ((width - image.width) // 2, 0))
    return canvas


def document_escpos(document: Document, profile, *, native_codes: bool = False) -> bytes:
    """Initialise, select the charset, print every block, feed and cut."""
    charset, paper = document.charset, document.paper

    def build(p: Dummy) -> None:
        p.hw("INIT")
        p._raw(charset.select)
        bold = double = False
        for block in document.blocks:
            if isinstance(block, Text):
                if block.bold != bold:
                    bold = block.bold
                    p.set(bold=bold)
                if block.double != double:
                    double = block.double
                    p.set(custom_size=True, width=2 if double else 1, height=2 if double else 1)
                p._raw(charset.encode(block.text.rstrip()) + b"\n")
            elif isinstance(block, Feed):
                p._raw(b"\n" * block.lines)
            elif isinstance(block, Code) and native_codes:
                p.set(align="center")
                if block.kind == "qr":
                    p.qr(block.data, native=True, size=6)
                else:
                    p.barcode("{B" + block.data, "CODE128", pos="OFF", function_type="B", width=2)
                p.set(align="left")
            elif isinstance(block, (Picture, Code)):
                image = block.image if isinstance(block, Picture) else code_image(
                    block.kind, block.data, paper.dots
                )
                p.image(_centred(image, paper.dots))
        if bold:
            p.set(bold=False)
        if double:
            p.set(custom_size=True, width=1, height=1)
        p.cut()

    return command_bytes(profile, build)
