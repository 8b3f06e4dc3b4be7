"""Notes and coins per currency, in minor units: the shift-close count form lists them and
the payment screen offers the next notes above the amount due as quick cash amounts.
A currency not listed here is counted as one amount."""

from __future__ import annotations

DENOMINATIONS: dict[str, dict[str, tuple[int, ...]]] = {
    "CNY": {"notes": (10000, 5000, 2000, 1000, 500, 100), "coins": (50, 10)},
    "HKD": {"notes": (100000, 50000, 10000, 5000, 2000, 1000), "coins": (500, 200, 100, 50, 20, 10)},
    "EUR": {"notes": (20000, 10000, 5000, 2000, 1000, 500), "coins": (200, 100, 50, 20, 10, 5, 2, 1)},
    "USD": {"notes": (10000, 5000, 2000, 1000, 500, 200, 100), "coins": (25, 10, 5, 1)},
    "GBP": {"notes": (5000, 2000, 1000, 500), "coins": (200, 100, 50, 20, 10, 5, 2, 1)},
    "JPY": {"notes": (10000, 5000, 2000, 1000), "coins": (500, 100, 50, 10, 5, 1)},
}


def denominations(currency: str) -> dict[str, list[int]]:
    """{"notes": [...], "coins": [...]} largest first; both empty for an unlisted currency."""
    known = DENOMINATIONS.get(currency, {"notes": (), "coins": ()})
    return {"notes": list(known["notes"]), "coins": list(known["coins"])}
