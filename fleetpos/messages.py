"""What the stores and head office say to each other over MQTT (docs/protocol.md).

The one module both sides import: topic names, the messages as frozen dataclasses with
a protocol version, and the ed25519 envelope that signs what head office sends down.
Everything that arrives is parsed here first; anything malformed raises `MessageError`,
which the receiver logs and dead-letters (it never crashes a process).

Nothing here touches a database, a broker or the till's or head office's code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

#: the version of the MQTT messages below (the `v` field of each)
PROTOCOL_VERSION = 1
#: record payload versions (the till's outbox rows, docs/api.md) that head office accepts
RECORD_VERSIONS = frozenset({1})

ROOT = "fleetpos"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
#: limit on what a signed body may inflate to (a 100,000-product snapshot is ~25 MB)
MAX_BODY_BYTES = 256 * 1024 * 1024


_DECODER = json.JSONDecoder()


class MessageError(ValueError):
    """A message that cannot be used: not JSON, wrong version, a field missing or wrong,
    a bad signature. The receiver logs it and dead-letters it."""


# -- topics -------------------------------------------------------------------------

UP_KINDS = ("records", "status", "catalog")
DOWN_KINDS = ("ack", "catalog", "cmd")


def check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise MessageError(f"{what} must be 1-64 letters, digits, '.', '_' or '-', not {value!r}")
    return value


def up_topic(store_id: str, device_id: str, kind: str) -> str:
    """Device -> head office: `records`, `status` (retained), `catalog` (reports, requests)."""
    return f"{ROOT}/up/{store_id}/{device_id}/{kind}"


def down_topic(store_id: str, device_id: str, kind: str) -> str:
    """Head office -> one device: `ack`, `catalog` (replays, snapshots), `cmd`."""
    return f"{ROOT}/down/{store_id}/{device_id}/{kind}"


def store_catalog_topic(store_id: str) -> str:
    """Head office -> every device of a store: numbered change sets."""
    return f"{ROOT}/store/{store_id}/catalog"


def store_head_topic(store_id: str) -> str:
    """Head office -> every device of a store: the latest version (retained)."""
    return f"{ROOT}/store/{store_id}/head"


def parse_up_topic(topic: str) -> tuple[str, str, str]:
    """(store_id, device_id, kind) of an `up` topic; MessageError for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != ROOT or parts[1] != "up" or parts[4] not in UP_KINDS:
        raise MessageError(f"not a device topic: {topic!r}")
    return check_id(parts[2], "store id"), check_id(parts[3], "device id"), parts[4]


def mqtt_username(store_id: str, device_id: str) -> str:
    """A device's broker user name and client id. '/' is in neither id, so this is unique."""
    return f"{check_id(store_id, 'store id')}/{check_id(device_id, 'device id')}"


# -- small helpers ------------------------------------------------------------------

