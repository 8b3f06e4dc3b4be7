"""What the till's and head office's Flask apps share: a database connection per request
and JSON error bodies ({"error": code, "message": ...}) for every failure."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def setup_json_app(app: Flask, db, error_class: type, who: str) -> None:
    """Open `db` per request, and answer `error_class` (which has .status and .to_dict()),
    HTTP errors and unexpected exceptions as JSON. `who` names the server in a 500."""
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(_exc):
        if not db.is_closed() and db.transaction_depth() == 0:
            db.close()

    @app.errorhandler(error_class)
    def _known(error):
        return jsonify(error.to_dict()), error.status

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return jsonify({"error": error.name.lower().replace(" ", "_"), "message": error.description}), error.code
        log.exception("unexpected error")
        return jsonify({"error": "internal", "message": f"{who} hit an unexpected error; it is logged"}), 500
