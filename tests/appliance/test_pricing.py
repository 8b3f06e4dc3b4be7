"""Cart arithmetic: examples, then properties that must hold for any cart."""

from hypothesis import given, settings, strategies as st

from appliance.pricing import Discount, LineIn, price_cart


def test_inclusive_tax_is_contained_in_the_price():
    totals = price_cart([LineIn(qty_milli=1000, unit_price=1130, tax_rate_bp=1300)], None, "inclusive", "line")
    assert totals.total == 1130
    assert totals.tax_total == 130
    assert totals.tax_bands[0].taxable == 1000


def test_exclusive_tax_is_added_on_top():
    totals = price_cart([LineIn(qty_milli=2000, unit_price=1000, tax_rate_bp=825)], None, "exclusive", "line")
    assert totals.net_total == 2000
    assert totals.tax_total == 165
    assert totals.total == 2165


def test_line_and_order_rounding_differ_as_expected():
    # three lines of 0.05 at 10 %: each line's tax rounds to 0, the order's 0.15 -> 0.02
    lines = [LineIn(qty_milli=1000, unit_price=5, tax_rate_bp=1000)] * 3
    assert price_cart(lines, None, "exclusive", "line").tax_total == 3  # 0.5 rounds up on each line
    by_order = price_cart(lines, None, "exclusive", "order")
    assert by_order.tax_total == 2  # 1.5 -> 2 once
    assert sum(line.tax for line in by_order.lines) == 2


def test_order_discount_is_spread_over_lines_and_reduces_each_tax_band():
    lines = [LineIn(1000, 1000, 1300), LineIn(1000, 3000, 900)]
    totals = price_cart(lines, Discount("amount", 400), "inclusive", "line")
    assert [line.order_discount for line in totals.lines] == [100, 300]
    assert totals.total == 3600
    assert {band.rate_bp: band.net for band in totals.tax_bands} == {1300: 900, 900: 2700}


def test_percent_line_discount_then_percent_order_discount():
    line = LineIn(qty_milli=3000, unit_price=333, tax_rate_bp=0, discount=Discount("percent", 1000))
    totals = price_cart([line], Discount("percent", 500), "inclusive", "line")
    assert totals.subtotal == 999
    assert totals.line_discounts == 100  # 99.9 -> 100
    assert totals.order_discount == 45  # 5 % of 899 = 44.95 -> 45
    assert totals.total == 854


def test_priced_barcode_line_uses_the_label_price():
    totals = price_cart([LineIn(qty_milli=455, unit_price=1280, tax_rate_bp=900, fixed_gross=599)], None,
                        "inclusive", "line")
    assert totals.subtotal == 599


lines_strategy = st.lists(
    st.builds(
        LineIn,
        qty_milli=st.integers(1, 50_000),
        unit_price=st.integers(0, 200_000),
        tax_rate_bp=st.sampled_from([0, 600, 900, 1300, 2000]),
        fixed_gross=st.one_of(st.none(), st.integers(0, 100_000)),
        discount=st.one_of(st.none(), st.builds(Discount, st.just("percent"), st.integers(1, 10_000)),
                           st.builds(Discount, st.just("amount"), st.integers(1, 50_000))),
        promo_discount=st.one_of(st.just(0), st.integers(0, 60_000)),
    ),
    min_size=0, max_size=40)
one_order_discount = st.one_of(st.none(), st.builds(Discount, st.just("percent"), st.integers(1, 10_000)),
                               st.builds(Discount, st.just("amount"), st.integers(1, 10 ** 6)))
order_discount_strategy = st.one_of(one_order_discount, st.lists(one_order_discount, max_size=4))


@settings(max_examples=300)
@given(lines_strategy, order_discount_strategy, st.sampled_from(["inclusive", "exclusive"]),
       st.sampled_from(["line", "order"]))
def test_totals_always_equal_the_sum_of_their_parts(lines, order_discount, tax_mode, tax_rounding):
    totals = price_cart(lines, order_discount, tax_mode, tax_rounding)
    outs = totals.lines
    assert totals.subtotal == sum(o.gross for o in outs)
    assert totals.promo_discounts == sum(o.promo_discount for o in outs)
    assert totals.line_discounts == sum(o.line_discount for o in outs)
    assert totals.order_discount == sum(totals.order_discount_parts)
    assert totals.order_discount == sum(o.order_discount for o in outs)
    assert totals.net_total == sum(o.net for o in outs) == totals.subtotal - totals.discount_total
    assert totals.tax_total == sum(o.tax for o in outs) == sum(b.tax for b in totals.tax_bands)
    assert sum(b.net for b in totals.tax_bands) == totals.net_total
    if tax_mode == "inclusive":
        assert totals.total == totals.net_total
        assert sum(b.taxable for b in totals.tax_bands) + totals.tax_total == totals.total
    else:
        assert totals.total == totals.net_total + totals.tax_total
    for line, out in zip(lines, outs):
        assert 0 <= out.promo_discount <= out.gross
        assert 0 <= out.line_discount <= out.gross - out.promo_discount
        assert 0 <= out.net <= out.gross
        assert out.tax >= 0
        if line.tax_rate_bp == 0:
            assert out.tax == 0
    for band in totals.tax_bands:  # each band's tax is its rate applied once, within rounding of its lines
        members = [o for l, o in zip(lines, outs) if l.tax_rate_bp == band.rate_bp]
        base = band.net * band.rate_bp / ((10_000 + band.rate_bp) if tax_mode == "inclusive" else 10_000)
        slack = 0.5 * len(members) if tax_rounding == "line" else 0.5
        assert abs(band.tax - base) <= slack + 1e-9


def test_order_level_discounts_apply_in_turn_on_what_remains():
    lines = [LineIn(1000, 10_000, 0, promo_discount=1000)]
    totals = price_cart(lines, [Discount("amount", 1000), Discount("percent", 1000), None, Discount("amount", 100)],
                        "inclusive", "line")
    # 100.00 - 10.00 promotion = 90.00; spend&save 10.00 -> 80.00; 10 % -> 72.00; 1.00 -> 71.00
    assert totals.order_discount_parts == (1000, 800, 0, 100)
    assert totals.total == 7100
