"""Head office's web console under /console: server-rendered pages (Jinja) with a small
script, no CDN. This module holds the shell that every console page uses: the layout
(templates/console/base.html with the navigation), login and logout, the error pages,
and `register(app)`. The areas' pages are their own blueprints (stores.py, users.py, ...)
that extend console/base.html and guard each view with `auth.require(permission)`.

Every page gets `principal` (the signed-in caller), `csrf_token` (put it in each form as
the hidden field `csrf_token`; console.js sends it as X-CSRF-Token), `nav` and `can()`.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlparse

from flask import Blueprint, Flask, current_app, jsonify, make_response, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from .. import users as accounts
from ..auth import SESSION_COOKIE, current_user, require
from ..errors import FleetError

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

LOGIN_CSRF_COOKIE = "fleetpos_login_csrf"

#: (key, label, url, the permission that shows it)
NAV = [
    ("dashboard", "Dashboard", "/console/", None),
    ("stores", "Stores", "/console/stores", "stores.read"),
    ("catalog", "Catalog", "/console/catalog", "catalog.read"),
    ("sales", "Sales", "/console/sales", "sales.read"),
    ("reports", "Reports", "/console/reports", "reports.read"),
    ("stock", "Stock", "/console/stock", "stock.read"),
    ("users", "Users", "/console/users", "users.manage"),
    ("audit", "Audit", "/console/audit", "audit.read"),
]


#: the console's page modules in this package, each with a blueprint `bp`; add an area's module here
PAGES: list[str] = ["dashboard", "stores", "users", "catalog", "sales", "reports", "stock"]


def _fleet():
    return current_app.extensions["fleetpos.fleet"]


def _console_globals():
    principal = current_user() if request.path.startswith("/console") else None
    return {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "nav": [item for item in NAV if principal and (item[3] is None or principal.can(item[3]))],
        "can": (lambda permission: bool(principal and principal.can(permission))),
        "notice": request.args.get("notice", "")[:300],
    }


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect."""
    if not target:
        return "/console/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/console") or target.startswith("//"):
        return "/console/"
    return target


def _set_cookie(response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax", path="/",
                        secure=_fleet().config.console.secure_cookies)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        # login CSRF: the form's token must match the cookie set with the form
        given = request.form.get("csrf_token", "")
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        username = request.form.get("username", "")[:64]
        if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            error, status = "The login form expired: please try again.", 403
        else:
            try:
                result = accounts.login(_fleet().config.console, username, request.form.get("password", ""))
            except accounts.LoginFailed as exc:
                error, status = exc.message, exc.status
            else:
                # via a check that the browser sent the cookie back (an HTTPS-only cookie over plain
                # HTTP would otherwise send the user back to this page without a word)
                response = redirect("/console/login/check?" + urlencode({"next": _safe_next(request.args.get("next"))}))
                _set_cookie(response, SESSION_COOKIE, result.session_token,
                            _fleet().config.console.session_hours * 3600)
                response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
                return response
    token = secrets.token_urlsafe(24)
    response = make_response(render_template("console/login.html", error=error, username=username,
                                             login_csrf=token), status)
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@bp.get("/login/check")
def login_check():
    if current_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    error = ("You were logged in, but your browser did not send the session cookie back. Head office marks it "
             "HTTPS-only ([console] secure_cookies): open the console over https://, or, on a loopback-only setup "
             "such as the demo, set secure_cookies = false.")
    token = secrets.token_urlsafe(24)
    response = make_response(render_template("console/login.html", error=error, username="", login_csrf=token), 400)
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@bp.post("/logout")
@require()
def logout():
    accounts.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/console/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _error_page(error):
    if isinstance(error, FleetError):
        status, code, message = error.status, error.code, error.message
    elif isinstance(error, HTTPException):
        status, code, message = error.code, error.name.lower().replace(" ", "_"), error.description
    else:
        raise error
    if not request.path.startswith("/console"):
        return jsonify({"error": code, "message": message}), status
    return render_template("console/error.html", status=status, code=code, message=message), status


def _security_headers(response):
    """Console pages: never framed (clickjacking), never cached (one-time tokens are shown on
    them), no content sniffing, no URLs leaked to other sites."""
    if request.path.startswith("/console"):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/console/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def register(app: Flask) -> None:
    """The console shell, its pages, and HTML error pages for /console (JSON elsewhere)."""
    import importlib

    app.register_blueprint(bp)
    for name in PAGES:
        app.register_blueprint(importlib.import_module(f"{__name__}.{name}").bp)
    app.context_processor(_console_globals)
    app.after_request(_security_headers)
    app.register_error_handler(FleetError, _error_page)
    app.register_error_handler(HTTPException, _error_page)
