"""Head office's Flask application factory: enrollment, the admin API, the REST API
under /api/v1 (with its OpenAPI document) and the web console under /console.

Background work (catalog publisher, ingest) runs in `fleetpos fleet serve` and
`fleetpos fleet ingest`.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, redirect
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from fleetpos.webapp import setup_json_app

from .config import FleetConfig, load_fleet_config
from .context import FleetContext
from .db import open_database
from .errors import FleetError
from .keys import load_signing_key



class DatabaseIntConverter(IntegerConverter):
    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > 2 ** 63 - 1:
            raise NotFound(f"no such id: {value[:30]}")
        return number


def open_fleet(config: FleetConfig) -> FleetContext:
    """Open head office's database (creating tables) and signing key."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(config.database_url)
    return FleetContext(config=config, db=database, key=load_signing_key(config.signing_key_path))


def create_app(config: FleetConfig | dict | None = None, *, ctx: FleetContext | None = None) -> Flask:
    """`config` is a FleetConfig, or a dict of sections (tests), or None to read the file in
    FLEETPOS_FLEET_CONFIG."""
    if ctx is None:
        if config is None:
            config = load_fleet_config(os.environ.get("FLEETPOS_FLEET_CONFIG"))
        elif isinstance(config, dict):
            config = load_fleet_config(environ={}, overrides=config)
        ctx = open_fleet(config)
    app = Flask(__name__)
    # <int:...> in a URL matches only what the databases can store (SQLite and PostgreSQL
    # BIGINT): a larger number is no such thing (404), not an overflow (500)
    app.url_map.converters["int"] = DatabaseIntConverter
    app.extensions["fleetpos.fleet"] = ctx
    # made now, so an unknown username's first login costs no more than any other
    from .users import dummy_hash
    dummy_hash(ctx.config.console.password_hash_cost)
    setup_json_app(app, ctx.db, FleetError, "head office")

    @app.get("/healthz")
    def healthz():
        ctx.db.execute_sql("SELECT 1")
        return jsonify({"ok": True})

    @app.get("/")
    def home():
        return redirect("/console/")

    from . import console
    from .api import catalog, enroll, stores, v1
    for module in (enroll, stores, catalog):
        app.register_blueprint(module.bp)
    v1.register(app)
    console.register(app)
    return app
