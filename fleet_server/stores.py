"""Stores and their devices as head office watches them: health, alerts, and the
audited store and device operations behind the console and /api/v1/stores.

A device's health comes from the status it publishes (retained, with a last will of
`offline`; appliance/sync/status.py): software and catalog version, outbox backlog,
disk space and each piece of hardware's availability. Ingest keeps the latest status
(ingest.store_status) and whether the backlog has been rising since some time.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta

from fleetpos import messages
from fleetpos.messages import utc_iso

from . import audit, enrollment, sales
from .config import FleetConfig
from .db import write_transaction
from .errors import FleetError, NotFound
from .models import STORE_DEFAULTS, Device, Store, database_proxy, utcnow

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: a device whose last status is older than this many heartbeats (plus a margin) is shown offline
STALE_HEARTBEATS = 3
STALE_MARGIN_SECONDS = 30


def _check_label(value, what: str) -> str:
    """region/group: empty, or a name Ansible accepts as a group (letters, digits, _ and -)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise FleetError(f"{what} must be empty or 1-64 letters, digits, '_' or '-' (it names an Ansible group), "
                         f"not {value!r}", code="invalid_field")
    return value


def _status(device: Device) -> dict:
    if not device.last_status:
        return {}
    try:
        status = json.loads(device.last_status)
    except ValueError:
        return {}
    return status if isinstance(status, dict) else {}


def device_online(device: Device, now: datetime | None = None) -> bool:
    """Online: it said so, and said it recently enough for its heartbeat."""
    if device.state != "active" or not device.online or device.last_seen is None:
        return False
    heartbeat = _status(device).get("heartbeat_seconds") or 60
    stale = timedelta(seconds=STALE_HEARTBEATS * heartbeat + STALE_MARGIN_SECONDS)
    return (now or utcnow()) - device.last_seen <= stale


def hardware_problems(status: dict) -> list[str]:
    """"printer: paper out" for each piece of hardware the till reports unavailable."""
    problems = []
    for name, state in sorted((status.get("devices") or {}).items()):
        if isinstance(state, dict) and not state.get("available", True):
            problems.append(f"{name}: {state.get('message') or 'unavailable'}")
    return problems


def device_view(device: Device, now: datetime | None = None) -> dict:
    status = _status(device)
    hardware = {name: {"available": bool(s.get("available")), "backend": s.get("backend"),
                       "message": s.get("message"), "since": s.get("since")}
                for name, s in sorted((status.get("devices") or {}).items()) if isinstance(s, dict)}
    return {
        "store_id": device.store_id, "device_id": device.device_id, "state": device.state,
        "online": device_online(device, now),
        "last_seen": utc_iso(device.last_seen) if device.last_seen else None,
        "enrolled_at": utc_iso(device.enrolled_at) if device.enrolled_at else None,
        "revoked_at": utc_iso(device.revoked_at) if device.revoked_at else None,
        "software_version": status.get("software_version"),
        "catalog_version": device.catalog_version,
        "catalog_error": device.catalog_error,
        "outbox_backlog": device.outbox_backlog,
        "backlog_rising_since": utc_iso(device.backlog_rising_since) if device.backlog_rising_since else None,
        "disk_free_bytes": status.get("disk_free_bytes"),
        "last_sale_at": status.get("last_sale_at"),
        "hardware": hardware,
        "problems": hardware_problems(status),
        # the store's settings as this till has them (None: an older till that does not say)
        "reported": reported_settings(status),
    }


def store_view(store: Store, devices: list[Device] | None = None, now: datetime | None = None) -> dict:
    devices = list(store.devices.order_by(Device.device_id)) if devices is None else devices
    views = [device_view(d, now) for d in devices]
    return {"id": store.id, "name": store.name, "region": store.region, "group": store.group,
            "timezone": store.timezone, "locale": store.locale, "currency": store.currency,
            "effective": {"timezone": store.effective_timezone, "locale": store.effective_locale,
                          "currency": store.effective_currency},
            "mismatches": settings_mismatches(store, devices),
            "catalog_version": store.catalog_version, "created_at": utc_iso(store.created_at),
            "online": any(v["online"] for v in views), "devices": views}


# -- the store's own time zone, locale and currency --------------------------------------

SETTINGS = ("timezone", "locale", "currency")


