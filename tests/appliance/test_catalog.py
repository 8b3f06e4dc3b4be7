import pytest

from appliance.barcodes import WeightedLayout, make_weighted
from appliance.errors import NotFound, ValidationError
from appliance.models import Barcode, Product
from appliance.services import catalog

from .conftest import BREAD_UPC, COLA, ean13


def test_a_product_is_found_by_each_of_its_barcodes_and_by_sku(till):
    assert catalog.resolve_code(till, COLA).product.sku == "COLA"
    assert catalog.resolve_code(till, ean13("690000000001")).product.sku == "COLA"
    assert catalog.resolve_code(till, "COLA").product.sku == "COLA"


def test_upc_a_and_its_ean13_form_find_the_same_product(till):
    assert catalog.resolve_code(till, BREAD_UPC).product.sku == "BREAD"
    assert catalog.resolve_code(till, "0" + BREAD_UPC).product.sku == "BREAD"


def test_unknown_and_misread_codes_get_clear_errors(till):
    with pytest.raises(NotFound) as info:
        catalog.resolve_code(till, ean13("123456789012"))
    assert info.value.code == "unknown_barcode"
    with pytest.raises(ValidationError) as info:
        catalog.resolve_code(till, COLA[:-1] + str((int(COLA[-1]) + 1) % 10))
    assert info.value.code == "bad_check_digit"


def test_inactive_products_are_not_sold(till):
    with pytest.raises(ValidationError) as info:
        catalog.resolve_code(till, ean13("690000000002"))
    assert info.value.code == "product_inactive"


def test_weighted_barcode_gives_product_and_weight(till):
    code = make_weighted(WeightedLayout(prefix="21", value="weight"), "101", 455)
    resolved = catalog.resolve_code(till, code)
    assert resolved.product.sku == "APPLE"
    assert resolved.qty_milli == 455
    assert resolved.fixed_gross is None


def test_priced_barcode_gives_product_and_price(till):
    code = make_weighted(WeightedLayout(prefix="22", value="price"), "301", 2490)
    resolved = catalog.resolve_code(till, code)
    assert resolved.product.sku == "SALMON"
    assert resolved.fixed_gross == 2490


def test_weighted_barcode_of_an_unknown_scale_item_is_refused(till):
    with pytest.raises(NotFound, match="scale item code 999"):
        catalog.resolve_code(till, make_weighted(WeightedLayout(prefix="21"), "999", 100))


def test_search_finds_chinese_and_latin_names_and_skus(till):
    assert [p.sku for p in catalog.search(till, "可口可乐")] == ["COLA"]
    assert [p.sku for p in catalog.search(till, "牛奶")] == ["MILK"]  # two characters: the bounded scan
    assert [p.sku for p in catalog.search(till, "chips")] == ["CHIPS"]
    assert [p.sku for p in catalog.search(till, "CHI")] == ["CHIPS"]
    assert [p.sku for p in catalog.search(till, COLA)] == ["COLA"]
    assert catalog.search(till, "Discontinued") == []  # inactive
    assert catalog.search(till, '"%_') == []  # quotes and wildcards are plain text


def test_search_index_follows_renames(till):
    product = Product.get(Product.sku == "CHIPS")
    catalog.upsert_product(till, {"sku": "CHIPS", "name": "乐事薯片 原味", "price": 750, "tax_class": "standard",
                                  "barcodes": [b.code for b in product.barcodes]})
    assert [p.sku for p in catalog.search(till, "乐事薯片")] == ["CHIPS"]
    assert catalog.search(till, "Lay's") == []


def test_a_barcode_cannot_belong_to_two_products_and_nothing_changes(till):
    before = Product.get(Product.sku == "MILK").name
    with pytest.raises(ValidationError) as info:
        catalog.upsert_product(till, {"sku": "MILK", "name": "changed", "price": 1, "tax_class": "reduced",
                                      "barcodes": [COLA]})
    assert info.value.code == "barcode_taken"
    assert Product.get(Product.sku == "MILK").name == before
    assert Barcode.get_by_id(COLA).product.sku == "COLA"


@pytest.mark.parametrize("fields, code", [
    ({"sku": "X", "name": "x", "price": -1, "tax_class": "standard"}, "invalid_amount"),
    ({"sku": "X", "name": "x", "price": 10 ** 12, "tax_class": "standard"}, "amount_overflow"),
    ({"sku": "X", "name": "x", "price": 1.5, "tax_class": "standard"}, "invalid_amount"),
    ({"sku": "X", "name": "", "price": 1, "tax_class": "standard"}, "invalid_name"),
    ({"sku": "X", "name": "x", "price": 1, "tax_class": "luxury"}, "unknown_tax_class"),
    ({"sku": "X", "name": "x", "price": 1, "tax_class": "standard", "unit": "litre"}, "invalid_unit"),
    ({"sku": "X Y", "name": "x", "price": 1, "tax_class": "standard"}, "invalid_sku"),
    ({"sku": "X", "name": "x", "price": 1, "tax_class": "standard", "barcodes": ["4006381333932"]},
     "bad_check_digit"),
])
def test_bad_product_fields_are_refused(till, fields, code):
    count = Product.select().count()
    with pytest.raises(ValidationError) as info:
        catalog.upsert_product(till, fields)
    assert info.value.code == code
    assert Product.select().count() == count
