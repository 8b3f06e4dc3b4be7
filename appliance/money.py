"""Integer money arithmetic.

Money is always an int of minor units (fen, cents) next to a currency code; rates
are ints of basis points (1300 = 13 %); quantities are ints of milli-units (1 each =
1000, 1 kg = 1000 g). Every rounding rule of the till lives here, once.
"""

from __future__ import annotations

from .errors import ValidationError

#: ISO 4217 codes the till knows, with their minor-unit exponent.
CURRENCY_EXPONENTS = {
    "CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "SGD": 2, "MYR": 2, "THB": 2,
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "AUD": 2, "NZD": 2, "CAD": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2,
    "JPY": 0, "KRW": 0, "VND": 0,
}

#: Largest unit price the catalog accepts (10 million major units at exponent 2).
MAX_UNIT_PRICE = 1_000_000_000
#: Largest amount any single money figure (line, sale, payment) may reach.
MAX_AMOUNT = 100_000_000_000
#: Largest quantity on one line, in milli-units (100,000 each / 100 t).
MAX_QTY_MILLI = 100_000_000
BP_ONE = 10_000


def div_round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (commercial rounding)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def percent_of(amount: int, rate_bp: int) -> int:
    """amount * rate, the rate in basis points, rounded half away from zero."""
    return div_round(amount * rate_bp, BP_ONE)


def extended_price(unit_price: int, qty_milli: int) -> int:
    """Price of qty_milli milli-units at unit_price per unit, rounded to a minor unit."""
    return div_round(unit_price * qty_milli, 1000)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` over `weights` in proportion, so that the parts add up exactly.

    Largest-remainder method; ties go to the earlier weight, so the result is
    deterministic. Weights must be >= 0; if they are all zero the total must be zero.
    """
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    weight_sum = sum(weights)
    if any(w < 0 for w in weights):
        raise ValueError("weights must be >= 0")
    if weight_sum == 0:
        if total:
            raise ValueError("cannot allocate a non-zero total over zero weights")
        return [0] * len(weights)
    parts = [total * w // weight_sum for w in weights]
    remainders = [(total * w) % weight_sum for w in weights]
    short = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:short]:
        parts[i] += 1
    return parts


def round_to_increment(amount: int, increment: int) -> int:
    """Round to the nearest multiple of `increment` (cash rounding), halves up."""
    if increment <= 1:
        return amount
    return div_round(amount, increment) * increment


def check_amount(value, what: str, *, minimum: int = 0, maximum: int = MAX_AMOUNT) -> int:
    """Validate a money figure from input: an int of minor units within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{what} must be a whole number of minor units (e.g. 1250 for 12.50), got {value!r}",
            code="invalid_amount")
    if value < minimum:
        raise ValidationError(f"{what} must be at least {minimum}, got {value}",
                              code="invalid_amount")
    if value > maximum:
        raise ValidationError(f"{what} {value} is larger than the till accepts ({maximum})",
                              code="amount_overflow")
    return value


def format_amount(amount: int, currency: str) -> str:
    """Plain decimal text of an amount, e.g. 1250 CNY -> '12.50' (no symbol)."""
    exponent = CURRENCY_EXPONENTS[currency]
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10 ** exponent)
    return f"{sign}{units}.{minor:0{exponent}d}" if exponent else f"{sign}{units}"
