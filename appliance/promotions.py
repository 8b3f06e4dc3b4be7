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
   values split the line's gross evenly (`allocate`, earlier pieces take the odd minor
   units), which is the unit price unless a label fixed the gross. A "kg" line is one
   unit worth its gross. buy_x_get_y and n_for_price use "each" units only. Lines with a
   gross of 0 get nothing.
2. A unit receives at most one line-level promotion. Greedy: evaluate every
   combinable line promotion on the units nobody has taken yet; take the one giving the
   largest discount (ties: lower priority, then code); it takes the units it used;
   repeat until nothing gives a positive discount. percent_off and amount_off use every
   eligible unit they discount. buy_x_get_y and n_for_price pool the eligible units of
   all lines, sort them by value, highest first (then line order), cut them into
   consecutive groups and use the groups that give a discount; an incomplete group, or
   an n_for_price group whose units cost no more than `price`, gets nothing (and keeps
   its units for other promotions). A buy_x_get_y group's discount goes to the lines of
   its free units (each its own value, or `get_off_bp` of it); an n_for_price group's
   discount is spread over its lines in proportion to their units' values, exactly
   (`allocate`). percent_off rounds once per line, amount_off is capped at each unit's
   value.
3. spend_save comes after line promotions, on the order's gross minus the line
   discounts; only the best spend_save applies (largest saving, then priority, then
   code). A threshold is reached when the spend is >= it.
4. The combination (a): the greedy steps are taken in order, and the combination is the
   prefix of those steps plus the best combinable spend_save that gives the most in total
   (ties: the longer prefix). Without a spend_save this is simply every greedy step; with
   one, it stops before a small line discount that would push the order under a
   spend_save threshold worth more.
5. A non-combinable promotion is applied alone: (b) each non-combinable line promotion
   on every unit, and each non-combinable spend_save on the gross. The result is the
   candidate with the largest total discount; ties prefer (a), then the lower priority,
   then the code.
6. Deterministic: promotions are sorted by (priority, code) before anything else, so the
   order they are given in does not matter; codes must be unique within one call.
7. Bounds: no line discount exceeds the line's gross, none is negative, the order
   discount never exceeds what remains after line discounts.

Greedy is not optimal: a new promotion that wins the first pick can use units that two
smaller promotions would have used better, so adding a combinable line promotion can
(rarely) lower the total; adding a spend_save or a non-combinable promotion never does,
and the result is never worse than any single promotion on its own.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .money import BP_ONE, allocate, div_round, percent_of

KINDS = ("percent_off", "amount_off", "buy_x_get_y", "n_for_price", "spend_save")
LINE_KINDS = KINDS[:4]
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
            if not isinstance(self.tiers, Iterable):
                raise ValueError(f"promotion {self.code!r}: tiers must be (threshold, saving) pairs")
            object.__setattr__(self, "tiers", tuple(tuple(t) for t in self.tiers))
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


class _Cart:
    """The lines as units: line i has pieces[i] units; the first hi[i] are worth q[i] + 1, the rest q[i].

    Units are always taken from the front of a line (most valuable first), so what is left of
    line i is its units from taken[i] on.
    """

    __slots__ = ("lines", "n", "pieces", "q", "hi", "by_product", "by_category", "promotable", "each")

    def __init__(self, lines: Sequence[PromoLine]):
        self.lines = lines
        self.n = len(lines)
        self.pieces, self.q, self.hi, self.each = [], [], [], []
        self.by_product: dict[int, list[int]] = {}
        self.by_category: dict[int, list[int]] = {}
        self.promotable = []
        for i, line in enumerate(lines):
            is_each = line.unit == "each"
            pieces = line.qty_milli // ONE if is_each else 1
            q, hi = divmod(line.gross, pieces)  # the even split `allocate(gross, [1] * pieces)` makes
            self.pieces.append(pieces)
            self.q.append(q)
            self.hi.append(hi)
            self.each.append(is_each)
            if line.gross > 0:
                self.promotable.append(i)
                self.by_product.setdefault(line.product_id, []).append(i)
                if line.category_id is not None:
                    self.by_category.setdefault(line.category_id, []).append(i)

    def lines_of(self, promo: Promotion) -> list[int]:
        """Promotable lines the promotion covers, in line order."""
        if not promo.products and not promo.categories:
            found = self.promotable
        else:
            touched: set[int] = set()
            for ids, index in ((promo.products, self.by_product), (promo.categories, self.by_category)):
                if len(ids) <= len(index):
                    for key in ids:
                        touched.update(index.get(key, ()))
                else:
                    for key, lines in index.items():
                        if key in ids:
                            touched.update(lines)
            found = sorted(touched)
        if promo.kind in GROUP_KINDS:
            found = [i for i in found if self.each[i]]
        return found


# An evaluation: (total discount, ((line, units used, discount), ...)); every entry has units > 0.
_Allocation = tuple[tuple[int, int, int], ...]


def _percent(promo: Promotion, lines: list[int], cart: _Cart, taken: list[int]) -> tuple[int, _Allocation]:
    bp, pieces, q, hi = promo.percent_bp, cart.pieces, cart.q, cart.hi
    total, out = 0, []
    for i in lines:
        t = taken[i]
        left = pieces[i] - t
        if left:
            value = left * q[i] + (hi[i] - t if hi[i] > t else 0)
            d = div_round(value * bp, BP_ONE)
            if d > 0:
                total += d
                out.append((i, left, d))
    return total, tuple(out)


