"""Check digits of retail barcodes (EAN-13, EAN-8, UPC-A, UPC-E).

A scanner with a smudged label or a misconfigured symbology can hand on a wrong number;
with a valid-looking check digit we would sell the wrong product. Numeric codes of these
lengths must carry a correct GS1 mod-10 check digit; anything else (Code128 internal
codes, QR payloads, other lengths) passes through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BarcodeCheck:
    """`symbology` is "ean13", "upca", "ean8", "upce" or "other"; `reason` says why not valid."""

    symbology: str
    valid: bool
    reason: str = ""


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of `body` (all digits, check digit not included)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _has_valid_check(code: str) -> bool:
    return gs1_check_digit(code[:-1]) == int(code[-1])


def upce_to_upca(code: str) -> str | None:
    """Expand an 8-digit UPC-E code to its 12-digit UPC-A form; None if it cannot be UPC-E."""
    if len(code) != 8 or not code.isdigit() or code[0] not in "01":
        return None
    ns, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


_LENGTHS = {13: "ean13", 12: "upca", 8: "ean8"}


def check_barcode(code: str) -> BarcodeCheck:
    """Classify `code` and validate its check digit when it is an EAN/UPC number."""
    if not (code.isascii() and code.isdigit()) or len(code) not in _LENGTHS:
        return BarcodeCheck("other", True)
    if _has_valid_check(code):
        return BarcodeCheck(_LENGTHS[len(code)], True)
    if len(code) == 8:
        expanded = upce_to_upca(code)
        if expanded is not None and _has_valid_check(expanded):
            return BarcodeCheck("upce", True)
    return BarcodeCheck(
        _LENGTHS[len(code)], False, f"bad check digit in {_LENGTHS[len(code)].upper()} {code}"
    )
