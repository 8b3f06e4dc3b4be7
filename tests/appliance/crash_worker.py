"""Completes sales in a loop until it is killed (driven by test_crash.py)."""

import sys

from appliance.app import open_till
from appliance.config import load_config
from appliance.services import auth, payments, sales, shifts

CODES = sys.argv[2].split(",")


def main():
    config = load_config(sys.argv[1], environ={})
    till = open_till(config)
    actor = auth.resolve_session(till, auth.login(till, "1001", "1234").token)
    if sales.current_shift(till) is None:
        shifts.open_shift(till, actor, 10_000)
    print("ready", flush=True)
    n = 0
    while True:
        sale = sales.start_sale(till, actor)  # resumes a sale a crash left open
        if not sales.lines_of(sale):
            for code in CODES[: 1 + n % len(CODES)]:
                sales.add_item(till, actor, sale.uuid, code=code)
            sale = sales.get_sale(till, sale.uuid)
        if sale.paid == 0 and n % 3 == 0:
            sale, _ = payments.add_payment(till, actor, sale.uuid, "card", 100, reference=f"R{n}")
        payments.add_payment(till, actor, sale.uuid, "cash", sale.total - sale.paid + 1000)
        n += 1


if __name__ == "__main__":
    main()
