"""Barcode arithmetic: GTIN check digits and in-store weighted/priced EAN-13 codes."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ValidationError

GTIN_LENGTHS = (8, 12, 13)


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits of a GTIN without its last digit (GS1 mod 10)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_gtin(code: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) in GTIN_LENGTHS


def gtin_valid(code: str) -> bool:
    return is_gtin(code) and gtin_check_digit(code[:-1]) == int(code[-1])


def normalize(code: str) -> str:
    """The form a code is stored and looked up in.

    Surrounding whitespace goes; a UPC-A (12 digits) becomes its EAN-13 form (a
    leading 0), so a product is found whichever way the scanner reports it. A
    GTIN with a wrong check digit is a bad read, never a lookup.
    """
    code = code.strip()
    if not code:
        raise ValidationError("the barcode is empty", code="invalid_barcode")
    if len(code) > 64 or any(ord(ch) < 33 for ch in code):
        raise ValidationError(f"{code[:64]!r} is not a barcode", code="invalid_barcode")
    if is_gtin(code):
        if not gtin_valid(code):
            raise ValidationError(
                f"barcode {code} has a wrong check digit: scan it again or type the code",
                code="bad_check_digit")
        if len(code) == 12:
            code = "0" + code
    return code


@dataclass(frozen=True)
class WeightedLayout:
    """Where an in-store EAN-13 keeps its item code and its value.

    Positions are 0-based into the 13 digits; the value is grams (`weight`) or minor
    units of money (`price`).
    """

    prefix: str
    item_start: int = 2
    item_length: int = 5
    value_start: int = 7
    value_length: int = 5
    value: str = "weight"

    def __post_init__(self):
        if not (self.prefix.isdigit() and 1 <= len(self.prefix) <= 3 and self.prefix[0] == "2"):
            raise ValueError(f"prefix {self.prefix!r} must be 1-3 digits in the in-store range 20-29")
        if self.value not in ("weight", "price"):
            raise ValueError(f"value must be 'weight' or 'price', not {self.value!r}")
        for start, length in ((self.item_start, self.item_length), (self.value_start, self.value_length)):
            if start < len(self.prefix) or length < 1 or start + length > 12:
                raise ValueError("item and value digits must lie between the prefix and the check digit")
        if self.item_start < self.value_start + self.value_length and self.value_start < self.item_start + self.item_length:
            raise ValueError("item and value digits overlap")


@dataclass(frozen=True)
class WeightedCode:
    item_code: str
    kind: str  # "weight" or "price"
    value: int  # grams or minor units


def parse_weighted(code: str, layouts: tuple[WeightedLayout, ...]) -> WeightedCode | None:
    """Decode an in-store EAN-13 (already check-digit validated), or None if no layout fits."""
    if len(code) != 13 or not code.isdigit():
        return None
    for layout in layouts:
        if code.startswith(layout.prefix):
            item = code[layout.item_start:layout.item_start + layout.item_length]
            value = int(code[layout.value_start:layout.value_start + layout.value_length])
            return WeightedCode(item_code=item.lstrip("0") or "0", kind=layout.value, value=value)
    return None


def make_weighted(layout: WeightedLayout, item_code: str, value: int) -> str:
    """Build a valid in-store EAN-13 (what a store's scale prints): for tests and demos."""
    digits = ["0"] * 12
    digits[:len(layout.prefix)] = layout.prefix
    item = item_code.zfill(layout.item_length)
    val = str(value).zfill(layout.value_length)
    if len(item) > layout.item_length or len(val) > layout.value_length:
        raise ValueError("item code or value does not fit the layout")
    digits[layout.item_start:layout.item_start + layout.item_length] = item
    digits[layout.value_start:layout.value_start + layout.value_length] = val
    body = "".join(digits)
    return body + str(gtin_check_digit(body))
