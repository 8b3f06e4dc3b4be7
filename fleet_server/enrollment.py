"""Stores, devices and their enrollment.

Head office creates a store and a device, which gets a one-time enrollment token. The
device presents the token once (`enroll`) and receives its identity and broker
credentials; the token is then spent. Revoking a device removes its broker user, and
the broker disconnects it at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta
from pathlib import Path

from fleetpos import messages

from . import provisioning
from .config import FleetConfig
from .db import write_transaction
from .errors import Conflict, FleetError, NotFound
from .models import Device, EnrollmentToken, Store, database_proxy, utcnow

log = logging.getLogger(__name__)

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _check_id(value, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise FleetError(f"{what} must be 1-64 letters, digits, '.', '_' or '-', not {value!r}", code="invalid_id")
    return value


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_store(store_id: str, name: str) -> Store:
    _check_id(store_id, "store id")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise FleetError("a store needs a name of 1-200 characters", code="invalid_name")
    with write_transaction(database_proxy.obj):
        if Store.get_or_none(Store.id == store_id):
            raise Conflict(f"store {store_id} already exists", code="store_exists")
        return Store.create(id=store_id, name=name.strip(), created_at=utcnow())


def get_device(store_id: str, device_id: str) -> Device:
    device = (Device.select(Device, Store).join(Store)
              .where((Device.store == store_id) & (Device.device_id == device_id)).first())
    if device is None:
        raise NotFound(f"no device {device_id} in store {store_id}", code="device_not_found")
    return device


def issue_token(config: FleetConfig, store_id: str, device_id: str) -> tuple[Device, str, object]:
    """Create the device if new and give it a fresh one-time token (a replacement Pi for a
    device gets a new token; enrolling with it gives the device new credentials).
    Returns (device, token, expires_at); the token is shown only now."""
    _check_id(device_id, "device id")
    token = secrets.token_urlsafe(24)
    now = utcnow()
    expires_at = now + timedelta(hours=config.devices.enrollment_ttl_hours)
    with write_transaction(database_proxy.obj):
        store = Store.get_or_none(Store.id == store_id)
        if store is None:
            raise NotFound(f"no store {store_id}: create it first", code="store_not_found")
        device = Device.get_or_none((Device.store == store_id) & (Device.device_id == device_id))
        if device is None:
            device = Device.create(store=store, device_id=device_id, created_at=now,
                                   username=messages.mqtt_username(store_id, device_id))
        EnrollmentToken.update(used_at=now).where(
            (EnrollmentToken.device == device) & EnrollmentToken.used_at.is_null()).execute()
        EnrollmentToken.create(token_hash=_token_hash(token), device=device, created_at=now, expires_at=expires_at)
    return device, token, expires_at


def _ca_pem(config: FleetConfig) -> str | None:
    if not config.devices.broker_tls:
        return None
    if not config.devices.ca_file:
        raise FleetError("[devices] broker_tls is on but ca_file is not set", code="misconfigured", status=500)
    return Path(config.devices.ca_file).read_text()


def enroll(config: FleetConfig, signing_key: messages.SigningKey, token, *, store_id=None,
           device_id=None) -> messages.Enrollment:
    """Spend a token: activate its device with new broker credentials. A device that says
    which store and device it is configured as is refused (token unspent) on a mismatch."""
    if not isinstance(token, str) or not 8 <= len(token) <= 200:
        raise FleetError("an enrollment token is required", code="invalid_token", status=403)
    now = utcnow()
    password = provisioning.new_password()
    with write_transaction(database_proxy.obj):
        row = EnrollmentToken.get_or_none(EnrollmentToken.token_hash == _token_hash(token))
        if row is None:
            raise FleetError("unknown enrollment token: ask head office for a new one", code="invalid_token",
                             status=403)
        if row.used_at is not None:
            raise FleetError("this enrollment token was already used or replaced: ask head office for a new one",
                             code="token_used", status=403)
        if row.expires_at < now:
            raise FleetError("this enrollment token has expired: ask head office for a new one",
                             code="token_expired", status=403)
        device = Device.select(Device, Store).join(Store).where(Device.id == row.device_id).get()
        if (store_id is not None and store_id != device.store.id) or (device_id is not None
                                                                      and device_id != device.device_id):
            raise Conflict(f"this token is for store {device.store.id} device {device.device_id}, but the till is "
                           f"configured as {store_id}/{device_id}: fix [store] id / [device] id in its config",
                           code="identity_mismatch")
        EnrollmentToken.update(used_at=now).where(EnrollmentToken.token_hash == row.token_hash).execute()
        Device.update(password_hash=provisioning.hash_password(password), state="active", enrolled_at=now,
                      revoked_at=None).where(Device.id == device.id).execute()
        # inside the transaction: if the broker cannot be told, the token stays unspent
        provisioning.sync_broker(config)
    log.info("device %s enrolled", device.username)
    return messages.Enrollment(
        store_id=device.store.id, device_id=device.device_id, broker_host=config.devices.broker_host,
        broker_port=config.devices.broker_port, broker_tls=config.devices.broker_tls, ca_pem=_ca_pem(config),
        username=device.username, password=password, heartbeat_seconds=config.devices.heartbeat_seconds,
        catalog_keys={signing_key.key_id: signing_key.public_key_b64})


def revoke(config: FleetConfig, store_id: str, device_id: str) -> Device:
    """Cut a device off: its broker user and unspent tokens go; the broker drops it now."""
    now = utcnow()
    with write_transaction(database_proxy.obj):
        device = get_device(store_id, device_id)
        Device.update(state="revoked", revoked_at=now, password_hash=None, online=False).where(
            Device.id == device.id).execute()
        EnrollmentToken.update(used_at=now).where(
            (EnrollmentToken.device == device) & EnrollmentToken.used_at.is_null()).execute()
        provisioning.sync_broker(config)
    log.warning("device %s revoked", device.username)
    return get_device(store_id, device_id)


def device_view(device: Device) -> dict:
    import json

    return {"store_id": device.store_id, "device_id": device.device_id, "username": device.username,
            "state": device.state, "online": device.online,
            "last_seen": messages.utc_iso(device.last_seen) if device.last_seen else None,
            "catalog_version": device.catalog_version, "catalog_error": device.catalog_error,
            "status": json.loads(device.last_status) if device.last_status else None}
