"""The OpenAPI document is valid, covers every /api/v1 route, and the API keeps to it:
schemathesis sends generated requests to every operation (including other modules' that
exist) and no answer may be a server error or disagree with the document."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import checks as st_checks

from fleet_server.api.v1 import stores as v1_stores
from fleet_server.api.v1 import users as v1_users

from .conftest import ADMIN_TOKEN, Office


@pytest.fixture
def api_office(tmp_path):
    office = Office(tmp_path / "fleet")
    # something for the GETs to find
    office.admin("POST", "/api/v1/stores", {"id": "s1", "name": "One", "region": "east", "group": "sh"}, expect=201)
    office.admin("POST", "/api/v1/stores/s1/enrollment-tokens", {"device_id": "till-1"}, expect=201)
    office.make_user("viewer", "vera")
    yield office
    office.close()


def test_openapi_document_is_valid_openapi_3_1(office):
    response = office.client.get("/api/v1/openapi.json")  # public: no token needed
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_v1_route_is_documented_and_every_documented_route_exists(office):
    document = office.client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routed = set()
    for rule in office.app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((_openapi_path(rule.rule), method))
    assert routed == documented, {"undocumented": routed - documented, "no route": documented - routed}


def test_pagination_shape_and_limits(office):
    for index in range(7):
        office.admin("POST", "/api/v1/stores", {"id": f"s{index}", "name": f"Store {index}"}, expect=201)
    page = office.admin("GET", "/api/v1/stores?page=2&per_page=3").get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 3, 7)
    assert [s["id"] for s in page["items"]] == ["s3", "s4", "s5"]
    assert office.admin("GET", "/api/v1/stores?page=9&per_page=3").get_json()["items"] == []
    for bad in ("per_page=501", "per_page=0", "page=0", "page=x"):
        body = office.admin("GET", f"/api/v1/stores?{bad}", expect=400).get_json()
        assert body["error"] == "invalid_query" and body["message"]


def test_errors_have_the_one_error_body(office):
    for method, path, status in (("GET", "/api/v1/stores/nope", 404), ("POST", "/api/v1/stores", 400),
                                 ("DELETE", "/api/v1/stores", 405), ("GET", "/api/v1/nothing-here", 404)):
        response = office.admin(method, path, expect=status)
        assert set(response.get_json()) == {"error", "message"}, (method, path)


EXCLUDED = [
    # "valid" generated input may still name a store or user that does not exist (404) or
    # already does (409): refusing it is right
    st_checks.positive_data_acceptance,
]


MY_PATHS = set(v1_stores.OPENAPI_PATHS) | set(v1_users.OPENAPI_PATHS) | {"/api/v1/openapi.json"}


def test_api_keeps_to_its_openapi_document(api_office):
    """Every operation, generated cases, admin token: never a server error anywhere; and for
    the stores/users/audit operations also statuses, content types and bodies as documented
    and invalid input refused. (Driven by hand rather than by schemathesis' pytest plugin,
    which does not run under this pytest.)"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_office.app)
    failures, operations = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.add(operation.path)
        strict = operation.path in MY_PATHS

        @given(operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            if strict:
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
            else:
                case.call_and_validate(headers=headers, checks=[st_checks.not_a_server_error])

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert MY_PATHS - {"/api/v1/openapi.json"} <= operations
    assert not failures, "\n\n".join(failures)
