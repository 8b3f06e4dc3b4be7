"""Promotions: which offers a cart gets, and how much each line saves.

Pure arithmetic on integers (minor units, basis points, milli-units), like `pricing`:
no database, no clock. The cart asks `active()` which promotions run now in this store
for this customer, then `apply()` for the discounts, and hands `line_discounts` and
`order_discount` to `pricing.price_cart` (the order discount is spread there).

Kinds (what the store guides call them):

    percent_off   X % off a product / category / everything   (全场8折 = percent_bp 2000)
    amount_off    `amount` off each unit (per kg on kg lines)  (立减)
    buy_x_get_y   in each group of buy+get units the `get` cheapest are free, or
                  `get_off_bp` off when it is below 10000       (买一送一, 买二送一,
                                                               第二件半价 = buy 1 get 1 at 5000)
    n_for_price   each group of n units costs `price` in total  (N件X元)
    spend_save    order spend >= threshold saves `saving`; the  (满减, e.g. 满100减20)
                  best reached tier applies

Rules, in the order the engine uses them:

1. Units. Line-level kinds work on units. An "each" line of k pieces is k units whose
   values split the line's gross evenly (`allocate`: earlier pieces take the odd minor
   units), which is the unit price unless a label fixed the gross. A "kg" line is one
   unit worth its gross. buy_x_get_y and n_for_price use "each" units only. Lines with a
   gross of 0 get nothing.
2. Offers. percent_off rounds once per line on the line's units it takes; amount_off
   gives min(amount, unit value) a unit, and on a kg line amount x kg, capped at the gross.
   buy_x_get_y and n_for_price pool their eligible units over all lines, sort them by
   value, highest first (then line order), cut them into consecutive groups, and keep the
   groups that give a discount: an incomplete group, or an n_for_price group that costs no
   more than `price`, gets nothing and keeps its units. A buy_x_get_y group's discount
   (`get_off_bp` of its free units' value, rounded once per group) goes to the lines of
   its free units in proportion to their value, which is each unit's own price when they
   are free; an n_for_price group's (its value - `price`) is spread over its lines in
   proportion to their units' values. Both spread exactly (`allocate`). All the units of a
   kept group are used, the ones paid for as well.
3. Greedy. A unit receives at most one line-level promotion. The moves are: a
   percent_off or amount_off promotion on one line (on all the units it has left), and a
   buy_x_get_y or n_for_price promotion as a whole (all its groups on the units left).
   The engine takes the move giving the largest discount (ties: lower priority, then code,
   then line order), marks its units used, and repeats until no move gives anything.
   Line by line, so that a small store-wide percentage does not take a line away from that
   product's own bigger offer: with percent/amount promotions only, every line gets its
   best offer.
4. spend_save comes after line promotions, on the order's gross minus the line
   discounts; only the best spend_save applies (largest saving, then priority, then code);
   a threshold is reached when the spend is >= it. The combination (a) is the prefix of
   the greedy moves that, with the best combinable spend_save on what is left, gives the
   most (ties: the longer prefix): it stops before a line discount that would push the
   order under a threshold worth more. Without a spend_save it is every move.
5. A promotion on its own: (b) each promotion applied alone (a line promotion on every
   unit, a spend_save on the gross). This is how a non-combinable promotion applies, and,
   for a combinable one, a floor under the greedy. The result is the best of (a) and (b)
   by total discount; ties prefer (a), then the lower priority, then the code.
6. Deterministic: promotions are sorted by (priority, code) before anything else, so the
   order they are given in does not matter; codes must be unique within one call.
7. Bounds: no line discount exceeds the line's gross, none is negative, the order
   discount never exceeds what remains after line discounts.

The greedy is not an optimiser. A group promotion is taken whole, so when it wins a step
it can take units that smaller offers would have used better; and a bigger line discount
can push the order under a spend_save threshold while a smaller one would not have.
So adding a combinable line promotion can (rarely) lower the total. Adding a spend_save or
a non-combinable promotion never does, and the result is never below what any single
promotion gives on its own.

Speed: each line keeps its best percent/amount offer (recomputed only when a group takes
some of its units); group promotions wait in the same heap at an upper bound and are
evaluated exactly only when they reach the top; (b) evaluates a promotion only when an
upper bound from per-product/category totals beats the best result so far.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .money import BP_ONE, allocate, div_round, percent_of

KINDS = ("percent_off", "amount_off", "buy_x_get_y", "n_for_price", "spend_save")
GROUP_KINDS = ("buy_x_get_y", "n_for_price")
UNITS = ("each", "kg")
ONE = 1000  # milli-units in one piece / one kg

# Which parameters each kind uses; any other must keep its default (catches a mistyped kind).
_KIND_FIELDS = {
    "percent_off": {"percent_bp"},
    "amount_off": {"amount"},
    "buy_x_get_y": {"buy", "get", "get_off_bp"},
    "n_for_price": {"n", "price"},
    "spend_save": {"tiers"},
}
_PARAM_DEFAULTS = {"percent_bp": 0, "amount": 0, "buy": 0, "get": 0, "get_off_bp": BP_ONE,
                   "n": 0, "price": 0, "tiers": ()}


@dataclass(frozen=True)
class Promotion:
    """One offer. Construction validates it (see `validate`); sets may be given as any iterable."""

    code: str
    name: str
    kind: str
    products: frozenset[int] = frozenset()  # products and categories both empty = every product
    categories: frozenset[int] = frozenset()
    percent_bp: int = 0  # percent_off: 1..10000 off (8折 = 2000)
    amount: int = 0  # amount_off: minor units off each unit (each kg on kg lines)
    buy: int = 0  # buy_x_get_y: in each group of buy+get units the `get` cheapest ...
    get: int = 0
    get_off_bp: int = BP_ONE  # ... get this much off (10000 = free, 5000 = half price)
    n: int = 0  # n_for_price: each group of n units costs `price` in total
    price: int = 0
    tiers: tuple[tuple[int, int], ...] = ()  # spend_save: (threshold, saving), best reached tier
    member_only: bool = False
    starts_at: datetime | None = None  # store-local naive datetimes, [starts_at, ends_at)
    ends_at: datetime | None = None
    days_of_week: frozenset[int] = frozenset()  # ISO 1 = Monday .. 7 = Sunday; empty = every day
    stores: frozenset[str] = frozenset()  # empty = every store
    combinable: bool = True
    priority: int = 100  # lower wins ties

    def __post_init__(self):
        for name in ("products", "categories", "days_of_week", "stores"):
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                    raise ValueError(f"promotion {self.code!r}: {name} must be a set, got {value!r}")
                object.__setattr__(self, name, frozenset(value))
        if not isinstance(self.tiers, tuple) or not all(isinstance(t, tuple) for t in self.tiers):
            try:
                object.__setattr__(self, "tiers", tuple(tuple(t) for t in self.tiers))
            except TypeError:
                raise ValueError(f"promotion {self.code!r}: tiers must be (threshold, saving) pairs, "
                                 f"got {self.tiers!r}") from None
        validate(self)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate(promotion: Promotion) -> None:
    """Raise ValueError saying what is wrong with the promotion's parameters, and how to fix it."""
    p = promotion
    if not isinstance(p.code, str) or not p.code.strip():
        raise ValueError(f"promotion code must be a non-empty text, got {p.code!r}")
    where = f"promotion {p.code!r}"
    if not isinstance(p.name, str):
        raise ValueError(f"{where}: name must be text, got {p.name!r}")
    if p.kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}, got {p.kind!r}")
    for name in ("percent_bp", "amount", "buy", "get", "get_off_bp", "n", "price", "priority"):
        if not _is_int(getattr(p, name)):
            raise ValueError(f"{where}: {name} must be a whole number, got {getattr(p, name)!r}")
    for name, default in _PARAM_DEFAULTS.items():
        if name not in _KIND_FIELDS[p.kind] and getattr(p, name) != default:
            raise ValueError(f"{where}: {name} does not apply to {p.kind} "
                             f"(it uses {', '.join(sorted(_KIND_FIELDS[p.kind]))}); leave it unset")
    if p.kind == "percent_off" and not 1 <= p.percent_bp <= BP_ONE:
        raise ValueError(f"{where}: percent_bp is the discount in basis points, 1..10000 "
                         f"(20 % off = 2000), got {p.percent_bp}")
    if p.kind == "amount_off" and p.amount < 1:
        raise ValueError(f"{where}: amount must be at least 1 minor unit off each unit, got {p.amount}")
    if p.kind == "buy_x_get_y":
        if p.buy < 1 or p.get < 1:
            raise ValueError(f"{where}: buy and get must both be at least 1 (买一送一 = buy 1 get 1), "
                             f"got buy {p.buy} get {p.get}")
        if not 1 <= p.get_off_bp <= BP_ONE:
            raise ValueError(f"{where}: get_off_bp is how much off the `get` units, 1..10000 "
                             f"(10000 = free, 5000 = half price), got {p.get_off_bp}")
    if p.kind == "n_for_price":
        if p.n < 1:
            raise ValueError(f"{where}: n must be at least 1 unit, got {p.n}")
        if p.price < 0:
            raise ValueError(f"{where}: price must not be negative, got {p.price}")
    if p.kind == "spend_save":
        if p.products or p.categories:
            raise ValueError(f"{where}: spend_save works on the whole order; leave products and "
                             "categories empty (use percent_off or amount_off for a product or category)")
        if not p.tiers:
            raise ValueError(f"{where}: spend_save needs at least one (threshold, saving) tier")
        thresholds = set()
        for tier in p.tiers:
            if len(tier) != 2 or not all(_is_int(v) for v in tier):
                raise ValueError(f"{where}: each tier is (threshold, saving) in minor units, got {tier!r}")
            threshold, saving = tier
            if not 0 < saving <= threshold:
                raise ValueError(f"{where}: tier {tier!r} must save more than 0 and no more than its "
                                 "threshold (满100减20 = (10000, 2000))")
            if threshold in thresholds:
                raise ValueError(f"{where}: two tiers share the threshold {threshold}; keep one")
            thresholds.add(threshold)
    for name in ("products", "categories"):
        if not all(_is_int(v) for v in getattr(p, name)):
            raise ValueError(f"{where}: {name} must hold integer ids")
    if not all(isinstance(s, str) and s for s in p.stores):
        raise ValueError(f"{where}: stores must hold store ids (text)")
    if not all(_is_int(d) and 1 <= d <= 7 for d in p.days_of_week):
        raise ValueError(f"{where}: days_of_week are ISO days 1 (Monday) .. 7 (Sunday), "
                         f"got {sorted(p.days_of_week, key=repr)}")
    for name in ("starts_at", "ends_at"):
        value = getattr(p, name)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is not None):
            raise ValueError(f"{where}: {name} must be a store-local datetime without a time zone, got {value!r}")
    if p.starts_at is not None and p.ends_at is not None and p.ends_at <= p.starts_at:
        raise ValueError(f"{where}: ends_at {p.ends_at} must be after starts_at {p.starts_at}")
    for name in ("member_only", "combinable"):
        if not isinstance(getattr(p, name), bool):
            raise ValueError(f"{where}: {name} must be True or False")


