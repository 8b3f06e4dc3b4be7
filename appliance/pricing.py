"""Pure cart arithmetic: from lines and discounts to line amounts, tax and totals.

No database here, so every rule can be checked on its own (see the property tests).
The order of operations, for each line:

    gross     = unit price x quantity (or the price a priced barcode carries)
    after     = gross - promotion discount (from the promotions engine) - line discount
    net       = after - its shares of the order-level discounts, applied in turn
                (spend & save, member tier, points, the cashier's order discount);
                each discount's shares add up to it exactly
    tax       = tax contained in net (tax-inclusive) or added on net (tax-exclusive)

Taxes are rounded per line (`line`) or per rate over the whole order and then spread
over the lines (`order`); either way the line taxes add up to the tax summary and the
summary adds up to the order's tax.
"""

from __future__ import annotations

from dataclasses import dataclass

from .money import BP_ONE, allocate, div_round, extended_price, percent_of

TAX_MODES = ("inclusive", "exclusive")
TAX_ROUNDINGS = ("line", "order")
DISCOUNT_KINDS = ("percent", "amount")


@dataclass(frozen=True)
class Discount:
    kind: str  # "percent" (value in basis points) or "amount" (minor units)
    value: int

    def amount_on(self, base: int) -> int:
        if self.kind == "percent":
            return percent_of(base, self.value)
        return min(self.value, base)


@dataclass(frozen=True)
class LineIn:
    qty_milli: int
    unit_price: int
    tax_rate_bp: int
    fixed_gross: int | None = None
    discount: Discount | None = None
    promo_discount: int = 0

    @property
    def gross(self) -> int:
        if self.fixed_gross is not None:
            return self.fixed_gross
        return extended_price(self.unit_price, self.qty_milli)


@dataclass(frozen=True)
class LineOut:
    gross: int
    promo_discount: int
    line_discount: int
    order_discount: int
    net: int
    tax: int


@dataclass(frozen=True)
class TaxBand:
    rate_bp: int
    net: int  # amount the customer pays for this band (incl. tax in inclusive mode)
    taxable: int  # amount without tax
    tax: int


@dataclass(frozen=True)
class CartTotals:
    lines: tuple[LineOut, ...]
    subtotal: int  # sum of gross
    promo_discounts: int  # line-level promotions
    line_discounts: int
    order_discount: int  # all order-level discounts
    order_discount_parts: tuple[int, ...]  # each order-level discount, in the order given
    net_total: int
    tax_total: int
    total: int  # amount due before any cash rounding
    tax_bands: tuple[TaxBand, ...]

    @property
    def discount_total(self) -> int:
        return self.promo_discounts + self.line_discounts + self.order_discount


def line_tax(net: int, rate_bp: int, tax_mode: str) -> int:
    if tax_mode == "inclusive":
        return div_round(net * rate_bp, BP_ONE + rate_bp)
    return div_round(net * rate_bp, BP_ONE)


def price_cart(lines: list[LineIn], order_discounts, tax_mode: str, tax_rounding: str) -> CartTotals:
    """Figures for a cart. `order_discounts` is None, one Discount, or a sequence of them
    (None entries are skipped) applied one after another on what remains."""
    if tax_mode not in TAX_MODES:
        raise ValueError(f"tax_mode must be one of {TAX_MODES}")
    if tax_rounding not in TAX_ROUNDINGS:
        raise ValueError(f"tax_rounding must be one of {TAX_ROUNDINGS}")
    if order_discounts is None or isinstance(order_discounts, Discount):
        order_discounts = [order_discounts]
    gross = [line.gross for line in lines]
    promo = [min(line.promo_discount, g) for line, g in zip(lines, gross)]
    line_disc = [line.discount.amount_on(g - p) if line.discount else 0 for line, g, p in zip(lines, gross, promo)]
    nets = [g - p - d for g, p, d in zip(gross, promo, line_disc)]
    shares = [0] * len(lines)
    parts = []
    for discount in order_discounts:
        amount = discount.amount_on(sum(nets)) if discount is not None and lines else 0
        parts.append(amount)
        for i, share in enumerate(allocate(amount, nets) if amount else ()):
            nets[i] -= share
            shares[i] += share
    order_amount = sum(parts)

    rates = sorted({line.tax_rate_bp for line in lines})
    taxes = [0] * len(lines)
    if tax_rounding == "line":
        taxes = [line_tax(n, line.tax_rate_bp, tax_mode) for n, line in zip(nets, lines)]
    else:
        for rate in rates:
            members = [i for i, line in enumerate(lines) if line.tax_rate_bp == rate]
            band_tax = line_tax(sum(nets[i] for i in members), rate, tax_mode)
            for i, part in zip(members, allocate(band_tax, [nets[i] for i in members])):
                taxes[i] = part

    bands = []
    for rate in rates:
        members = [i for i, line in enumerate(lines) if line.tax_rate_bp == rate]
        band_net = sum(nets[i] for i in members)
        band_tax = sum(taxes[i] for i in members)
        taxable = band_net - band_tax if tax_mode == "inclusive" else band_net
        bands.append(TaxBand(rate_bp=rate, net=band_net, taxable=taxable, tax=band_tax))

    net_total = sum(nets)
    tax_total = sum(taxes)
    total = net_total if tax_mode == "inclusive" else net_total + tax_total
    return CartTotals(
        lines=tuple(LineOut(g, p, d, s, n, t) for g, p, d, s, n, t in zip(gross, promo, line_disc, shares, nets, taxes)),
        subtotal=sum(gross),
        promo_discounts=sum(promo),
        line_discounts=sum(line_disc),
        order_discount=order_amount,
        order_discount_parts=tuple(parts),
        net_total=net_total,
        tax_total=tax_total,
        total=total,
        tax_bands=tuple(bands),
    )
