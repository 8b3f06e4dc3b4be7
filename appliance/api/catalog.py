from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import ValidationError
from ..services import catalog
from ..services.auth import authorize
from .common import actor, body, int_arg, till

bp = Blueprint("catalog", __name__, url_prefix="/api/products")


def _view(product):
    return catalog.product_view(product, till().config.store.currency)


@bp.get("/lookup")
def lookup():
    actor()
    code = request.args.get("code")
    if code is None:
        raise ValidationError("give ?code=", code="invalid")
    resolved = catalog.resolve_code(till(), code)
    return jsonify({"product": _view(resolved.product), "barcode": resolved.barcode,
                    "qty_milli": resolved.qty_milli, "fixed_gross": resolved.fixed_gross})


@bp.get("/search")
def search():
    actor()
    products = catalog.search(till(), request.args.get("q", ""), int_arg("limit", 20, 1, catalog.SEARCH_LIMIT_MAX))
    return jsonify({"products": [_view(p) for p in products]})


@bp.get("/<int:product_id>")
def get(product_id):
    actor()
    return jsonify({"product": _view(catalog.get_product(product_id))})


@bp.put("")
def upsert():
    """Create or replace a product by SKU (head office normally sends these)."""
    authorize(till(), actor(), "catalog.manage")
    product = catalog.upsert_product(till(), body())
    return jsonify({"product": _view(product)})
