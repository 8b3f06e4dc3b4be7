"""Head office's roles and what each may do.

A permission names an area and a verb (`catalog.write`); a role is a set of permissions.
Console users and API tokens each carry one role. The table below is the one place that
says who may do what; views declare the permission they need with `auth.require`.
"""

from __future__ import annotations

#: every permission, with what it allows (shown in the console and docs/console.md)
PERMISSIONS: dict[str, str] = {
    "stores.read": "see stores, devices, their health and alerts",
    "stores.write": "create stores, issue enrollment tokens, revoke devices",
    "catalog.read": "see products, prices, promotions, members and cashiers",
    "catalog.write": "edit and import products, prices, promotions, members and cashiers",
    "catalog.publish": "publish catalog changes to the stores",
    "sales.read": "search sales and refunds, open receipts",
    "reports.read": "sales reports and exports",
    "stock.read": "stock on hand, low stock, stock-take variances",
    "users.manage": "console users and API tokens",
    "audit.read": "the audit log",
}

_READ = {p for p in PERMISSIONS if p.endswith(".read")}

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "catalog_manager": frozenset({"catalog.read", "catalog.write", "catalog.publish", "stores.read", "sales.read",
                                  "reports.read", "stock.read"}),
    "store_ops": frozenset({"stores.read", "stores.write", "sales.read", "reports.read", "stock.read",
                            "catalog.read"}),
    "viewer": frozenset(_READ - {"audit.read"}),
}

ROLE_LABELS: dict[str, str] = {
    "admin": "Administrator",
    "catalog_manager": "Catalog manager",
    "store_ops": "Store operations",
    "viewer": "Viewer",
}


def permissions_of(role: str) -> frozenset[str]:
    """The permissions of `role`; an unknown role has none."""
    return ROLES.get(role, frozenset())


def allows(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r} (known: {', '.join(PERMISSIONS)})")
    return permission in permissions_of(role)


def check_role(role) -> str:
    from .errors import FleetError

    if role not in ROLES:
        raise FleetError(f"role must be one of {', '.join(ROLES)}, not {role!r}", code="invalid_role")
    return role
