"""What the /api/v1 modules share: pagination, the error body and OpenAPI building blocks.

Every list answers `{"items": [...], "page": n, "per_page": n, "total": n}`; `page` starts
at 1 and `per_page` is at most 500. Every failure answers `{"error": code, "message": text}`
(fleetpos/webapp.py) with a 4xx/5xx status.

A v1 module declares its part of the OpenAPI document in module-level `OPENAPI_PATHS`
(paths as OpenAPI writes them, `/api/v1/stores/{store_id}`) and `OPENAPI_SCHEMAS`
(component schemas); the helpers below keep those declarations short.
"""

from __future__ import annotations

from typing import Any, Callable

from flask import jsonify, request

from ...errors import FleetError

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50


def _int_arg(name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FleetError(f"{name} must be a whole number, not {raw[:40]!r}", code="invalid_query") from None
    if value < minimum or (maximum is not None and value > maximum):
        limit = f"{minimum}-{maximum}" if maximum is not None else f"at least {minimum}"
        raise FleetError(f"{name} must be {limit}, not {value}", code="invalid_query")
    return value


def page_args() -> tuple[int, int]:
    return _int_arg("page", 1, 1, 1_000_000), _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def paginate(query, serialize: Callable[[Any], dict] | None = None, *,
             serialize_rows: Callable[[list], list[dict]] | None = None):
    """One page of a peewee `query` (ordered by the caller) as the JSON response: each row
    by `serialize`, or the page's rows at once by `serialize_rows` (which can then read what
    they need in one query, not one per row)."""
    page, per_page = page_args()
    total = query.count()
    rows = list(query.paginate(page, per_page))
    items = serialize_rows(rows) if serialize_rows is not None else [serialize(row) for row in rows]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


def paginate_list(rows: list, serialize: Callable[[Any], dict] = lambda row: row):
    """The same for a list computed in Python (small collections such as alerts)."""
    page, per_page = page_args()
    start = (page - 1) * per_page
    return jsonify({"items": [serialize(r) for r in rows[start:start + per_page]], "page": page,
                    "per_page": per_page, "total": len(rows)})


def only_fields(data: dict, allowed: set[str]) -> dict:
    """`data` (a request body) when it names no field outside `allowed`; else an error naming them."""
    unknown = set(data) - allowed
    if unknown:
        raise FleetError(f"unknown fields: {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})",
                         code="invalid_field")
    return data


def text_arg(name: str, max_length: int = 200) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_length:
        raise FleetError(f"{name} is at most {max_length} characters", code="invalid_query")
    return value


# -- OpenAPI building blocks ---------------------------------------------------------------------

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(item_schema: str) -> dict:
    """The schema of a page of `item_schema` items."""
    return {"type": "object", "required": ["items", "page", "per_page", "total"],
            "properties": {"items": {"type": "array", "items": ref(item_schema)},
                           "page": {"type": "integer", "minimum": 1},
                           "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                           "total": {"type": "integer", "minimum": 0}}}


PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 1_000_000, "default": 1}},
    {"name": "per_page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}},
]


def path_param(name: str, schema: dict | None = None, description: str = "") -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string", "minLength": 1, "maxLength": 64}}


def query_param(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def operation(summary: str, permission: str | None, responses: dict[int, tuple[str, dict | None]], *,
              parameters: list | None = None, body: dict | None = None, tag: str = "", description: str = "",
              operation_id: str | None = None) -> dict:
    """One OpenAPI operation. `responses` maps a status to (description, schema or None);
    the error responses every guarded call can give are added."""
    result: dict[str, Any] = {"summary": summary, "tags": [tag] if tag else []}
    if operation_id:
        result["operationId"] = operation_id
    text = description
    if permission:
        text = (text + "\n\n" if text else "") + f"Needs the `{permission}` permission."
    if text:
        result["description"] = text
    if parameters:
        result["parameters"] = parameters
    if body is not None:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    out: dict[str, Any] = {}
    for status, (desc, schema) in responses.items():
        out[str(status)] = {"description": desc}
        if schema is not None:
            out[str(status)]["content"] = {"application/json": {"schema": schema}}
    out.setdefault("400", _error("bad input"))
    out.setdefault("401", _error("not signed in: a session or an API token is needed"))
    out.setdefault("403", _error("the caller's role lacks the permission"))
    if any("{" in p.get("name", "") or p.get("in") == "path" for p in parameters or []):
        out.setdefault("404", _error("no such thing"))
    if body is not None:
        out.setdefault("409", _error("conflicts with what exists"))
    result["responses"] = out
    return result


ERROR_SCHEMA = {"type": "object", "required": ["error", "message"],
                "properties": {"error": {"type": "string", "description": "a stable code, e.g. not_found"},
                               "message": {"type": "string", "description": "what happened, for a person"}}}
