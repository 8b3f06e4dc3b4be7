"""Which role may do what at the till.

A store may change the table in its config ([permissions]); an action a role may not
do can still be done with a manager's PIN (an override), and is then audited with both
the cashier and the manager who approved it.
"""

from __future__ import annotations

EVERYONE = frozenset({"cashier", "manager", "admin"})
MANAGERS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})

DEFAULT_PERMISSIONS: dict[str, frozenset[str]] = {
    "sale.sell": EVERYONE,
    "sale.park": EVERYONE,
    "sale.void": MANAGERS,
    "line.quantity": EVERYONE,
    "line.remove": EVERYONE,
    "line.discount": MANAGERS,
    "line.price_override": MANAGERS,
    "order.discount": MANAGERS,
    "payment.remove": MANAGERS,
    "drawer.no_sale": MANAGERS,
    "shift.open": EVERYONE,
    "shift.cash_in": EVERYONE,
    "shift.cash_out": MANAGERS,
    "shift.x_report": EVERYONE,
    "shift.close": EVERYONE,
    "catalog.manage": MANAGERS,
    "cashier.manage": MANAGERS,
    "cashier.manage_managers": ADMINS,
    "audit.view": MANAGERS,
    "refund.receipt": EVERYONE,
    "refund.no_receipt": MANAGERS,
    "member.manage": EVERYONE,
    "member.redeem": EVERYONE,
    "stock.view": EVERYONE,
    "stock.receive": MANAGERS,
    "stock.adjust": MANAGERS,
    "stock.take": MANAGERS,
    "report.view": MANAGERS,
}


def allowed_roles(action: str, overrides: dict) -> frozenset[str]:
    if action not in DEFAULT_PERMISSIONS:
        raise KeyError(f"unknown action {action!r}")
    return overrides.get(action, DEFAULT_PERMISSIONS[action])