@dataclass(frozen=True)
class PromoLine:
    """What the engine needs of a cart line. `gross` is the cart's (a label may fix it)."""

    product_id: int
    category_id: int | None
    unit: str  # "each" | "kg"
    qty_milli: int
    unit_price: int  # the till's price per unit; the engine values units from `gross`
    gross: int

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"line unit must be 'each' or 'kg', got {self.unit!r}")
        if not _is_int(self.qty_milli) or self.qty_milli <= 0 or (self.unit == "each" and self.qty_milli % ONE):
            raise ValueError(f"line quantity must be positive milli-units (whole pieces for 'each'), "
                             f"got {self.qty_milli!r}")
        if not _is_int(self.gross) or self.gross < 0 or not _is_int(self.unit_price) or self.unit_price < 0:
            raise ValueError(f"line gross and unit price must be whole minor units >= 0, "
                             f"got {self.gross!r} and {self.unit_price!r}")


@dataclass(frozen=True)
class PromoResult:
    line_discounts: tuple[int, ...]  # per input line, minor units
    line_labels: tuple[tuple[str, ...], ...]  # per line: codes of the promotions that discounted it
    order_discount: int  # from spend_save
    order_labels: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.line_discounts) + self.order_discount


def active(promotions: Iterable[Promotion], *, now_local: datetime, store_id: str,
           has_member: bool) -> list[Promotion]:
    """The promotions running at `now_local` (store-local, naive) in `store_id`, for this customer.

    A promotion runs from starts_at (included) to ends_at (excluded), on its days of the week
    (the day of `now_local`), in its stores; member-only ones need `has_member`. Sorted by
    (priority, code).
    """
    if not isinstance(now_local, datetime) or now_local.tzinfo is not None:
        raise ValueError(f"now_local must be the store's local time without a time zone, got {now_local!r}")
    weekday = now_local.isoweekday()
    running = [p for p in promotions
               if (p.starts_at is None or p.starts_at <= now_local)
               and (p.ends_at is None or now_local < p.ends_at)
               and (not p.days_of_week or weekday in p.days_of_week)
               and (not p.stores or store_id in p.stores)
               and (has_member or not p.member_only)]
    running.sort(key=lambda p: (p.priority, p.code))
    return running


