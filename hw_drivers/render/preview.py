"""A `Document` as a picture of the paper (PNG), for previews on screen.

Every character is drawn in its own 12 x 24 dot cell (24 x 24 for full-width ones, twice
that in double size), exactly where the printer's font A puts it, so columns line up as
they do on paper whatever the font's own advance widths.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..errors import MissingDependency
from .codes import code_image
from .document import Code, Document, Feed, Picture, Text

CELL_W, CELL_H, ROW_H, MARGIN = 12, 24, 30, 12

# Debian fonts with the Chinese glyphs, best first: (path, index in the collection).
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 1),  # fonts-wqy-microhei (Mono face)
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # fonts-noto-cjk
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),  # fonts-wqy-zenhei
)


@lru_cache(maxsize=8)
def preview_font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    """The font for previews: `path` if given, else the first installed CJK font."""
    candidates = ((path, 0),) if path else FONT_CANDIDATES
    for candidate, index in candidates:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size, index=index)
    raise MissingDependency(
        f"no font for receipt previews ({path or 'no CJK font installed'}): "
        "apt-get install fonts-wqy-microhei (or fonts-noto-cjk), or set "
        "[hardware.printer] preview_font to a .ttf/.ttc file"
    )


@lru_cache(maxsize=4096)
def _cell(ch: str, columns: int, scale: int, bold: bool, font_path: str | None) -> Image.Image:
    """One character drawn in its cell; drawn once, pasted wherever it occurs."""
    font = preview_font(font_path, (CELL_H - 2) * scale)
    cell = Image.new("L", (columns * CELL_W * scale, ROW_H * scale), 255)
    draw = ImageDraw.Draw(cell)
    for dx in (0, 1) if bold else (0,):
        draw.text((dx, scale), ch, font=font, fill=0)
    return cell


def _height(block, width: int) -> int:
    if isinstance(block, Text):
        return ROW_H * (2 if block.double else 1)
    if isinstance(block, Feed):
        return ROW_H * block.lines
    image = block.image if isinstance(block, Picture) else code_image(block.kind, block.data, width)
    return image.height + ROW_H // 2


def document_image(document: Document, font_path: str | None = None) -> Image.Image:
    """A greyscale image exactly `paper.dots` wide (384 for 58 mm, 576 for 80 mm)."""
    width, charset = document.paper.dots, document.charset
    height = 2 * MARGIN + sum(_height(block, width) for block in document.blocks)
    page = Image.new("L", (width, height), 255)
    y = MARGIN
    for block in document.blocks:
        if isinstance(block, Text):
            scale = 2 if block.double else 1
            x = 0
            for ch in block.text.rstrip():
                columns = charset.char_width(ch)
                if ch != " ":
                    page.paste(_cell(ch, columns, scale, block.bold, font_path), (x, y))
                x += columns * CELL_W * scale
        elif isinstance(block, (Picture, Code)):
            image = block.image if isinstance(block, Picture) else code_image(block.kind, block.data, width)
            page.paste(image.convert("L"), ((width - image.width) // 2, y))
        y += _height(block, width)
    return page


def image_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()
