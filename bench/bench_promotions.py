"""Promotions benchmark: `apply()` on a 200-line cart with 1,000 active promotions. Prints its figures.

    .venv/bin/python bench/bench_promotions.py [--lines 200] [--promotions 1000] [--runs 300] [--seed 1]

The cases are generated from a fixed seed: a catalog of 5,000 products in 60 categories, a cart of
distinct products (a tenth of them sold by weight, a few with label prices, some with several
pieces), and promotions of every kind, most of them aimed at products or categories in the cart
so that they overlap (a product has a product offer, a category offer and a store-wide offer at
once). "mixed" has 3 % store-wide offers (a store-wide 第二件半价 tends to take most units in one
step); "targeted" has none, so the greedy takes a step per line or group (its slowest path).
The target is 20 ms per `apply()`. Figures are wall-clock and this process's CPU time: on a busy
machine the wall clock also counts time waiting for a core.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.money import extended_price  # noqa: E402
from appliance.promotions import PromoLine, Promotion, active, apply  # noqa: E402

CATALOG = 5_000
CATEGORIES = 60
TARGET_MS = 20.0


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def build_cart(rng: random.Random, size: int) -> list[PromoLine]:
    products = rng.sample(range(1, CATALOG + 1), size)
    lines = []
    for product in products:
        category = product % CATEGORIES + 1
        price = rng.choice([150, 250, 300, 380, 450, 599, 750, 990, 1280, 1999, 2580, 4990])
        if rng.random() < 0.1:
            grams = rng.randint(150, 2500)
            lines.append(PromoLine(product, category, "kg", grams, price, extended_price(price, grams)))
            continue
        pieces = rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 12])
        gross = price * pieces if rng.random() > 0.03 else price * pieces - rng.randint(1, price)  # label price
        lines.append(PromoLine(product, category, "each", pieces * 1000, price, gross))
    return lines


def build_promotions(rng: random.Random, count: int, cart: list[PromoLine], store_wide: bool) -> list[Promotion]:
    in_cart = [line.product_id for line in cart]
    cart_categories = sorted({line.category_id for line in cart})
    typical_price = {}  # what a unit of a product / category costs here, so "N for X" is a real deal
    for line in cart:
        typical_price[("p", line.product_id)] = line.unit_price
        typical_price.setdefault(("c", line.category_id), []).append(line.unit_price)
    promotions = []
    for k in range(count):
        roll = rng.random()
        if roll < 0.55:  # products, mostly ones in the cart
            pool = in_cart if rng.random() < 0.8 else range(1, CATALOG + 1)
            scope = {"products": frozenset(rng.sample(pool, rng.randint(1, 4)))}
            prices = [typical_price.get(("p", p), 500) for p in scope["products"]]
            kind = rng.choice(["percent_off"] * 4 + ["amount_off"] * 2 + ["buy_x_get_y"] * 2 + ["n_for_price"] * 2)
        elif roll < 0.9:  # categories
            pool = cart_categories if rng.random() < 0.8 else range(1, CATEGORIES + 1)
            scope = {"categories": frozenset(rng.sample(pool, rng.randint(1, 2)))}
            prices = [x for c in scope["categories"] for x in typical_price.get(("c", c), [500])]
            kind = rng.choice(["percent_off"] * 4 + ["amount_off"] * 2 + ["buy_x_get_y"] * 2 + ["n_for_price"] * 2)
        elif roll < 0.93 and store_wide:  # store-wide: 全场折扣, 全场第二件半价
            scope, prices = {}, [500]
            kind = rng.choice(["percent_off", "percent_off", "buy_x_get_y"])
        elif roll >= 0.93:
            scope, prices, kind = {}, [], "spend_save"
        else:
            scope = {"products": frozenset(rng.sample(in_cart, 2))}
            prices = [typical_price[("p", p)] for p in scope["products"]]
            kind = rng.choice(["percent_off", "buy_x_get_y"])
        if kind == "percent_off":
            rates = [500, 1000, 1500, 2000, 3000] if scope else [300, 500, 1000]
            params = {"percent_bp": rng.choice(rates)}
        elif kind == "amount_off":
            params = {"amount": rng.choice([50, 100, 200, 500])}
        elif kind == "buy_x_get_y":
            params = ({"buy": rng.choice([1, 1, 2, 3]), "get": 1, "get_off_bp": rng.choice([10000, 10000, 5000])}
                      if scope else {"buy": rng.choice([1, 2]), "get": 1, "get_off_bp": rng.choice([5000, 3000])})
        elif kind == "n_for_price":
            n = rng.choice([2, 3, 5])
            params = {"n": n, "price": int(n * statistics.median(prices) * rng.uniform(0.6, 0.95))}
        else:
            base = rng.choice([5000, 10000, 20000, 30000])
            params = {"tiers": ((base, base // 10), (base * 2, base // 4), (base * 4, base // 2))}
        promotions.append(Promotion(
            code=f"PR{k:05d}", name=f"promotion {k}", kind=kind, **scope, **params,
            combinable=rng.random() > 0.05, priority=rng.choice([10, 50, 100, 100, 100]),
            member_only=rng.random() < 0.1, stores=frozenset({"sh-001"}) if rng.random() < 0.2 else frozenset()))
    return promotions


def measure(call, runs):
    wall, cpu = [], []
    for _ in range(runs):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        call()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return wall, cpu


def figures(samples):
    return (f"p50 {pct(samples, 50) * 1000:6.2f}  p99 {pct(samples, 99) * 1000:6.2f}  "
            f"max {max(samples) * 1000:6.2f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--promotions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    now = datetime(2026, 11, 23, 12, 0)
    worst = 0.0
    for case, store_wide in (("mixed", True), ("targeted", False)):
        rng = random.Random(args.seed)
        cart = build_cart(rng, args.lines)
        promotions = build_promotions(rng, args.promotions, cart, store_wide)
        running = active(promotions, now_local=now, store_id="sh-001", has_member=True)
        assert len(running) == len(promotions)
        result = apply(cart, running)
        discounted = sum(1 for d in result.line_discounts if d)
        used = {code for labels in result.line_labels for code in labels} | set(result.order_labels)
        print(f"{case}: {len(cart)} lines, {len(running)} active promotions (seed {args.seed}): "
              f"{discounted} lines discounted by {len(used)} promotions, "
              f"{sum(result.line_discounts)} + order {result.order_discount} off a gross of "
              f"{sum(line.gross for line in cart)}")
        for name, call in (("active()", lambda: active(promotions, now_local=now, store_id="sh-001",
                                                       has_member=True)),
                           ("apply()", lambda: apply(cart, running))):
            wall, cpu = measure(call, args.runs)
            print(f"  {name:9} wall {figures(wall)} | cpu {figures(cpu)}  ({args.runs} runs)")
        worst = max(worst, pct(wall, 99) * 1000)
    print(f"apply() wall p99, worst case: {worst:.2f} ms vs target {TARGET_MS:.0f} ms: "
          f"{'OK' if worst <= TARGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
