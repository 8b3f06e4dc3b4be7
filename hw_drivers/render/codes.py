"""QR and Code128 drawn as images, for the preview and for printers printing them as graphics."""

from __future__ import annotations

from functools import lru_cache

import barcode
import qrcode
from PIL import Image, ImageDraw

QR_BOX_DOTS = 5  # 0.6 mm modules at 203 dpi: a UUID's QR is about 2 cm wide
BAR_MODULE_DOTS = 2
BAR_HEIGHT_DOTS = 64


@lru_cache(maxsize=64)
def code_image(kind: str, data: str, max_width: int) -> Image.Image:
    """A black-on-white "L" image of the code, at most `max_width` dots wide."""
    if kind == "qr":
        qr = qrcode.QRCode(box_size=QR_BOX_DOTS, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(data)
        qr.make(fit=True)
        image = qr.make_image().get_image().convert("L")
    elif kind == "code128":
        modules = "".join(barcode.get("code128", data).build())
        module = BAR_MODULE_DOTS if len(modules) * BAR_MODULE_DOTS <= max_width else 1
        quiet = 10 * module
        image = Image.new("L", (len(modules) * module + 2 * quiet, BAR_HEIGHT_DOTS), 255)
        draw = ImageDraw.Draw(image)
        for i, bit in enumerate(modules):
            if bit == "1":
                x = quiet + i * module
                draw.rectangle((x, 0, x + module - 1, BAR_HEIGHT_DOTS - 1), fill=0)
    else:
        raise ValueError(f"unknown code kind {kind!r}")
    if image.width > max_width:
        image = image.resize((max_width, image.height * max_width // image.width))
    return image
