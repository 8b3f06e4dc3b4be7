"""/api/v1/stores: stores with their devices and health, enrollment tokens, revocation, alerts.

`GET /api/v1/stores` is also what Ansible's dynamic inventory reads (docs/console.md).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from fleetpos.messages import utc_iso

from ... import enrollment, stores
from ...auth import require
from ..common import body, fleet
from .common import (PAGE_PARAMETERS, only_fields, operation, page_of, paginate, paginate_list, path_param,
                     query_param, ref, text_arg)

bp = Blueprint("api_v1_stores", __name__, url_prefix="/api/v1")


@bp.get("/stores")
@require("stores.read")
def list_stores():
    query = stores.stores_query(region=text_arg("region", 64), group=text_arg("group", 64), search=text_arg("q", 64))
    return paginate(query, serialize_rows=stores.store_views)  # the page's devices in one query


@bp.post("/stores")
@require("stores.write")
def create_store():
    data = only_fields(body(), {"id", "name", "region", "group"})
    store = stores.create_store(data.get("id"), data.get("name"), region=data.get("region", ""),
                                group=data.get("group", ""))
    return jsonify(stores.store_view(store)), 201


@bp.get("/stores/<store_id>")
@require("stores.read")
def get_store(store_id):
    return jsonify(stores.store_view(stores.get_store(store_id)))


@bp.patch("/stores/<store_id>")
@require("stores.write")
def update_store(store_id):
    changes = only_fields(body(), {"name", "region", "group", "timezone", "locale", "currency"})
    return jsonify(stores.store_view(stores.update_store(store_id, changes)))


@bp.get("/stores/<store_id>/devices")
@require("stores.read")
def list_devices(store_id):
    store = stores.get_store(store_id)
    return paginate_list(list(store.devices.order_by(enrollment.Device.device_id)), stores.device_view)


@bp.get("/stores/<store_id>/devices/<device_id>")
@require("stores.read")
def get_device(store_id, device_id):
    return jsonify(stores.device_view(enrollment.get_device(store_id, device_id)))


@bp.post("/stores/<store_id>/enrollment-tokens")
@require("stores.write")
def issue_token(store_id):
    data = only_fields(body(), {"device_id"})
    device, token, expires_at = stores.issue_token(fleet().config, store_id, data.get("device_id"))
    fleet_url = request.host_url.rstrip("/")
    return jsonify({"device": stores.device_view(device), "token": token, "expires_at": utc_iso(expires_at),
                    "enroll_file": stores.enroll_file_text(fleet_url, token)}), 201


@bp.post("/stores/<store_id>/devices/<device_id>/revoke")
@require("stores.write")
def revoke_device(store_id, device_id):
    return jsonify(stores.device_view(stores.revoke_device(fleet().config, store_id, device_id)))


@bp.get("/alerts")
@require("stores.read")
def list_alerts():
    return paginate_list(stores.alerts(fleet().config))


# -- OpenAPI ----------------------------------------------------------------------------------

_ID = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
_LABEL = {"type": "string", "pattern": "^([A-Za-z0-9][A-Za-z0-9_-]{0,63})?$"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_STORE_ID = path_param("store_id", description="the store's id")
_DEVICE_ID = path_param("device_id", description="the device's id within its store")

OPENAPI_SCHEMAS = {
    "Hardware": {"type": "object", "properties": {
        "available": {"type": "boolean"}, "backend": {"type": ["string", "null"]},
        "message": {"type": ["string", "null"], "description": "e.g. paper out, unplugged"},
        "since": {"type": ["string", "null"]}}},
    "Device": {"type": "object", "required": ["store_id", "device_id", "state", "online"], "properties": {
        "store_id": {"type": "string"}, "device_id": {"type": "string"},
        "state": {"type": "string", "enum": ["pending", "active", "revoked"]},
        "online": {"type": "boolean", "description": "reported online within three heartbeats"},
        "last_seen": _TIME, "enrolled_at": _TIME, "revoked_at": _TIME,
        "software_version": {"type": ["string", "null"]},
        "catalog_version": {"type": ["integer", "null"]}, "catalog_error": {"type": ["string", "null"]},
        "outbox_backlog": {"type": ["integer", "null"], "description": "records not yet acknowledged by head office"},
        "backlog_rising_since": _TIME,
        "disk_free_bytes": {"type": ["integer", "null"]}, "last_sale_at": {"type": ["string", "null"]},
        "hardware": {"type": "object", "additionalProperties": ref("Hardware")},
        "problems": {"type": "array", "items": {"type": "string"}, "description": "e.g. 'printer: paper out'"},
        "reported": {"type": "object", "description": "the store's settings as this till has them (null: not said)",
                     "properties": {key: {"type": ["string", "null"]} for key in ("timezone", "locale", "currency")}}}},
    "Store": {"type": "object", "required": ["id", "name", "region", "group", "catalog_version", "online", "devices"],
              "properties": {
                  "id": {"type": "string"}, "name": {"type": "string"},
                  "region": {"type": "string"}, "group": {"type": "string"},
                  "timezone": {"type": ["string", "null"], "description": "IANA time zone (set here, which "
                               "wins, or else the first a till reported); null: not known, the default applies"},
                  "locale": {"type": ["string", "null"]}, "currency": {"type": ["string", "null"]},
                  "effective": {"type": "object", "description": "what applies: the store's or the tills' default",
                                "properties": {"timezone": {"type": "string"}, "locale": {"type": "string"},
                                               "currency": {"type": "string"}}},
                  "catalog_version": {"type": "integer"}, "created_at": {"type": "string"},
                  "mismatches": {"type": "array", "description": "active tills reporting another time zone or "
                                 "currency than the store's (what is set on the store wins)",
                                 "items": {"type": "object", "properties": {
                                     "device_id": {"type": "string"},
                                     "setting": {"type": "string", "enum": ["timezone", "currency"]},
                                     "store": {"type": "string"}, "reported": {"type": "string"}}}},
                  "online": {"type": "boolean", "description": "at least one device online"},
                  "devices": {"type": "array", "items": ref("Device")}}},
    "StoreCreate": {"type": "object", "required": ["id", "name"], "additionalProperties": False, "properties": {
        "id": _ID, "name": {"type": "string", "minLength": 1, "maxLength": 200}, "region": _LABEL, "group": _LABEL}},
    "StoreUpdate": {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, "region": _LABEL, "group": _LABEL,
        "timezone": {"type": ["string", "null"], "maxLength": 64, "description": "IANA time zone; the store's "
                     "report days and hours move to it; empty or null clears it"},
        "locale": {"type": ["string", "null"], "maxLength": 16, "description": "e.g. zh-CN, en"},
        "currency": {"type": ["string", "null"], "maxLength": 3, "description": "ISO 4217, e.g. CNY"}}},
    "EnrollmentToken": {"type": "object", "required": ["device", "token", "expires_at", "enroll_file"], "properties": {
        "device": ref("Device"), "token": {"type": "string", "description": "shown only in this answer"},
        "expires_at": {"type": "string"},
        "enroll_file": {"type": "string", "description": "the till's enroll.toml (`fleetpos enroll --file`)"}}},
    "Alert": {"type": "object", "required": ["kind", "store_id", "message"], "properties": {
        "kind": {"type": "string", "enum": ["store_offline", "backlog_growing", "timezone_mismatch",
                                            "currency_mismatch"]},
        "store_id": {"type": "string"}, "device_id": {"type": ["string", "null"]},
        "since": {"type": ["string", "null"]}, "message": {"type": "string"}}},
}

_FILTERS = [query_param("region", {"type": "string", "maxLength": 64}, "only stores in this region"),
            query_param("group", {"type": "string", "maxLength": 64}, "only stores in this group"),
            query_param("q", {"type": "string", "maxLength": 64}, "id or name contains")]

OPENAPI_PATHS = {
    "/api/v1/stores": {
        "get": operation("List stores with their devices", "stores.read", {200: ("a page of stores",
                                                                                page_of("Store"))},
                         parameters=PAGE_PARAMETERS + _FILTERS, tag="stores", operation_id="listStores",
                         description="Also the source of Ansible's dynamic inventory."),
        "post": operation("Create a store", "stores.write", {201: ("the new store", ref("Store"))},
                          body=ref("StoreCreate"), tag="stores", operation_id="createStore"),
    },
    "/api/v1/stores/{store_id}": {
        "get": operation("A store with its devices", "stores.read", {200: ("the store", ref("Store"))},
                         parameters=[_STORE_ID], tag="stores", operation_id="getStore"),
        "patch": operation("Rename a store or change its region/group", "stores.write",
                           {200: ("the store", ref("Store"))}, parameters=[_STORE_ID], body=ref("StoreUpdate"),
                           tag="stores", operation_id="updateStore"),
    },
    "/api/v1/stores/{store_id}/devices": {
        "get": operation("A store's devices", "stores.read", {200: ("a page of devices", page_of("Device"))},
                         parameters=[_STORE_ID] + PAGE_PARAMETERS, tag="stores", operation_id="listDevices"),
    },
    "/api/v1/stores/{store_id}/devices/{device_id}": {
        "get": operation("A device's state and health", "stores.read", {200: ("the device", ref("Device"))},
                         parameters=[_STORE_ID, _DEVICE_ID], tag="stores", operation_id="getDevice"),
    },
    "/api/v1/stores/{store_id}/enrollment-tokens": {
        "post": operation("Issue a one-time enrollment token for a new or replaced device", "stores.write",
                          {201: ("the token (shown once)", ref("EnrollmentToken"))}, parameters=[_STORE_ID],
                          body={"type": "object", "required": ["device_id"], "additionalProperties": False,
                                "properties": {"device_id": _ID}},
                          tag="stores", operation_id="issueEnrollmentToken"),
    },
    "/api/v1/stores/{store_id}/devices/{device_id}/revoke": {
        "post": operation("Revoke a device: its broker access ends now", "stores.write",
                          {200: ("the revoked device", ref("Device"))}, parameters=[_STORE_ID, _DEVICE_ID],
                          tag="stores", operation_id="revokeDevice"),
    },
    "/api/v1/alerts": {
        "get": operation("Stores offline too long, devices with a growing backlog, tills whose time zone or "
                         "currency is not their store's", "stores.read",
                         {200: ("a page of alerts", page_of("Alert"))}, parameters=PAGE_PARAMETERS, tag="stores",
                         operation_id="listAlerts"),
    },
}
