"""The catalog, sales, reports and stock calls keep to their OpenAPI document: generated
requests (schemathesis) get the documented statuses, content types and bodies, and no
server error, with data in every table for the GETs to find."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from fleet_server.api.v1 import catalog as v1_catalog
from fleet_server.api.v1 import reports as v1_reports
from fleet_server.api.v1 import sales as v1_sales
from fleet_server.api.v1 import stock as v1_stock
from fleet_server.db import write_transaction
from fleet_server.sales import index_records

from .conftest import ADMIN_TOKEN
from .test_catalog_import import HEADER, seed, upload, xlsx
from .test_openapi import EXCLUDED

PATHS = (set(v1_catalog.OPENAPI_PATHS) | set(v1_sales.OPENAPI_PATHS) | set(v1_reports.OPENAPI_PATHS)
         | set(v1_stock.OPENAPI_PATHS))


def _sale(uuid: str, store: str) -> dict:
    return {"v": 1, "kind": "sale", "uuid": uuid, "store_id": store, "device_id": "till-1", "receipt_no": "till-1-000001",
            "cashier": "1001", "completed_at": "2026-12-05T03:04:05Z", "currency": "CNY", "tax_mode": "inclusive",
            "subtotal": 300, "discount_total": 0, "tax_total": 35, "total": 300, "rounding": 0, "paid": 300,
            "change": 0, "lines": [{"position": 1, "product_id": 1, "sku": "COLA", "name": "Cola", "unit": "each",
                                    "qty_milli": 1000, "unit_price": 300, "gross": 300, "net": 300, "tax": 35,
                                    "tax_rate_bp": 1300, "line_discount": 0, "order_discount": 0,
                                    "promo_discount": 0}],
            "payments": [{"method": "cash", "amount": 300, "tendered": 500}],
            "tax_bands": [{"rate_bp": 1300, "net": 300, "tax": 35, "taxable": 265}],
            "stock_moves": [{"uuid": uuid[:-1] + "f", "product_id": 1, "qty_milli": -1000}]}


def test_catalog_sales_reports_and_stock_keep_to_their_document(office):
    seed(office)
    upload(office, xlsx([HEADER, ["COLA", "Cola", "3.00", "standard", "drinks", "", "1.80", "each"]]))
    office.admin("POST", "/api/v1/catalog/imports/1/publish")
    upload(office, xlsx([HEADER, ["GUM", "Gum", "x", "standard", "", "", "", ""]]))
    with office.ctx.db.connection_context(), write_transaction(office.ctx.db):
        index_records([_sale("0193a0c0-0000-7000-8000-000000000001", "s1")])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", office.app)
    failures, seen = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path not in PATHS:
            continue
        seen.add(operation.path)

        @given(operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, excluded_checks=EXCLUDED)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # every operation's failure (schemathesis raises groups), then all of them
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert seen == PATHS
    assert not failures, "\n\n".join(failures)