def utc_iso(moment: datetime) -> str:
    """A UTC time as the protocol writes it ('2026-11-23T09:00:00Z'); naive means UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds") + "Z"


def parse_utc(value: Any, what: str) -> datetime:
    """A protocol time as naive UTC (the form both databases store)."""
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise MessageError(f"{what} must be a UTC time like 2026-11-23T09:00:00Z, not {value!r}")
    return datetime.fromisoformat(value[:-1])


def to_json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _decode(payload: bytes | str | dict, *expected_types: str) -> dict:
    """The message as a dict, checked for its version and type (one of `expected_types`)."""
    what = " or ".join(expected_types)
    if isinstance(payload, dict):
        body = payload
    else:
        try:
            body = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MessageError(f"{what}: not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise MessageError(f"{what}: must be a JSON object")
    if body.get("v") != PROTOCOL_VERSION:
        raise MessageError(f"{what}: protocol version {body.get('v')!r} is not supported "
                           f"(this release speaks v{PROTOCOL_VERSION})")
    if body.get("type") not in expected_types:
        raise MessageError(f"expected a {what} message, got type {body.get('type')!r}")
    return body


def _int(body: Mapping, key: str, *, minimum: int | None = 0, maximum: int | None = None,
         optional: bool = False) -> int | None:
    value = body.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MessageError(f"{key} must be an integer, not {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise MessageError(f"{key} must be between {minimum} and {maximum}, not {value}")
    return value


def _str(body: Mapping, key: str, *, max_length: int = 200, optional: bool = False,
         pattern: re.Pattern | None = None) -> str | None:
    value = body.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MessageError(f"{key} must be text of 1-{max_length} characters, not {value!r}")
    if pattern is not None and not pattern.fullmatch(value):
        raise MessageError(f"{key} has the wrong form: {value!r}")
    return value


def _bool(body: Mapping, key: str, default: bool | None = None) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise MessageError(f"{key} must be true or false, not {value!r}")
    return value


# -- sales up: records and their acknowledgement --------------------------------------

#: the largest |total| a record may carry (2^53 - 1: exact in JSON numbers everywhere, and far
#: inside a 64-bit column); a till refuses amounts long before this
MAX_RECORD_AMOUNT = 2 ** 53 - 1


@dataclass(frozen=True)
class Record:
    """One outbox row of a till: a sale, refund, shift close, stock move, audit entry...

    Only the envelope is checked here (any kind flows through); `amount` is the record's
    `total` where it has one (sales and refunds), for head office's totals.
    """
    kind: str
    uuid: str
    store_id: str
    device_id: str
    payload: dict
    amount: int | None = None
    #: the record's JSON exactly as the till wrote it, when the message carried it verbatim
    text: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_payload(cls, payload: Any, text: str | None = None) -> "Record":
        if not isinstance(payload, dict):
            raise MessageError("a record must be a JSON object")
        if payload.get("v") not in RECORD_VERSIONS:
            raise MessageError(f"record version {payload.get('v')!r} is not supported")
        kind = _str(payload, "kind", max_length=32, pattern=_KIND)
        record_uuid = _str(payload, "uuid", max_length=36, pattern=_UUID)
        amount = payload.get("total")
        if kind in ("sale", "refund"):
            amount = _int(payload, "total", minimum=-MAX_RECORD_AMOUNT, maximum=MAX_RECORD_AMOUNT)
        elif not isinstance(amount, int) or isinstance(amount, bool) or abs(amount) > MAX_RECORD_AMOUNT:
            amount = None
        return cls(kind=kind, uuid=record_uuid, store_id=check_id(payload.get("store_id"), "store_id"),
                   device_id=check_id(payload.get("device_id"), "device_id"), payload=payload, amount=amount,
                   text=text)


@dataclass(frozen=True)
class RecordBatch:
    """Outbox rows shipped in one MQTT message, oldest first. Each element is kept as
    sent; `parse_records` checks them one by one so one bad record does not sink the rest."""
    items: tuple[Any, ...]
    #: each item's JSON text as sent, when the message is in the form `encode_raw` makes
    texts: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    type: str = "records"
    v: int = PROTOCOL_VERSION

    PREFIX = '{"v":%d,"type":"records","records":[' % PROTOCOL_VERSION

    @classmethod
    def encode_raw(cls, payload_texts: Iterable[str]) -> bytes:
        """The message for outbox payloads exactly as the till stored them (no re-encoding)."""
        return (cls.PREFIX + ",".join(payload_texts) + "]}").encode()

    @classmethod
    def parse(cls, payload: bytes | str) -> "RecordBatch":
        verbatim = cls._parse_verbatim(payload)
        if verbatim is not None:
            return verbatim
        body = _decode(payload, "records")
        items = body.get("records")
        if not isinstance(items, list) or not items:
            raise MessageError("records: a non-empty list of records is required")
        return cls(items=tuple(items))

    @classmethod
    def _parse_verbatim(cls, payload: bytes | str) -> "RecordBatch | None":
        """Read a message in `encode_raw`'s form record by record, keeping each record's
        text; None if it is in any other form (then it is read the general way)."""
        try:
            text = payload.decode() if isinstance(payload, bytes) else payload
        except UnicodeDecodeError:
            return None
        if not text.startswith(cls.PREFIX) or not text.endswith("]}") or len(text) <= len(cls.PREFIX) + 2:
            return None
        items, texts, position, end = [], [], len(cls.PREFIX), len(text) - 2
        try:
            while True:
                item, stop = _DECODER.raw_decode(text, position)
                items.append(item)
                texts.append(text[position:stop])
                if stop == end:
                    break
                if text[stop] != ",":
                    return None
                position = stop + 1
        except ValueError:
            return None
        return cls(items=tuple(items), texts=tuple(texts))

    def parse_records(self) -> tuple[list[Record], list["Rejection"]]:
        good, bad = [], []
        texts = self.texts or (None,) * len(self.items)
        for item, text in zip(self.items, texts):
            try:
                good.append(Record.from_payload(item, text))
            except MessageError as exc:
                uuid = item.get("uuid") if isinstance(item, dict) else None
                bad.append(Rejection(uuid=uuid if isinstance(uuid, str) else None, error=str(exc), record=item))
        return good, bad


@dataclass(frozen=True)
class Rejection:
    uuid: str | None
    error: str
    #: the record as received (kept by head office as a dead letter; not sent back)
    record: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class RecordAck:
    """Head office -> device: these records are stored (or, rejected, kept as dead letters).
    The device marks each listed outbox row done."""
    stored: tuple[str, ...]
    rejected: tuple[Rejection, ...] = ()
    type: str = "ack"
    v: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        return to_json_bytes({"v": self.v, "type": self.type, "stored": list(self.stored),
                              "rejected": [{"uuid": r.uuid, "error": r.error} for r in self.rejected]})

    @classmethod
    def parse(cls, payload: bytes | str) -> "RecordAck":
        body = _decode(payload, "ack")
        stored, rejected = body.get("stored"), body.get("rejected", [])
        if not isinstance(stored, list) or not all(isinstance(u, str) for u in stored):
            raise MessageError("ack: stored must be a list of record uuids")
        if not isinstance(rejected, list) or not all(
                isinstance(r, dict) and isinstance(r.get("error"), str)
                and (r.get("uuid") is None or isinstance(r.get("uuid"), str)) for r in rejected):
            raise MessageError("ack: rejected must be a list of {uuid, error}")
        return cls(stored=tuple(stored), rejected=tuple(Rejection(r.get("uuid"), r["error"]) for r in rejected))


# -- device status ------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceStatus:
    """Retained on the device's status topic; the broker publishes the `offline` form as
    the device's last will when it drops off."""
    state: str  # "online" | "offline"
    store_id: str
    device_id: str
    at: str | None = None
    software_version: str | None = None
    catalog_version: int | None = None
    outbox_backlog: int | None = None
    devices: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    disk_free_bytes: int | None = None
    last_sale_at: str | None = None
    heartbeat_seconds: int | None = None
    #: the store's settings as the till has them (`[store]`): an IANA time zone, a locale
    #: like zh-CN, an ISO 4217 currency code; absent from older tills
    timezone: str | None = None
    locale: str | None = None
    currency: str | None = None
    type: str = "status"
    v: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        return to_json_bytes({
            "v": self.v, "type": self.type, "state": self.state, "store_id": self.store_id,
            "device_id": self.device_id, "at": self.at, "software_version": self.software_version,
            "catalog_version": self.catalog_version, "outbox_backlog": self.outbox_backlog,
            "devices": dict(self.devices), "disk_free_bytes": self.disk_free_bytes,
            "last_sale_at": self.last_sale_at, "heartbeat_seconds": self.heartbeat_seconds,
            **{key: value for key, value in (("timezone", self.timezone), ("locale", self.locale),
                                             ("currency", self.currency)) if value is not None}})

    @classmethod
    def parse(cls, payload: bytes | str) -> "DeviceStatus":
        body = _decode(payload, "status")
        state = body.get("state")
        if state not in ("online", "offline"):
            raise MessageError(f"status: state must be online or offline, not {state!r}")
        devices = body.get("devices") or {}
        if not isinstance(devices, dict) or not all(isinstance(v, dict) for v in devices.values()):
            raise MessageError("status: devices must map a device name to its state")
        for key in ("at", "last_sale_at"):
            if body.get(key) is not None:
                parse_utc(body[key], key)
        return cls(state=state, store_id=check_id(body.get("store_id"), "store_id"),
                   device_id=check_id(body.get("device_id"), "device_id"), at=body.get("at"),
                   software_version=_str(body, "software_version", max_length=64, optional=True),
                   catalog_version=_int(body, "catalog_version", optional=True),
                   outbox_backlog=_int(body, "outbox_backlog", optional=True), devices=devices,
                   disk_free_bytes=_int(body, "disk_free_bytes", optional=True),
                   last_sale_at=body.get("last_sale_at"),
                   heartbeat_seconds=_int(body, "heartbeat_seconds", minimum=1, optional=True),
                   timezone=check_timezone(_str(body, "timezone", max_length=64, optional=True)),
                   locale=_str(body, "locale", max_length=16, optional=True, pattern=LOCALE),
                   currency=_str(body, "currency", max_length=3, optional=True, pattern=CURRENCY))