def check_setting(key: str, value) -> str | None:
    """A store setting as given (console, API): empty or None clears it (the default applies)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FleetError(f"{key} must be text, not {value!r}", code="invalid_field")
    value = value.strip()
    try:
        if key == "timezone":
            return messages.check_timezone(value)
        if key == "locale" and messages.LOCALE.fullmatch(value):
            return value
        if key == "currency" and messages.CURRENCY.fullmatch(value):
            return value
    except messages.MessageError as exc:
        raise FleetError(str(exc), code="invalid_field") from None
    example = {"locale": "zh-CN or en", "currency": "CNY (three capital letters)"}[key]
    raise FleetError(f"{key} must look like {example}, not {value!r}", code="invalid_field")


#: the settings whose difference between a till and its store raises an alert (a locale
#: only changes the receipts' language)
WATCHED_SETTINGS = ("timezone", "currency")


def reported_settings(status: dict) -> dict:
    """The time zone, locale and currency in a till's status (None for those it does not say)."""
    return {key: status.get(key) if isinstance(status.get(key), str) else None for key in SETTINGS}


def settings_mismatches(store: Store, devices: list[Device]) -> list[dict]:
    """Each active till that reports a time zone or currency other than the one that applies
    to its store (what was set on the store's page wins over what a till reports)."""
    found = []
    for device in devices:
        if device.state != "active":
            continue
        reported = reported_settings(_status(device))
        for key in WATCHED_SETTINGS:
            applies = getattr(store, f"effective_{key}")
            if reported[key] is not None and reported[key] != applies:
                found.append({"device_id": device.device_id, "setting": key, "store": applies,
                              "reported": reported[key]})
    return found


def _mismatch_message(mismatch: dict) -> str:
    if mismatch["setting"] == "currency":
        return (f"{mismatch['device_id']} sells in {mismatch['reported']} but the store's currency is "
                f"{mismatch['store']}: its sales are added up in reports as if they were {mismatch['store']}; "
                "correct the till's [store] currency, or the store's")
    return (f"{mismatch['device_id']} runs on {mismatch['reported']} time but the store's time zone is "
            f"{mismatch['store']} (its reports' days and hours): correct the till's [store] timezone, or the store's")


def set_store_settings(store_id: str, settings: dict, *, by_till: bool = False) -> bool:
    """Inside the caller's transaction: set a store's time zone, locale and/or currency
    (checked values; None clears one). `by_till`: what a till reports only fills a setting
    the store does not have yet, so what a person set is never overwritten (a till that
    differs raises an alert, settings_mismatches). When the time zone that applies to the
    store changes, its report rows move to their new local days and hours in the same
    transaction. Returns whether anything changed."""
    store = Store.get_or_none(Store.id == store_id)
    if store is None:
        return False
    update = {key: value for key, value in settings.items() if key in SETTINGS and getattr(store, key) != value
              and not (by_till and getattr(store, key) is not None)}
    if not update:
        return False
    before = store.effective_timezone
    Store.update(update).where(Store.id == store_id).execute()
    if (update.get("timezone", store.timezone) or STORE_DEFAULTS["timezone"]) != before:
        sales.rebucket_store(store_id)
    return True


def stores_query(*, region: str | None = None, group: str | None = None, search: str | None = None):
    query = Store.select().order_by(Store.id)
    if region is not None:
        query = query.where(Store.region == region)
    if group is not None:
        query = query.where(Store.group == group)
    if search:
        query = query.where(Store.id.contains(search) | Store.name.contains(search))
    return query


def store_views(stores: list[Store]) -> list[dict]:
    """Views of many stores with their devices in one query."""
    by_store: dict[str, list[Device]] = {s.id: [] for s in stores}
    if stores:
        for device in Device.select().where(Device.store.in_(list(by_store))).order_by(Device.device_id):
            by_store[device.store_id].append(device)
    now = utcnow()
    return [store_view(s, by_store[s.id], now) for s in stores]


def get_store(store_id: str) -> Store:
    store = Store.get_or_none(Store.id == store_id)
    if store is None:
        raise NotFound(f"no store {store_id}", code="store_not_found")
    return store


def _audit_store(store: Store) -> dict:
    return {"id": store.id, "name": store.name, "region": store.region, "group": store.group,
            "timezone": store.timezone, "locale": store.locale, "currency": store.currency}


def create_store(store_id, name, *, region="", group="") -> Store:
    region, group = _check_label(region, "region"), _check_label(group, "group")
    with write_transaction(database_proxy.obj):  # the store and its audit row commit together
        store = enrollment.create_store(store_id, name)
        Store.update(region=region, group=group).where(Store.id == store.id).execute()
        store = Store.get_by_id(store.id)
        audit.record("store.create", f"store:{store.id}", None, _audit_store(store))
    return store


