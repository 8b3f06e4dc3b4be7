"""The REST API under /api/v1, described by the OpenAPI 3.1 document at /api/v1/openapi.json.

Each area is one module in this package with a blueprint `bp` (url_prefix under /api/v1)
and its part of the OpenAPI document in `OPENAPI_PATHS` and `OPENAPI_SCHEMAS`. `MODULES`
lists them; `register(app)` adds them all and the document is assembled from the same list.
Authentication and permissions: fleet_server/auth.py; docs/console.md describes the API.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from flask import Blueprint, Flask, jsonify

from fleetpos import __version__

from .common import ERROR_SCHEMA

#: the v1 modules (names in this package); add a new area's module here
MODULES: list[str] = ["stores", "users", "catalog", "sales", "reports", "stock"]

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{name}") for name in MODULES]


def openapi_document() -> dict:
    paths: dict = {}
    schemas: dict = {"Error": ERROR_SCHEMA}
    for module in modules():
        for path, operations in getattr(module, "OPENAPI_PATHS", {}).items():
            if path in paths and set(paths[path]) & set(operations):
                raise ValueError(f"OpenAPI path {path} declared twice ({module.__name__})")
            paths.setdefault(path, {}).update(operations)
        for name, schema in getattr(module, "OPENAPI_SCHEMAS", {}).items():
            if name in schemas and schemas[name] != schema:
                raise ValueError(f"OpenAPI schema {name} declared twice with different content ({module.__name__})")
            schemas[name] = schema
    paths["/api/v1/openapi.json"] = {"get": {
        "summary": "This document", "tags": ["meta"], "security": [],
        "responses": {"200": {"description": "the OpenAPI 3.1 document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "fleetpos head office API", "version": __version__,
                 "description": "Stores, devices, catalog, sales, reports, stock, users and audit of a fleetpos "
                                "chain. Authenticate with `Authorization: Bearer <API token>` (console: Users → "
                                "API tokens). Lists are paginated (`page`, `per_page` ≤ 500) and answer "
                                "`{items, page, per_page, total}`; errors answer `{error, message}`."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "an API token (fpt_...) or head office's [server] admin_token"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "fleetpos_console",
                               "description": "a console session; unsafe methods also need X-CSRF-Token"},
            },
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    for module in modules():
        app.register_blueprint(module.bp)