LOCALE = re.compile(r"[a-z]{2}(-[A-Z]{2})?")
CURRENCY = re.compile(r"[A-Z]{3}")


def check_timezone(name: str | None) -> str | None:
    """An IANA time zone name this machine knows (None passes through)."""
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not re.fullmatch(r"[A-Za-z0-9_+/-]{1,64}", name) or name.startswith("/") or ".." in name:
        raise MessageError(f"timezone must be an IANA time zone like Asia/Shanghai, not {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise MessageError(f"timezone {name!r} is not a known time zone") from None
    return name


# -- catalog: reports and requests from the device -------------------------------------

@dataclass(frozen=True)
class CatalogReport:
    """Device -> head office on `up/.../catalog`: the version the device now has
    (`request` false), or a request for what it is missing after `version` (`request` true:
    a gap, or it is behind the head; head office answers with the change sets or a snapshot)."""
    version: int
    request: bool = False
    reason: str | None = None
    error: str | None = None
    type: str = "catalog_report"
    v: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        return to_json_bytes({"v": self.v, "type": self.type, "version": self.version,
                              "request": self.request, "reason": self.reason, "error": self.error})

    @classmethod
    def parse(cls, payload: bytes | str) -> "CatalogReport":
        body = _decode(payload, "catalog_report")
        return cls(version=_int(body, "version"), request=_bool(body, "request", False),
                   reason=_str(body, "reason", max_length=64, optional=True),
                   error=_str(body, "error", max_length=2000, optional=True))


# -- catalog: what head office sends down ----------------------------------------------

ENTITY_ORDER = ("tax_class", "category", "product", "price_schedule", "member_tier", "member", "promotion", "cashier")
_LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?")
ROLES = ("cashier", "manager", "admin")


def _check_tax_class(data):
    _str(data, "code", max_length=64)
    _str(data, "name")
    _int(data, "rate_bp", maximum=10_000)


def _check_category(data):
    _str(data, "code", max_length=64)
    _str(data, "name")
    _str(data, "parent", max_length=64, optional=True)


def _check_product(data):
    _str(data, "sku", max_length=64)
    _str(data, "name")
    if data.get("unit") not in ("each", "kg"):
        raise MessageError(f"product {data.get('sku')}: unit must be each or kg")
    _int(data, "price")
    _int(data, "cost_price", optional=True)
    _str(data, "tax_class", max_length=64)
    _str(data, "category", max_length=64, optional=True)
    _str(data, "scale_code", max_length=6, optional=True)
    _bool(data, "active")
    barcodes = data.get("barcodes")
    if not isinstance(barcodes, list) or not all(isinstance(b, str) and 0 < len(b) <= 64 for b in barcodes):
        raise MessageError(f"product {data.get('sku')}: barcodes must be a list of codes")


def _check_price_schedule(data):
    _str(data, "id", max_length=64)
    _str(data, "sku", max_length=64)
    _int(data, "price")
    parse_utc(data.get("effective_at"), "effective_at")


def _check_cashier(data):
    _str(data, "code", max_length=16)
    _str(data, "name", max_length=64)
    if data.get("role") not in ROLES:
        raise MessageError(f"cashier {data.get('code')}: role must be one of {ROLES}")
    _str(data, "pin_hash", max_length=300, pattern=re.compile(r"scrypt\$\d{1,2}\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"))
    _str(data, "locale", max_length=16, optional=True)
    _bool(data, "active")


def _check_member_tier(data):
    _str(data, "code", max_length=32)
    _str(data, "name")
    _int(data, "rank", maximum=1000)
    _int(data, "discount_bp", maximum=10_000)
    _int(data, "min_spend")


def _check_member(data):
    _str(data, "uuid", max_length=36, pattern=_UUID)
    _str(data, "card_no", max_length=32, pattern=re.compile(r"[0-9A-Za-z]{4,32}"))
    _str(data, "phone", max_length=21, optional=True, pattern=re.compile(r"\+?[0-9]{5,20}"))
    _str(data, "name", max_length=64)
    _str(data, "tier", max_length=32)
    _bool(data, "active")


def _check_promotion(data):
    """The shape only: the till checks the offer itself with its promotions engine.
    `params` names products by SKU and categories by code (the till maps them to its ids)."""
    _str(data, "code", max_length=64)
    _str(data, "name")
    _str(data, "kind", max_length=32)
    params = data.get("params")
    if not isinstance(params, dict):
        raise MessageError(f"promotion {data.get('code')}: params must be an object")
    for key in ("products", "categories"):
        if not isinstance(params.get(key, []), list) or not all(isinstance(v, str) for v in params.get(key, [])):
            raise MessageError(f"promotion {data.get('code')}: params.{key} must be a list of codes")
    for key in ("starts_at", "ends_at"):
        _str(data, key, max_length=19, optional=True, pattern=_LOCAL_TIME)
    days, stores = data.get("days_of_week", []), data.get("stores", [])
    if not isinstance(days, list) or not all(isinstance(d, int) and 1 <= d <= 7 for d in days):
        raise MessageError(f"promotion {data.get('code')}: days_of_week are ISO days 1-7")
    if not isinstance(stores, list) or not all(isinstance(v, str) for v in stores):
        raise MessageError(f"promotion {data.get('code')}: stores must be a list of store ids")
    _bool(data, "member_only", False)
    _bool(data, "combinable", True)
    _int(data, "priority", minimum=None)
    _bool(data, "active")


_ENTITY_CHECKS = {"tax_class": _check_tax_class, "category": _check_category, "product": _check_product,
                  "price_schedule": _check_price_schedule, "member_tier": _check_member_tier,
                  "member": _check_member, "promotion": _check_promotion, "cashier": _check_cashier}


@dataclass(frozen=True)
class Change:
    """One catalog change: `upsert` an entity with all its fields, or `cancel` a pending
    price schedule (`data` is then just {"id"}). Products are never deleted (sales refer
    to them): head office sends them with `active` false."""
    entity: str
    op: str
    data: Mapping[str, Any]

    @classmethod
    def parse(cls, item: Any) -> "Change":
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            raise MessageError("a change must be {entity, op, data}")
        entity, op, data = item.get("entity"), item.get("op", "upsert"), item["data"]
        if entity not in _ENTITY_CHECKS:
            raise MessageError(f"unknown catalog entity {entity!r} (this release knows {', '.join(ENTITY_ORDER)})")
        if op == "cancel" and entity == "price_schedule":
            _str(data, "id", max_length=64)
        elif op == "upsert":
            _ENTITY_CHECKS[entity](data)
        else:
            raise MessageError(f"{entity}: unknown op {op!r}")
        return cls(entity=entity, op=op, data=data)

    def to_dict(self) -> dict:
        return {"entity": self.entity, "op": self.op, "data": dict(self.data)}


@dataclass(frozen=True)
class ChangeSet:
    """A store's catalog moving from `version - 1` to `version` (type "changeset"), or,
    as a snapshot (type "snapshot"), the store's whole catalog as of `version`: everything
    head office manages for the store, so products missing from it are inactive."""
    store_id: str
    version: int
    issued_at: str
    changes: tuple[Change, ...]
    type: str = "changeset"
    v: int = PROTOCOL_VERSION

    @property
    def is_snapshot(self) -> bool:
        return self.type == "snapshot"

    def encode(self) -> bytes:
        return to_json_bytes({"v": self.v, "type": self.type, "store_id": self.store_id, "version": self.version,
                              "issued_at": self.issued_at, "changes": [c.to_dict() for c in self.changes]})

    @classmethod
    def parse(cls, payload: bytes | str | dict) -> "ChangeSet":
        body = _decode(payload, "changeset", "snapshot")
        changes = body.get("changes")
        if not isinstance(changes, list):
            raise MessageError(f"{body['type']}: changes must be a list")
        parsed = tuple(Change.parse(item) for item in changes)
        issued_at = body.get("issued_at")
        parse_utc(issued_at, "issued_at")
        return cls(store_id=check_id(body.get("store_id"), "store_id"),
                   version=_int(body, "version", minimum=1), issued_at=issued_at, changes=parsed,
                   type=body["type"])


@dataclass(frozen=True)
class CatalogHead:
    """Retained on the store's head topic: the latest change set version for the store."""
    store_id: str
    version: int
    issued_at: str
    type: str = "head"
    v: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        return to_json_bytes({"v": self.v, "type": self.type, "store_id": self.store_id,
                              "version": self.version, "issued_at": self.issued_at})

    @classmethod
    def parse(cls, payload: bytes | str | dict) -> "CatalogHead":
        body = _decode(payload, "head")
        parse_utc(body.get("issued_at"), "issued_at")
        return cls(store_id=check_id(body.get("store_id"), "store_id"), version=_int(body, "version"),
                   issued_at=body["issued_at"])


def parse_catalog_message(body: bytes) -> ChangeSet | CatalogHead:
    """A verified catalog body: a change set, a snapshot or a head."""
    message = _decode(body, "changeset", "snapshot", "head")
    return CatalogHead.parse(message) if message["type"] == "head" else ChangeSet.parse(message)


# -- signing (ed25519) ------------------------------------------------------------------

def key_id(public_key: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


class SigningKey:
    """Head office's catalog signing key."""

    def __init__(self, private_bytes: bytes):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self._key = Ed25519PrivateKey.from_private_bytes(private_bytes)
        self.public_key = self._key.public_key().public_bytes(serialization.Encoding.Raw,
                                                              serialization.PublicFormat.Raw)
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> tuple["SigningKey", bytes]:
        import os

        raw = os.urandom(32)
        return cls(raw), raw

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode()

    def seal(self, body: bytes, *, compress: bool = False) -> bytes:
        """The MQTT payload carrying `body` signed: {"v", "type": "signed", "key", "enc",
        "body", "sig"}. The signature covers the exact text of "body" as sent, so it is
        checked before anything is decompressed or parsed."""
        if compress:
            text, enc = base64.b64encode(zlib.compress(body, 1)).decode(), "zlib"
        else:
            text, enc = body.decode(), "json"
        signature = self._key.sign(text.encode())
        return to_json_bytes({"v": PROTOCOL_VERSION, "type": "signed", "key": self.key_id, "enc": enc,
                              "body": text, "sig": base64.b64encode(signature).decode()})


def open_sealed(payload: bytes, trusted_keys: Mapping[str, bytes]) -> bytes:
    """The body of a signed payload, after checking its signature against the trusted
    public keys (key id -> raw key). MessageError if anything is wrong."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    envelope = _decode(payload, "signed")
    public = trusted_keys.get(envelope.get("key"))
    if public is None:
        raise MessageError(f"signed by unknown key {envelope.get('key')!r}: not applied")
    text, enc = envelope.get("body"), envelope.get("enc")
    if not isinstance(text, str) or enc not in ("json", "zlib"):
        raise MessageError("signed: body and enc (json or zlib) are required")
    try:
        signature = base64.b64decode(envelope.get("sig", ""), validate=True)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, text.encode())
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        raise MessageError("bad signature: not applied") from None
    if enc == "json":
        return text.encode()
    try:
        inflater = zlib.decompressobj()
        body = inflater.decompress(base64.b64decode(text), MAX_BODY_BYTES)
    except (zlib.error, binascii.Error, ValueError) as exc:
        raise MessageError(f"signed: the compressed body is damaged ({exc})") from None
    if inflater.unconsumed_tail:
        raise MessageError("signed: the body is larger than allowed")
    return body


# -- enrollment (HTTPS, not MQTT) --------------------------------------------------------

@dataclass(frozen=True)
class Enrollment:
    """Head office's answer to a device that presented a valid enrollment token: who it
    is, how it reaches the broker, and the keys that sign its catalog. The password is
    shown this once; head office keeps only its hash."""
    store_id: str
    device_id: str
    broker_host: str
    broker_port: int
    username: str
    password: str
    catalog_keys: Mapping[str, str]  # key id -> base64 raw ed25519 public key
    heartbeat_seconds: int
    broker_tls: bool = False
    ca_pem: str | None = None
    type: str = "enrollment"
    v: int = PROTOCOL_VERSION

    def to_dict(self) -> dict:
        return {"v": self.v, "type": self.type, "store_id": self.store_id, "device_id": self.device_id,
                "broker": {"host": self.broker_host, "port": self.broker_port, "tls": self.broker_tls,
                           "ca_pem": self.ca_pem},
                "username": self.username, "password": self.password, "catalog_keys": dict(self.catalog_keys),
                "heartbeat_seconds": self.heartbeat_seconds}

    @classmethod
    def parse(cls, payload: bytes | str | dict) -> "Enrollment":
        body = _decode(payload, "enrollment")
        broker = body.get("broker")
        if not isinstance(broker, dict):
            raise MessageError("enrollment: broker {host, port, tls} is required")
        keys = body.get("catalog_keys")
        if not isinstance(keys, dict) or not keys:
            raise MessageError("enrollment: catalog_keys is required")
        for kid, value in keys.items():
            try:
                raw = base64.b64decode(value, validate=True)
            except (binascii.Error, TypeError, ValueError):
                raw = b""
            if len(raw) != 32 or key_id(raw) != kid:
                raise MessageError(f"enrollment: catalog key {kid!r} is not a valid ed25519 key")
        tls = _bool(broker, "tls", False)
        ca_pem = broker.get("ca_pem")
        if tls and not (isinstance(ca_pem, str) and "BEGIN CERTIFICATE" in ca_pem):
            raise MessageError("enrollment: a TLS broker needs its CA certificate (ca_pem)")
        return cls(store_id=check_id(body.get("store_id"), "store_id"),
                   device_id=check_id(body.get("device_id"), "device_id"),
                   broker_host=_str(broker, "host", max_length=255), broker_port=_int(broker, "port", minimum=1,
                                                                                 maximum=65535),
                   username=_str(body, "username", max_length=140), password=_str(body, "password", max_length=200),
                   catalog_keys=keys, heartbeat_seconds=_int(body, "heartbeat_seconds", minimum=1, maximum=86400),
                   broker_tls=tls, ca_pem=ca_pem if tls else None)