_NOTHING = (0, 0, 0, 0, 0, 0, 0)  # the totals of a scope with no promotable line


class _Cart:
    """The lines as units: line i has pieces[i] units; the first hi[i] are worth q[i] + 1, the rest q[i].

    Units are always taken from the front of a line (most valuable first), so what is left of
    line i is its units from taken[i] on.
    """

    __slots__ = ("lines", "n", "pieces", "q", "hi", "each", "by_product", "by_category", "promotable", "totals")

    def __init__(self, lines: Sequence[PromoLine]):
        self.lines = lines
        self.n = len(lines)
        self.pieces, self.q, self.hi, self.each = [], [], [], []
        self.by_product: dict[int, list[int]] = {}
        self.by_category: dict[int, list[int]] = {}
        self.promotable = []
        # per scope key ("p", product) / ("c", category) / ("all",): what its promotable lines hold,
        # [value, lines, each value, each units, dearest each unit, kg milli, kg lines]
        self.totals: dict[tuple, list[int]] = {}
        for i, line in enumerate(lines):
            is_each = line.unit == "each"
            pieces = line.qty_milli // ONE if is_each else 1
            q, hi = divmod(line.gross, pieces)  # the even split `allocate(gross, [1] * pieces)` makes
            self.pieces.append(pieces)
            self.q.append(q)
            self.hi.append(hi)
            self.each.append(is_each)
            if line.gross <= 0:
                continue
            self.promotable.append(i)
            self.by_product.setdefault(line.product_id, []).append(i)
            keys = [("p", line.product_id), ("all",)]
            if line.category_id is not None:
                self.by_category.setdefault(line.category_id, []).append(i)
                keys.append(("c", line.category_id))
            for key in keys:
                total = self.totals.setdefault(key, [0] * 7)
                total[0] += line.gross
                total[1] += 1
                if is_each:
                    total[2] += line.gross
                    total[3] += pieces
                    total[4] = max(total[4], q + 1 if hi else q)
                else:
                    total[5] += line.qty_milli
                    total[6] += 1

    def lines_of(self, promo: Promotion, keys: list[tuple]) -> list[int]:
        """Promotable lines the promotion covers (its `scope_keys`), in line order."""
        if not promo.products and not promo.categories:
            found = self.promotable
        else:
            touched: set[int] = set()
            for tag, key in keys:
                touched.update((self.by_product if tag == "p" else self.by_category)[key])
            found = sorted(touched)
        if promo.kind in GROUP_KINDS:
            found = [i for i in found if self.each[i]]
        return found

    def scope_keys(self, promo: Promotion) -> list[tuple]:
        """The aggregate keys of the cart that the promotion covers (a line may be under two)."""
        if not promo.products and not promo.categories:
            return [("all",)]
        keys = []
        for tag, ids, index in (("p", promo.products, self.by_product), ("c", promo.categories, self.by_category)):
            if len(ids) > len(index):  # a long list of ids: walk the cart's instead
                ids, index = index, ids
            keys += [(tag, key) for key in ids if key in index]
        return keys

    def alone_bound(self, promo: Promotion, keys: list[tuple]) -> int:
        """An upper bound of what a line promotion gives on its own, from the scope totals.

        percent_off rounds each line up by at most half a minor unit; amount_off gives at most
        `amount` a unit (a kg line rounds up by half a minor unit) and never more than the
        value; the group kinds as `_Candidate.bound`.
        """
        value = lines = each_value = each_units = dearest = kg_milli = kg_lines = 0
        for key in keys:
            v, n, ev, eu, dear, km, kl = self.totals.get(key, _NOTHING)
            value, lines, each_value, each_units = value + v, lines + n, each_value + ev, each_units + eu
            dearest, kg_milli, kg_lines = max(dearest, dear), kg_milli + km, kg_lines + kl
        if promo.kind == "percent_off":
            return min(value, (value * promo.percent_bp + BP_ONE // 2 * lines) // BP_ONE)
        if promo.kind == "amount_off":
            return min(value, promo.amount * each_units + (promo.amount * kg_milli + ONE // 2 * kg_lines) // ONE)
        return _group_bound(promo, each_value, each_units, dearest)

    def value_left(self, i: int, t: int) -> int:
        """What line i's units from t on are worth."""
        left = self.pieces[i] - t
        if left <= 0:
            return 0
        return left * self.q[i] + (self.hi[i] - t if self.hi[i] > t else 0)

    def line_discount(self, promo: Promotion, i: int, t: int) -> int:
        """percent_off / amount_off on line i's units from unit t on."""
        left = self.pieces[i] - t
        if left <= 0:
            return 0
        q, hi = self.q[i], self.hi[i]
        upper = hi - t if hi > t else 0  # units left worth q + 1
        if promo.kind == "percent_off":
            return percent_of(left * q + upper, promo.percent_bp)
        if self.each[i]:
            amount = promo.amount
            return upper * min(amount, q + 1) + (left - upper) * min(amount, q)
        return min(div_round(promo.amount * self.lines[i].qty_milli, ONE), q)


# What a promotion does to the cart: ((line, units used, discount), ...); every entry has units > 0.
_Allocation = tuple[tuple[int, int, int], ...]


class _LineOffers:
    """The best combinable percent_off / amount_off for a line, looked up by its product, category, all.

    Within one key a promotion that another beats on both rate and rank can never be chosen
    (a higher rate never gives less), so each key keeps only the ones that can.
    """

    def __init__(self, ranked: list[tuple[int, Promotion, list[tuple]]], cart: _Cart):
        """`ranked`: (rank, promotion, scope keys) in rank order."""
        self.cart = cart
        self.by_key: dict[tuple, list[tuple[int, Promotion]]] = {}
        top: dict[tuple, int] = {}  # (key, kind) -> highest rate kept so far
        for rank, promo, keys in ranked:
            rate = promo.percent_bp if promo.kind == "percent_off" else promo.amount
            for key in keys:
                # an earlier (better-ranked) offer with a rate at least as high always wins
                if rate > top.get((key, promo.kind), 0):
                    top[(key, promo.kind)] = rate
                    self.by_key.setdefault(key, []).append((rank, promo))

    def best(self, i: int, t: int) -> tuple[int, int, Promotion] | None:
        """(discount, rank, promotion) of line i's best offer on its units from t on, or None."""
        line = self.cart.lines[i]
        best = None
        for key in (("p", line.product_id), ("c", line.category_id), ("all",)):
            for rank, promo in self.by_key.get(key, ()):
                d = self.cart.line_discount(promo, i, t)
                if d > 0 and (best is None or d > best[0] or (d == best[0] and rank < best[1])):
                    best = (d, rank, promo)
        return best


def _sorted_runs(lines: list[int], cart: _Cart) -> list[tuple[int, int, bool]]:
    """Each line's units as up to two runs (value, line, upper), most valuable first, then line order."""
    runs = []
    for i in lines:
        if cart.hi[i]:
            runs.append((cart.q[i] + 1, i, True))
        if cart.pieces[i] > cart.hi[i]:
            runs.append((cart.q[i], i, False))
    runs.sort(key=lambda run: (-run[0], run[1]))
    return runs


class _Candidate:
    """A promotion with the cart lines it covers, ready to evaluate on the units left.

    For a group promotion it also keeps what its lines have left, in units and in money, for
    a cheap upper bound of its discount.
    """

    __slots__ = ("rank", "promo", "lines", "size", "units", "value", "dearest", "_runs")

    def __init__(self, rank: int, promo: Promotion, lines: list[int], cart: _Cart):
        self.rank = rank
        self.promo = promo
        self.lines = lines
        self.size = promo.buy + promo.get if promo.kind == "buy_x_get_y" else promo.n
        self._runs = None
        if promo.kind in GROUP_KINDS:
            self.units = self.value = self.dearest = 0
            for i in lines:
                self.units += cart.pieces[i]
                self.value += cart.lines[i].gross
                self.dearest = max(self.dearest, cart.q[i] + 1 if cart.hi[i] else cart.q[i])

    def evaluate(self, cart: _Cart, taken: list[int]) -> tuple[int, _Allocation]:
        if self.promo.kind not in GROUP_KINDS:
            out = []
            for i in self.lines:
                d = cart.line_discount(self.promo, i, taken[i])
                if d > 0:
                    out.append((i, cart.pieces[i] - taken[i], d))
            return sum(d for _, _, d in out), tuple(out)
        if self._runs is None:
            self._runs = _sorted_runs(self.lines, cart)
        return _groups(self.promo, self._runs, cart, taken)

    def bound(self) -> int:
        """An upper bound of the group discount on what the lines have left."""
        return _group_bound(self.promo, self.value, self.units, self.dearest)


def _group_bound(promo: Promotion, value: int, units: int, dearest: int) -> int:
    """An upper bound of a group promotion's discount on `units` units worth `value`, none above `dearest`.

    buy_x_get_y: free units are the cheapest of their group, so worth at most get/size of it,
    and each group rounds up by at most half a minor unit. n_for_price: no more than the
    units are worth, nor than every group at the dearest unit's price.
    """
    if promo.kind == "buy_x_get_y":
        size = promo.buy + promo.get
        return (value * promo.get * promo.get_off_bp + BP_ONE // 2 * (units // size) * size) // (size * BP_ONE)
    return min(value, units // promo.n * max(0, promo.n * dearest - promo.price))


def _groups(promo: Promotion, runs: list[tuple[int, int, bool]], cart: _Cart,
            taken: list[int]) -> tuple[int, _Allocation]:
    """buy_x_get_y / n_for_price: cut the pooled units into consecutive groups, best first.

    Group discounts never grow down the pool (each position holds a cheaper unit), so the
    walk stops at the first group that gives nothing. Runs of one line hold identical
    groups, which are counted in one step however many pieces the line has.
    """
    bxgy = promo.kind == "buy_x_get_y"
    size = promo.buy + promo.get if bxgy else promo.n
    seq = []
    units = 0
    for value, i, upper in runs:
        t = taken[i]
        if upper:
            count = cart.hi[i] - t
        else:
            count = cart.pieces[i] - (t if t > cart.hi[i] else cart.hi[i])
        if count > 0:
            seq.append([i, value, count])
            units += count
    if units < size:
        return 0, ()
    used: dict[int, int] = {}
    given: dict[int, int] = {}
    total = 0
    k, end = 0, len(seq)
    while k < end:
        line, value, count = seq[k]
        if count == 0:
            k += 1
            continue
        if count >= size:  # whole groups inside one run
            d = percent_of(promo.get * value, promo.get_off_bp) if bxgy else size * value - promo.price
            if d <= 0:
                break
            repeat = count // size
            seq[k][2] -= repeat * size
            used[line] = used.get(line, 0) + repeat * size
            given[line] = given.get(line, 0) + repeat * d
            total += repeat * d
            continue
        parts, need, j = [], size, k  # one group across runs
        while need and j < end:
            take = min(need, seq[j][2])
            parts.append((seq[j][0], seq[j][1], take))
            need -= take
            j += 1
        if need:
            break  # an incomplete group gets nothing
        weights: dict[int, int] = {}
        if bxgy:  # the free units are the group's last (cheapest) `get`
            free = promo.get
            for line_j, value_j, take in reversed(parts):
                n_free = min(free, take)
                if n_free:
                    weights[line_j] = weights.get(line_j, 0) + n_free * value_j
                free -= n_free
            d = percent_of(sum(weights.values()), promo.get_off_bp)
        else:
            for line_j, value_j, take in parts:
                weights[line_j] = weights.get(line_j, 0) + take * value_j
            d = sum(weights.values()) - promo.price
        if d <= 0:
            break
        if len(weights) == 1:
            for line_j in weights:
                given[line_j] = given.get(line_j, 0) + d
        else:
            order = sorted(weights)
            for line_j, share in zip(order, allocate(d, [weights[x] for x in order])):
                given[line_j] = given.get(line_j, 0) + share
        total += d
        for offset, (line_j, _, take) in enumerate(parts):  # parts are seq[k], seq[k + 1], ...
            seq[k + offset][2] -= take
            used[line_j] = used.get(line_j, 0) + take
    return total, tuple((i, used[i], given.get(i, 0)) for i in sorted(used))


def _greedy(cart: _Cart, offers: _LineOffers,
            groups: list[_Candidate]) -> list[tuple[Promotion, _Allocation, int]]:
    """The greedy steps (promotion, allocation, discount), largest discount first.

    The heap holds each line's best percent/amount offer (always exact: recomputed when the
    line loses units) and each group promotion, at an upper bound or at its exact value on the
    units left. Taking units never raises a discount, so an exact, fresh entry on top is the
    true best; anything else on top is tightened (cheap bound, then exact evaluation) and put
    back. Entries order by (-discount, rank, line); a group promotion's line is -1.
    """
    n = cart.n
    taken = [0] * n
    line_version = [0] * n
    by_line: list[list[int]] = [[] for _ in range(n)]
    version = [0] * len(groups)  # -1 once applied or out of units
    heap = []
    for i in cart.promotable:
        best = offers.best(i, 0)
        if best is not None:
            heap.append((-best[0], best[1], i, -1, 0, best[2]))
    for c, cand in enumerate(groups):
        for i in cand.lines:
            by_line[i].append(c)
        bound = cand.bound()
        if bound > 0:
            heap.append((-bound, cand.rank, -1, c, 0, None))
    heapq.heapify(heap)
    steps = []
    while heap:
        negative, rank, line, c, seen, payload = heapq.heappop(heap)
        if c < 0:  # a line's best offer
            if seen != line_version[line]:
                continue  # the line lost units since; its new best is in the heap
            promo, alloc = payload, ((line, cart.pieces[line] - taken[line], -negative),)
        else:
            if version[c] < 0:
                continue
            if payload is None or seen != version[c]:
                cand = groups[c]
                bound = min(cand.bound(), -negative)
                if bound < -negative:
                    if bound > 0:
                        heapq.heappush(heap, (-bound, rank, -1, c, version[c], None))
                    continue
                total, alloc = cand.evaluate(cart, taken)
                if total > 0:
                    heapq.heappush(heap, (-total, rank, -1, c, version[c], alloc))
                continue
            promo, alloc = groups[c].promo, payload
            version[c] = -1  # applied: it never comes back
        steps.append((promo, alloc, -negative))
        for i, units, _ in alloc:
            t = taken[i]
            taken[i] = t + units
            line_version[i] += 1
            lost_value = cart.value_left(i, t) - cart.value_left(i, t + units)
            for other in by_line[i]:
                if version[other] >= 0:
                    cand = groups[other]
                    cand.units -= units
                    cand.value -= lost_value
                    version[other] = version[other] + 1 if cand.units >= cand.size else -1
            if t + units < cart.pieces[i]:
                best = offers.best(i, t + units)
                if best is not None:
                    heapq.heappush(heap, (-best[0], best[1], i, -1, line_version[i], best[2]))
    return steps


class _SpendSave:
    """The best spend_save saving for a spend, over all the given spend_save promotions."""

    def __init__(self, ranked: list[tuple[int, Promotion]]):
        entries = sorted((threshold, saving, rank, promo)
                         for rank, promo in ranked for threshold, saving in promo.tiers)
        self.thresholds = [e[0] for e in entries]
        self.best = []  # best (saving, rank, promo) among tiers with threshold <= thresholds[k]
        current = None
        for _, saving, rank, promo in entries:
            if current is None or (saving, -rank) > (current[0], -current[1]):
                current = (saving, rank, promo)
            self.best.append(current)

    def at(self, spend: int) -> tuple[int, Promotion | None]:
        k = bisect_right(self.thresholds, spend) - 1
        if k < 0:
            return 0, None
        saving, _, promo = self.best[k]
        return min(saving, spend), promo


def apply(lines: Sequence[PromoLine], promotions: Sequence[Promotion]) -> PromoResult:
    """The discounts the cart gets from these (already active) promotions; see the module rules."""
    ranked = sorted(promotions, key=lambda p: (p.priority, p.code))
    for before, after in zip(ranked, ranked[1:]):
        if before.code == after.code:
            raise ValueError(f"promotion code {after.code!r} is given twice; codes must be unique")
    cart = _Cart(lines)
    gross = sum(line.gross for line in lines)

    keys = [None if promo.kind == "spend_save" else cart.scope_keys(promo) for promo in ranked]
    per_line, groups, spend_save = [], [], []
    seen_groups = set()  # a group promotion identical to a better-ranked one can never win
    for rank, promo in enumerate(ranked):
        if not promo.combinable or (not keys[rank] and promo.kind != "spend_save"):
            continue
        if promo.kind == "spend_save":
            spend_save.append((rank, promo))
        elif promo.kind in GROUP_KINDS:
            same = (promo.kind, promo.products, promo.categories, promo.buy, promo.get, promo.get_off_bp,
                    promo.n, promo.price)
            covered = None if same in seen_groups else cart.lines_of(promo, keys[rank])
            seen_groups.add(same)
            if covered:
                groups.append(_Candidate(rank, promo, covered, cart))
        else:
            per_line.append((rank, promo, keys[rank]))

    # (a) the greedy combination, cut where it pays most together with the best spend_save
    steps = _greedy(cart, _LineOffers(per_line, cart), groups)
    savings = _SpendSave(spend_save)
    best_k, best_total, best_order, best_promo = 0, -1, 0, None
    line_total = 0
    for k in range(len(steps) + 1):
        if k:
            line_total += steps[k - 1][2]
        order, promo = savings.at(gross - line_total)
        if line_total + order >= best_total:
            best_k, best_total, best_order, best_promo = k, line_total + order, order, promo
    chosen = ([step[:2] for step in steps[:best_k]], best_order, best_promo)

    # (b) each promotion on its own: the only way a non-combinable one applies, and a floor
    # under the greedy; evaluated only where its bound beats the best so far (ties keep the
    # earlier: (a), then (priority, code))
    fresh = [0] * cart.n
    for rank, promo in enumerate(ranked):
        if promo.kind == "spend_save":
            total, saver = _SpendSave([(rank, promo)]).at(gross)
            picked = ([], total, saver)
        elif keys[rank] and cart.alone_bound(promo, keys[rank]) > best_total:
            total, alloc = _Candidate(rank, promo, cart.lines_of(promo, keys[rank]), cart).evaluate(cart, fresh)
            picked = ([(promo, alloc)], 0, None)
        else:
            continue
        if total > best_total:
            best_total, chosen = total, picked

    applied, order_discount, order_promo = chosen
    discounts = [0] * cart.n
    labels: list[list[str]] = [[] for _ in range(cart.n)]
    for promo, alloc in applied:
        for i, _, d in alloc:
            if d:
                discounts[i] += d
                labels[i].append(promo.code)
    return PromoResult(
        line_discounts=tuple(discounts),
        line_labels=tuple(tuple(codes) for codes in labels),
        order_discount=order_discount,
        order_labels=(order_promo.code,) if order_promo is not None and order_discount else (),
    )
