from hypothesis import given, strategies as st
import pytest

from appliance.errors import ValidationError
from appliance.money import (MAX_AMOUNT, allocate, check_amount, div_round, extended_price, format_amount,
                             percent_of, round_to_increment)


def test_div_round_rounds_halves_away_from_zero():
    assert div_round(5, 2) == 3
    assert div_round(-5, 2) == -3
    assert div_round(4, 3) == 1
    assert div_round(5, 3) == 2
    assert div_round(0, 7) == 0


def test_percent_and_extended_price_round_commercially():
    assert percent_of(999, 1000) == 100  # 99.9 -> 100
    assert percent_of(995, 1000) == 100  # 99.5 -> 100 (half up)
    assert percent_of(994, 1000) == 99
    assert extended_price(1280, 455) == 582  # 12.80/kg x 455 g = 5.824
    assert extended_price(1280, 1_500) == 1920


def test_cash_rounding_to_five_and_ten():
    assert round_to_increment(1002, 5) == 1000
    assert round_to_increment(1003, 5) == 1005
    assert round_to_increment(1025, 10) == 1030
    assert round_to_increment(1024, 10) == 1020
    assert round_to_increment(1024, 0) == 1024


def test_allocate_is_exact_and_deterministic():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(0, [0, 0]) == [0, 0]
    assert allocate(-10, [1, 3]) == [-3, -7]  # the mirror of allocate(10, ...): ties go to the first
    with pytest.raises(ValueError):
        allocate(5, [0, 0])


@given(st.integers(0, 10 ** 9), st.lists(st.integers(0, 10 ** 7), min_size=1, max_size=60))
def test_allocated_parts_add_up_and_stay_proportional(total, weights):
    if sum(weights) == 0:
        total = 0
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights) or 1
    for part, weight in zip(parts, weights):
        exact = total * weight / weight_sum
        assert abs(part - exact) < 1 + 1e-9
        assert part >= 0


@given(st.integers(-10 ** 12, 10 ** 12), st.integers(1, 10 ** 6))
def test_div_round_is_within_half_a_unit(numerator, denominator):
    result = div_round(numerator, denominator)
    assert abs(result * denominator - numerator) * 2 <= denominator


def test_check_amount_refuses_floats_negatives_and_overflow():
    with pytest.raises(ValidationError, match="whole number"):
        check_amount(12.5, "price")
    with pytest.raises(ValidationError, match="at least 0"):
        check_amount(-1, "price")
    with pytest.raises(ValidationError) as info:
        check_amount(MAX_AMOUNT + 1, "price")
    assert info.value.code == "amount_overflow"
    with pytest.raises(ValidationError):
        check_amount(True, "price")


def test_format_amount_follows_currency_exponent():
    assert format_amount(1250, "CNY") == "12.50"
    assert format_amount(-5, "EUR") == "-0.05"
    assert format_amount(1250, "JPY") == "1250"
