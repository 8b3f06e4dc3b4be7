"""Head office's catalog: every write is issued to the stores as a change set.

Each call answers {"versions": {store_id: the change set version it became}}.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import catalog
from .common import admin_required, body, fleet

bp = Blueprint("catalog", __name__, url_prefix="/api/catalog")


def _issued(versions):
    fleet().catalog_changed()
    return jsonify({"versions": versions})


@bp.put("/tax-classes")
@admin_required
def put_tax_classes():
    return _issued(catalog.upsert_tax_classes(fleet().key, body()))


@bp.put("/categories")
@admin_required
def put_categories():
    return _issued(catalog.upsert_categories(fleet().key, body()))


@bp.put("/products")
@admin_required
def put_products():
    return _issued(catalog.upsert_products(fleet().key, body()))


@bp.post("/prices")
@admin_required
def post_prices():
    """[{"sku", "price", "effective_at"?}]: now, or scheduled for a UTC time."""
    return _issued(catalog.set_prices(fleet().key, body()))


@bp.delete("/price-schedules/<schedule_id>")
@admin_required
def cancel_schedule(schedule_id):
    return _issued(catalog.cancel_price_schedule(fleet().key, schedule_id))


@bp.put("/member-tiers")
@admin_required
def put_member_tiers():
    return _issued(catalog.upsert_member_tiers(fleet().key, body()))


@bp.put("/members")
@admin_required
def put_members():
    return _issued(catalog.upsert_members(fleet().key, body()))


@bp.put("/promotions")
@admin_required
def put_promotions():
    return _issued(catalog.upsert_promotions(fleet().key, body()))