def _amount(promo: Promotion, lines: list[int], cart: _Cart, taken: list[int]) -> tuple[int, _Allocation]:
    amount, pieces, q, hi = promo.amount, cart.pieces, cart.q, cart.hi
    total, out = 0, []
    for i in lines:
        t = taken[i]
        left = pieces[i] - t
        if not left:
            continue
        if cart.each[i]:
            upper = hi[i] - t if hi[i] > t else 0
            d = upper * min(amount, q[i] + 1) + (left - upper) * min(amount, q[i])
        else:
            d = min(div_round(amount * cart.lines[i].qty_milli, ONE), q[i])
        if d > 0:
            total += d
            out.append((i, left, d))
    return total, tuple(out)


def _sorted_runs(lines: list[int], cart: _Cart) -> list[tuple[int, int, bool]]:
    """Each line's units as up to two runs (value, line, upper), most valuable first, then line order."""
    runs = []
    for i in lines:
        if cart.hi[i]:
            runs.append((cart.q[i] + 1, i, True))
        if cart.q[i] and cart.pieces[i] > cart.hi[i]:
            runs.append((cart.q[i], i, False))
    runs.sort(key=lambda run: (-run[0], run[1]))
    return runs


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
            if bxgy:
                d = percent_of(promo.get * value, promo.get_off_bp)
            else:
                d = size * value - promo.price
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
            if take:
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
        order = sorted(weights)
        for line_j, share in zip(order, allocate(d, [weights[x] for x in order])):
            given[line_j] = given.get(line_j, 0) + share
        total += d
        need = size
        while need:
            take = min(need, seq[k][2])
            seq[k][2] -= take
            used[seq[k][0]] = used.get(seq[k][0], 0) + take
            need -= take
            if seq[k][2] == 0:
                k += 1
    return total, tuple((i, used[i], given.get(i, 0)) for i in sorted(used))


class _Candidate:
    """A line promotion with the cart lines it covers, ready to evaluate on what is left."""

    __slots__ = ("rank", "promo", "lines", "runs")

    def __init__(self, rank: int, promo: Promotion, lines: list[int], cart: _Cart):
        self.rank = rank
        self.promo = promo
        self.lines = lines
        self.runs = _sorted_runs(lines, cart) if promo.kind in GROUP_KINDS else None

    def evaluate(self, cart: _Cart, taken: list[int]) -> tuple[int, _Allocation]:
        kind = self.promo.kind
        if kind == "percent_off":
            return _percent(self.promo, self.lines, cart, taken)
        if kind == "amount_off":
            return _amount(self.promo, self.lines, cart, taken)
        return _groups(self.promo, self.runs, cart, taken)


def _greedy(candidates: list[_Candidate], cart: _Cart) -> list[tuple[_Candidate, _Allocation, int]]:
    """The greedy steps (candidate, allocation, discount), largest discount first.

    Lazy: a promotion is re-evaluated only when it reaches the top of the heap after one
    of its lines lost units. Taking units never raises any promotion's discount, so a
    fresh entry on top is the true best (the same steps as re-evaluating everything).
    """
    taken = [0] * cart.n
    by_line: list[list[int]] = [[] for _ in range(cart.n)]
    version = [0] * len(candidates)
    heap = []
    for c, cand in enumerate(candidates):
        for i in cand.lines:
            by_line[i].append(c)
        total, alloc = cand.evaluate(cart, taken)
        if total > 0:
            heap.append((-total, cand.rank, c, 0, alloc))
    heapq.heapify(heap)
    steps = []
    while heap:
        negative, rank, c, seen, alloc = heapq.heappop(heap)
        cand = candidates[c]
        if seen != version[c]:
            total, alloc = cand.evaluate(cart, taken)
            if total > 0:
                heapq.heappush(heap, (-total, rank, c, version[c], alloc))
            continue
        steps.append((cand, alloc, -negative))
        version[c] = -1  # applied: it never comes back
        for i, units, _ in alloc:
            taken[i] += units
            for other in by_line[i]:
                if version[other] >= 0:
                    version[other] += 1
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

    combinable, alone, spend_save = [], [], []
    for rank, promo in enumerate(ranked):
        if promo.kind == "spend_save":
            (spend_save if promo.combinable else alone).append((rank, promo))
            continue
        covered = cart.lines_of(promo)
        if covered:
            (combinable if promo.combinable else alone).append(_Candidate(rank, promo, covered, cart))

    # (a) the greedy combination, cut where it pays most together with the best spend_save
    steps = _greedy(combinable, cart)
    savings = _SpendSave(spend_save)
    best_k, best_total, best_order, best_promo = 0, -1, 0, None
    line_total = 0
    for k in range(len(steps) + 1):
        if k:
            line_total += steps[k - 1][2]
        order, promo = savings.at(gross - line_total)
        if line_total + order >= best_total:
            best_k, best_total, best_order, best_promo = k, line_total + order, order, promo
    chosen = ([(step[0].promo, step[1]) for step in steps[:best_k]], best_order, best_promo)

    # (b) each non-combinable promotion on its own
    fresh = [0] * cart.n
    for entry in alone:
        if isinstance(entry, _Candidate):
            total, alloc = entry.evaluate(cart, fresh)
            picked = ([(entry.promo, alloc)], 0, None)
        else:
            total, promo = _SpendSave([entry]).at(gross)
            picked = ([], total, promo)
        if total > best_total:
            best_total, chosen = total, picked  # ties keep the earlier: (a), then lower (priority, code)

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
