"""The kiosk's pages: server-rendered shells whose JavaScript modules drive the JSON API.

Each page embeds what it needs to be usable at once (the language's catalog, the store,
the cashier and, on the sale screen, the sale in progress) so that a reload paints the
sale as it is in the database without waiting for another request.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session, url_for

from appliance.api.common import SESSION_HEADER, actor, body, till
from appliance.errors import AuthRequired, NotFound, TillError, ValidationError
from appliance.models import TillSession
from appliance.money import CURRENCY_EXPONENTS
from appliance.services.auth import cashier_view
from appliance.services.sales import current_sale, current_shift
from appliance.services.views import sale_view

from .cash import denominations
from .i18n import LANGUAGES, Translator, choose_locale, supported
from .status import till_status

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


#: the Flask session key of a language chosen on the status bar for one login
LANGUAGE_KEY = "kiosk_language"


def _language_choice(current) -> str | None:
    """The language the cashier picked on the status bar for this login, if any."""
    chosen = session.get(LANGUAGE_KEY)
    if current is None or not isinstance(chosen, dict) or chosen.get("session") != current.session_token:
        return None
    return chosen.get("locale")


def _page(template: str, page: str, current=None, **data):
    config = till().config
    locale = choose_locale(config.store.locale,
                           (_language_choice(current) or current.cashier.locale) if current else None)
    t = Translator(locale)
    boot = {"page": page, "locale": locale, "messages": t.messages, "languages": LANGUAGES,
            "store": _store(), "cashier": cashier_view(current.cashier) if current else None,
            "idle_seconds": config.security.idle_logout_seconds,
            "hardware": "fleetpos.hardware" in current_app.extensions,
            "drawer_must_close": config.kiosk.drawer_must_close, **data}
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
    # names for the codes a sale view carries: promotions per line, the member's tier
    promotions = dict(ctx.sql("SELECT code, name FROM promotion").fetchall())
    tiers = dict(ctx.sql("SELECT code, name FROM member_tier").fetchall())
    return _page("sale.html", "sale", current, shift_number=shift.number,
                 sale=sale_view(ctx, open_sale) if open_sale else None, promotions=promotions, tiers=tiers)


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


@bp.get("/refund")
def refund():
    current = _logged_in()
    if current is None:
        return redirect(url_for("kiosk.lock"))
    shift = current_shift(till())
    return _page("refund.html", "refund", current, shift_number=shift.number if shift else None)


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


def _logged_in_untouched() -> None:
    """A live session, checked without counting as activity: the status bar asks every few
    seconds, and that must not keep an idle till logged in."""
    token = request.headers.get(SESSION_HEADER) or session.get("till_session")
    if not token or TillSession.get_or_none((TillSession.token == token) & TillSession.ended_at.is_null()) is None:
        raise AuthRequired("log in with your cashier number and PIN", code="login_required")


@bp.get("/kiosk/api/status")
def status():
    """Devices, print queue, drawer, head office and enrollment for the status bar."""
    _logged_in_untouched()
    return jsonify(till_status(till(), current_app.extensions.get("fleetpos.hardware")))


@bp.put("/kiosk/api/language")
def language():
    """The cashier picks the screen's language for this login (the account's own language,
    set by a manager, is what the next login gets)."""
    current = actor()
    wanted = body().get("locale")
    locale = supported(wanted) if isinstance(wanted, str) else None
    if locale is None or locale != wanted:
        raise ValidationError(f"language must be one of {', '.join(LANGUAGES)}", code="invalid_language")
    session[LANGUAGE_KEY] = {"session": current.session_token, "locale": locale}
    return jsonify({"locale": locale})


@bp.get("/kiosk/api/sales/<sale_uuid>/receipt.png")
def receipt_preview(sale_uuid):
    """The completed sale's receipt as the printer lays it out (the paper's width, its
    language and codes), for the screen."""
    from appliance.hardware import sale_receipt
    from appliance.services.sales import get_sale

    actor()
    hardware = current_app.extensions.get("fleetpos.hardware")
    if hardware is None:
        raise NotFound("this till has no receipt printer configured", code="no_printer")
    sale = get_sale(till(), sale_uuid)
    if sale.status != "completed":
        raise TillError("only a completed sale has a receipt", code="sale_not_completed")
    png = hardware.devices.printer.renderer.receipt(sale_receipt(till(), sale.uuid)).png()
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
