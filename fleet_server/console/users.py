"""Console pages for users, API tokens and the audit log."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request

from .. import audit, users
from ..auth import current_user, require
from ..errors import FleetError, Forbidden
from ..models import ApiToken, User
from ..permissions import PERMISSIONS, ROLE_LABELS, ROLES

bp = Blueprint("console_users", __name__, url_prefix="/console")

AUDIT_PAGE = 50


def _settings():
    return current_app.extensions["fleetpos.fleet"].config.console


def _users_page(error: str | None = None, form: dict | None = None, status: int = 200):
    return render_template("console/users.html", active="users", users=[users.user_view(u) for u in
                                                                          User.select().order_by(User.username)],
                           roles=ROLES, role_labels=ROLE_LABELS, permissions=PERMISSIONS, error=error,
                           form=form or {}), status


@bp.route("/account", methods=["GET", "POST"])
@require()
def account():
    """Any signed-in user: their own password."""
    principal = current_user()
    if principal.kind != "user":
        raise Forbidden("only a console user has an account page", code="not_a_user")
    error, status = None, 200
    if request.method == "POST":
        if request.form.get("new_password", "") != request.form.get("repeat_password", ""):
            error, status = "the new passwords differ", 400
        else:
            try:
                users.change_own_password(_settings(), principal.user, request.form.get("current_password", ""),
                                          request.form.get("new_password", ""),
                                          keep_session=principal.session.token_hash)
            except FleetError as exc:
                error, status = exc.message, exc.status
            else:
                return redirect("/console/account?notice=Password changed; your other sessions were ended")
    return render_template("console/account.html", active="", user=users.user_view(principal.user),
                           role_labels=ROLE_LABELS, error=error), status


@bp.get("/users")
@require("users.manage")
def list_users():
    return _users_page()


@bp.post("/users")
@require("users.manage")
def create_user():
    form = {key: request.form.get(key, "") for key in ("username", "display_name", "role")}
    try:
        user = users.create_user(_settings(), form["username"].strip().lower(), request.form.get("password", ""),
                                 form["role"], form["display_name"])
    except FleetError as exc:
        return _users_page(exc.message, form, exc.status)
    return redirect(f"/console/users?notice=User {user.username} created")


def _user_page(user_id: int, error: str | None = None, status: int = 200):
    user = users.get_user(user_id)
    return render_template("console/user.html", active="users", user=users.user_view(user), roles=ROLES,
                           role_labels=ROLE_LABELS, error=error), status


@bp.get("/users/<int:user_id>")
@require("users.manage")
def show_user(user_id):
    return _user_page(user_id)


@bp.post("/users/<int:user_id>")
@require("users.manage")
def update_user(user_id):
    changes = {}
    if "role" in request.form:
        changes["role"] = request.form["role"]
    if "display_name" in request.form:
        changes["display_name"] = request.form["display_name"]
    if "active" in request.form:
        changes["active"] = request.form["active"] == "true"
    if request.form.get("password"):
        changes["password"] = request.form["password"]
    try:
        user = users.update_user(_settings(), user_id, changes)
    except FleetError as exc:
        if exc.status == 404:
            raise
        return _user_page(user_id, exc.message, exc.status)
    return redirect(f"/console/users/{user.id}?notice=Saved")


@bp.post("/users/<int:user_id>/unlock")
@require("users.manage")
def unlock_user(user_id):
    users.unlock_user(user_id)
    return redirect(f"/console/users/{user_id}?notice=Unlocked")


def _tokens_page(created: dict | None = None, error: str | None = None, status: int = 200):
    tokens = [users.token_view(t) for t in ApiToken.select().order_by(ApiToken.id.desc())]
    return render_template("console/api_tokens.html", active="users", tokens=tokens, roles=ROLES,
                           role_labels=ROLE_LABELS, created=created, error=error), status


@bp.get("/api-tokens")
@require("users.manage")
def list_tokens():
    return _tokens_page()


@bp.post("/api-tokens")
@require("users.manage")
def create_token():
    try:
        token, secret = users.create_api_token(request.form.get("name", ""), request.form.get("role", ""),
                                               created_by=current_user().user)
    except FleetError as exc:
        return _tokens_page(error=exc.message, status=exc.status)
    return _tokens_page(created={**users.token_view(token), "token": secret})


@bp.post("/api-tokens/<int:token_id>/revoke")
@require("users.manage")
def revoke_token(token_id):
    users.revoke_api_token(token_id)
    return redirect("/console/api-tokens?notice=Token revoked")


@bp.get("/audit")
@require("audit.read")
def audit_log():
    filters = {key: (request.args.get(key) or "").strip()[:140] or None for key in ("action", "actor", "target")}
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query = audit.entries_query(**filters)
    total = query.count()
    entries = [audit.entry_view(e) for e in query.paginate(page, AUDIT_PAGE)]
    pages = max(1, -(-total // AUDIT_PAGE))

    def page_url(number: int) -> str:
        return "/console/audit?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": number})

    return render_template("console/audit.html", active="audit", entries=entries, filters=filters, page=page,
                           pages=pages, total=total, page_url=page_url)
