"""The kiosk's pages: server-rendered shells whose JavaScript modules drive the JSON API.

Each page embeds what it needs to be usable at once (the language's catalog, the store,
the cashier and, on the sale screen, the sale in progress) so that a reload paints the
sale as it is in the database without waiting for another request.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from appliance.api.common import actor, till
from appliance.errors import AuthRequired
from appliance.money import CURRENCY_EXPONENTS
from appliance.services.auth import cashier_view
from appliance.services.sales import current_sale, current_shift
from appliance.services.views import sale_view

from .cash import denominations
from .i18n import LANGUAGES, Translator, choose_locale

STATIC_DIR = Path(__file__).parent / "static"
#: quick keys are for what has no barcode to scan (loose produce, bakery); a screenful or two
QUICK_KEYS_MAX = 120
MANAGER_ROLES = ("manager", "admin")


class KioskBlueprint(Blueprint):
    def get_send_file_max_age(self, filename):
        """Files asked for with their content hash (`?v=`) never change: let Chromium keep
        them, so a reload costs no round trip per module. Without it, revalidate."""
        return 365 * 24 * 3600 if request.args.get("v") else None


bp = KioskBlueprint("kiosk", __name__, static_folder="static", static_url_path="/kiosk/static",
                    template_folder="templates")


def asset_versions() -> dict[str, str]:
    """Content hash of every static file, by its path under static/."""
    versions = {}
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            versions[path.relative_to(STATIC_DIR).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return versions


def _versions() -> dict[str, str]:
    return current_app.extensions["kiosk_ui"].asset_versions


def _asset(filename: str) -> str:
    return url_for("kiosk.static", filename=filename, v=_versions().get(filename))


def _import_map() -> dict:
    """Maps each module's plain URL to its versioned one, so that `import "./api.js"` in a
    module loads the cached, versioned file."""
    return {"imports": {url_for("kiosk.static", filename=name): _asset(name)
                        for name in _versions() if name.startswith("js/")}}


def _store() -> dict:
    store = till().config.store
    return {"id": store.id, "name": store.name, "currency": store.currency,
            "exponent": CURRENCY_EXPONENTS[store.currency], "timezone": store.timezone,
            "locale": store.locale, "tax_mode": store.tax_mode, "cash": denominations(store.currency)}


def _page(template: str, page: str, current=None, **data):
    config = till().config
    locale = choose_locale(config.store.locale, current.cashier.locale if current else None)
    t = Translator(locale)
    boot = {"page": page, "locale": locale, "messages": t.messages, "languages": LANGUAGES,
            "store": _store(), "cashier": cashier_view(current.cashier) if current else None,
            "idle_seconds": config.security.idle_logout_seconds,
            "hardware": "fleetpos.hardware" in current_app.extensions, **data}
    return render_template(template, t=t, boot=boot, page=page, locale=locale, asset=_asset,
                           import_map=_import_map(), cashier=boot["cashier"], store=boot["store"],
                           managers_only=MANAGER_ROLES)


def _logged_in():
    try:
        return actor()
    except AuthRequired:
        return None


@bp.get("/")
def index():
    return redirect(url_for("kiosk.sale"))


@bp.get("/lock")
def lock():
    return _page("lock.html", "lock")


@bp.get("/sale")
def sale():
    current = _logged_in()
    if current is None:
        return redirect(url_for("kiosk.lock"))
    ctx = till()
    shift = current_shift(ctx)
    if shift is None:
        return redirect(url_for("kiosk.shift"))
    open_sale = current_sale(ctx)
    return _page("sale.html", "sale", current, shift_number=shift.number,
                 sale=sale_view(ctx, open_sale) if open_sale else None)


@bp.get("/shift")
def shift():
    current = _logged_in()
    if current is None:
        return redirect(url_for("kiosk.lock"))
    shift = current_shift(till())
    return _page("shift.html", "shift", current, shift_number=shift.number if shift else None)


@bp.get("/manager")
def manager():
    current = _logged_in()
    if current is None:
        return redirect(url_for("kiosk.lock"))
    if current.role not in MANAGER_ROLES:
        return redirect(url_for("kiosk.sale"))
    shift = current_shift(till())
    return _page("manager.html", "manager", current, shift_number=shift.number if shift else None)


@bp.get("/display")
def display():
    """The customer display (second screen): fed over Socket.IO, no login."""
    return _page("display.html", "display")


@bp.get("/kiosk/api/quick-keys")
def quick_keys():
    """Products without a barcode (loose produce, bakery...), grouped by category, for the
    sale screen's quick-key grid."""
    actor()
    rows = till().sql(
        "SELECT p.id, p.name, p.unit, p.price, c.code, c.name FROM product p "
        "LEFT JOIN category c ON c.id = p.category_id "
        "WHERE p.active = 1 AND NOT EXISTS (SELECT 1 FROM barcode b WHERE b.product_id = p.id) "
        "ORDER BY c.name IS NULL, c.name, p.name LIMIT ?", (QUICK_KEYS_MAX,)).fetchall()
    groups: dict = {}
    for product_id, name, unit, price, category_code, category_name in rows:
        group = groups.setdefault(category_code, {"code": category_code, "name": category_name, "products": []})
        group["products"].append({"id": product_id, "name": name, "unit": unit, "price": price})
    return jsonify({"categories": list(groups.values())})
