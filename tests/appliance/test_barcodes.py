import pytest

from appliance.barcodes import (WeightedLayout, gtin_check_digit, gtin_valid, make_weighted, normalize,
                                parse_weighted)
from appliance.errors import ValidationError


@pytest.mark.parametrize("code", ["4006381333931", "5901234123457", "96385074", "036000291452", "6901234567892"])
def test_real_gtins_validate(code):
    assert gtin_valid(code)


@pytest.mark.parametrize("code", ["4006381333932", "96385075", "036000291453"])
def test_wrong_check_digit_is_a_bad_read(code):
    with pytest.raises(ValidationError) as info:
        normalize(code)
    assert info.value.code == "bad_check_digit"


def test_upc_a_is_stored_in_its_ean13_form_and_other_codes_pass_through():
    assert normalize(" 036000291452\n") == "0036000291452"
    assert normalize("ABC-123") == "ABC-123"
    assert normalize("12345") == "12345"
    with pytest.raises(ValidationError):
        normalize("   ")
    with pytest.raises(ValidationError):
        normalize("AB C")


def test_check_digit_arithmetic():
    assert gtin_check_digit("400638133393") == 1
    assert gtin_check_digit("9638507") == 4


def test_weighted_codes_carry_item_and_value():
    weight = WeightedLayout(prefix="21", value="weight")
    price = WeightedLayout(prefix="22", value="price")
    code = make_weighted(weight, "101", 455)
    assert code.startswith("2100101") and gtin_valid(code)
    parsed = parse_weighted(code, (weight, price))
    assert (parsed.item_code, parsed.kind, parsed.value) == ("101", "weight", 455)
    priced = parse_weighted(make_weighted(price, "301", 2490), (weight, price))
    assert (priced.item_code, priced.kind, priced.value) == ("301", "price", 2490)
    assert parse_weighted("4006381333931", (weight, price)) is None


def test_a_custom_layout_with_six_digit_item_code():
    layout = WeightedLayout(prefix="2", item_start=1, item_length=6, value_start=7, value_length=5, value="price")
    code = make_weighted(layout, "123456", 999)
    assert parse_weighted(code, (layout,)).item_code == "123456"


@pytest.mark.parametrize("kwargs", [dict(prefix="19"), dict(prefix="21", value="volume"),
                                    dict(prefix="21", item_start=5, item_length=5, value_start=7),
                                    dict(prefix="21", value_start=9, value_length=5)])
def test_bad_layouts_are_refused(kwargs):
    with pytest.raises(ValueError):
        WeightedLayout(**kwargs)