def update_store(store_id: str, changes: dict) -> Store:
    unknown = set(changes) - {"name", "region", "group", *SETTINGS}
    if unknown:
        raise FleetError(f"unknown fields: {', '.join(sorted(unknown))} (a store's name, region, group, timezone, "
                         "locale and currency can change)", code="invalid_field")
    update = {}
    if "name" in changes:
        name = changes["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise FleetError("a store needs a name of 1-200 characters", code="invalid_name")
        update["name"] = name.strip()
    for key in ("region", "group"):
        if key in changes:
            update[key] = _check_label(changes[key], key)
    settings = {key: check_setting(key, changes[key]) for key in SETTINGS if key in changes}
    with write_transaction(database_proxy.obj):
        store = get_store(store_id)
        before = _audit_store(store)
        if update:
            Store.update(update).where(Store.id == store_id).execute()
        set_store_settings(store_id, settings)
        store = get_store(store_id)
        audit.record("store.update", f"store:{store_id}", before, _audit_store(store))
    return store


def issue_token(config: FleetConfig, store_id: str, device_id) -> tuple[Device, str, datetime]:
    """A one-time enrollment token for a (new or replaced) device; the token is not audited."""
    with write_transaction(database_proxy.obj):
        device, token, expires_at = enrollment.issue_token(config, store_id, device_id)
        audit.record("device.token", f"device:{store_id}/{device.device_id}", None,
                     {"state": device.state, "token_expires_at": utc_iso(expires_at)})
    return device, token, expires_at


def revoke_device(config: FleetConfig, store_id: str, device_id: str) -> Device:
    with write_transaction(database_proxy.obj):
        before = enrollment.get_device(store_id, device_id)
        device = enrollment.revoke(config, store_id, device_id)
        audit.record("device.revoke", f"device:{store_id}/{device_id}",
                     {"state": before.state, "online": before.online}, {"state": device.state, "online": False})
    return device


def enroll_file_text(fleet_url: str, token: str) -> str:
    """What the till's `fleetpos enroll --file` reads (and the QR code carries)."""
    return f'url = "{fleet_url.rstrip("/")}"\ntoken = "{token}"\n'


def qr_svg(text: str) -> str:
    """`text` as a QR code in SVG (no image library needed)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]


# -- the fleet at a glance, and alerts ------------------------------------------------------------

def active_devices() -> list[Device]:
    """Every active device, by store and device id (what the summary and the alerts look at)."""
    return list(Device.select().where(Device.state == "active").order_by(Device.store, Device.device_id))


def fleet_summary(devices: list[Device] | None = None) -> dict:
    """`devices`: active_devices(), when the caller has read them already."""
    devices = active_devices() if devices is None else devices
    now = utcnow()
    return {"stores": Store.select().count(), "devices_active": len(devices),
            "devices_online": sum(device_online(d, now) for d in devices),
            "backlog": sum(d.outbox_backlog or 0 for d in devices)}


def alerts(config: FleetConfig | None = None, *, now: datetime | None = None,
           devices: list[Device] | None = None) -> list[dict]:
    """Stores offline longer than [console] offline_alert_minutes (all their active devices
    silent), devices whose outbox backlog is over backlog_alert_records and still rising, and
    tills whose time zone or currency is not their store's (settings_mismatches).
    `devices`: active_devices(), when the caller has read them already."""
    if config is None:
        from flask import current_app

        config = current_app.extensions["fleetpos.fleet"].config
    settings = config.console
    now = now or utcnow()
    offline_after = timedelta(minutes=settings.offline_alert_minutes)
    found = []
    by_store: dict[str, list[Device]] = {}
    for device in active_devices() if devices is None else devices:
        by_store.setdefault(device.store_id, []).append(device)
    for store_id, devices in by_store.items():
        if not any(device_online(d, now) for d in devices):
            seen = [d.last_seen or d.enrolled_at for d in devices if (d.last_seen or d.enrolled_at)]
            last = max(seen) if seen else None
            if last is None or now - last >= offline_after:
                minutes = int((now - last).total_seconds() // 60) if last else None
                found.append({"kind": "store_offline", "store_id": store_id, "device_id": None,
                              "since": utc_iso(last) if last else None,
                              "message": f"no till has reported for {minutes} minutes" if minutes is not None
                              else "no till has reported since enrolling"})
        for device in devices:
            if (device.outbox_backlog or 0) > settings.backlog_alert_records and device.backlog_rising_since:
                found.append({"kind": "backlog_growing", "store_id": store_id, "device_id": device.device_id,
                              "since": utc_iso(device.backlog_rising_since),
                              "message": f"{device.outbox_backlog} records waiting to be sent, and rising"})
    if by_store:
        for store in Store.select().where(Store.id.in_(list(by_store))).order_by(Store.id):
            for mismatch in settings_mismatches(store, by_store[store.id]):
                found.append({"kind": f"{mismatch['setting']}_mismatch", "store_id": store.id,
                              "device_id": mismatch["device_id"], "since": None,
                              "message": _mismatch_message(mismatch)})
    return found
