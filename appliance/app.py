"""The till's Flask application factory."""

from __future__ import annotations

import os
import secrets
import shutil

from flask import Flask, jsonify

import fleetpos
from fleetpos.webapp import setup_json_app

from . import backup
from . import db as database
from .config import TillConfig, load_config
from .context import TillContext
from .errors import TillError



def _secret_key(config: TillConfig) -> str:
    if config.security.secret_key:
        return config.security.secret_key
    path = config.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def open_till(config: TillConfig, clock=None) -> TillContext:
    """Open the store's database (migrating it if needed) and make the service context."""
    db = database.open_database(config.database_path)

    def backup_first(current_version: int) -> None:
        if current_version:  # a new, empty database has nothing to keep
            backup.make_backup(config.database_path, backup.backups_dir(config.data_dir),
                               reason=f"before-migration-{current_version}", keep=config.data.backups_keep)

    database.migrate(db, before_migrate=backup_first)
    ctx = TillContext(config=config, db=db)
    if clock is not None:
        ctx.clock = clock
    return ctx


def create_app(config: TillConfig | None = None, *, ctx: TillContext | None = None,
               extensions=()) -> Flask:
    """The till's app. `extensions` are callables (app, ctx) that add to it: the kiosk UI,
    the hardware wiring (the `fleetpos till` command passes them)."""
    if ctx is None:
        config = config or load_config(os.environ.get("FLEETPOS_CONFIG"))
        ctx = open_till(config)
    config = ctx.config
    app = Flask(__name__)
    app.config.update(SECRET_KEY=_secret_key(config), SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_HTTPONLY=True)
    app.extensions["fleetpos.till"] = ctx
    setup_json_app(app, ctx.db, TillError, "the till")

    @app.get("/healthz")
    def healthz():
        writable, detail = database.check_writable(ctx.db)
        free = shutil.disk_usage(config.data_dir).free
        body = {"ok": writable, "version": fleetpos.__version__, "database": detail,
                "schema_version": database.schema_version(ctx.db),
                "store_id": config.store.id, "device_id": config.device.id, "disk_free_bytes": free}
        return jsonify(body), 200 if writable else 503

    from .api import admin, auth, catalog, sales, shifts, store
    for module in (auth, catalog, sales, shifts, store, admin):
        app.register_blueprint(module.bp)
    for hook in extensions:
        hook(app, ctx)
    return app
