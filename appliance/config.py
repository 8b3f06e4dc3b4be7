"""The appliance's configuration: one TOML file per till, plus environment overrides.

    [store]   id, name, currency, locale, timezone, tax_mode, tax_rounding, cash_rounding
    [device]  id
    [data]    dir, backups_keep
    [server]  host, port
    [security] pin_max_attempts, pin_lockout_minutes, idle_logout_seconds, pin_hash_cost
    [kiosk]   drawer_must_close, enrollment_file, offline_after_seconds
    [[barcodes.weighted]] prefix, item_start, item_length, value_start, value_length, value
    [permissions] "<action>" = ["manager", "admin"]
    [hardware.<device>] backend = "simulator" | ... (read by hw_drivers)

An environment variable FLEETPOS_<SECTION>__<KEY> overrides a scalar key, e.g.
FLEETPOS_STORE__CURRENCY=EUR or FLEETPOS_DATA__DIR=/tmp/till. Every problem is reported
as a `ConfigError` that names the file, the key and what is wrong with it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fleetpos.tomlconfig import ConfigError, apply_env, coerce, read_toml

from .barcodes import WeightedLayout
from .money import CURRENCY_EXPONENTS
from .pricing import TAX_MODES, TAX_ROUNDINGS

ENV_PREFIX = "FLEETPOS_"
ROLES = ("cashier", "manager", "admin")


def _choice(*options):
    def check(value):
        if value not in options:
            return f"must be one of {', '.join(map(repr, options))}, not {value!r}"
    return check


def _identifier(value):
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        return f"{value!r} must be 1-64 letters, digits, '.', '_' or '-' (no spaces or slashes)"


def _currency(value):
    if value not in CURRENCY_EXPONENTS:
        return f"{value!r} is not a currency the till knows (e.g. CNY, EUR, USD)"


def _timezone(value):
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a known time zone (e.g. Asia/Shanghai)"


def _locale(value):
    if not re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", value):
        return f"{value!r} must look like 'en' or 'zh-CN'"


def _between(low, high):
    def check(value):
        if not low <= value <= high:
            return f"must be between {low} and {high}, not {value}"
    return check


def _port(value):
    return _between(1, 65535)(value)


def _setting(default, check=None):
    return field(default=default, metadata={"check": check})


@dataclass(frozen=True)
class StoreConfig:
    id: str = _setting("demo-store", _identifier)
    name: str = _setting("Demo Store")
    currency: str = _setting("CNY", _currency)
    locale: str = _setting("zh-CN", _locale)
    timezone: str = _setting("Asia/Shanghai", _timezone)
    tax_mode: str = _setting("inclusive", _choice(*TAX_MODES))
    tax_rounding: str = _setting("line", _choice(*TAX_ROUNDINGS))
    #: round cash payments to this many minor units (0 = off; 5 and 10 are common)
    cash_rounding: int = _setting(0, _choice(0, 1, 5, 10, 50, 100))
    #: sell a product whose stock would go below zero (false: refuse the sale)
    allow_negative_stock: bool = _setting(True)


@dataclass(frozen=True)
class MembersConfig:
    #: points earned per whole currency unit paid (1 = one point per yuan)
    points_per_unit: int = _setting(1, _between(0, 1000))
    #: what one point is worth when redeemed, in minor units (1 = 100 points per yuan)
    point_value: int = _setting(1, _between(1, 10_000))


@dataclass(frozen=True)
class DeviceConfig:
    id: str = _setting("till-1", _identifier)


@dataclass(frozen=True)
class DataConfig:
    dir: str = _setting("/var/lib/fleetpos")
    #: copies of the database kept in <dir>/backups (one is made before every migration)
    backups_keep: int = _setting(10, _between(1, 1000))


@dataclass(frozen=True)
class ServerConfig:
    host: str = _setting("127.0.0.1")
    port: int = _setting(8080, _port)


@dataclass(frozen=True)
class SecurityConfig:
    pin_max_attempts: int = _setting(5, _between(1, 100))
    pin_lockout_minutes: int = _setting(5, _between(1, 24 * 60))
    idle_logout_seconds: int = _setting(300, _between(10, 24 * 3600))
    #: scrypt cost exponent for new PIN hashes (2**N); lower only for tests
    pin_hash_cost: int = _setting(14, _between(4, 20))
    #: key that signs the session cookie; made and kept in the data dir if empty
    secret_key: str = _setting("")


@dataclass(frozen=True)
class KioskConfig:
    #: the next sale cannot start while the cash drawer is open (needs a drawer sensor)
    drawer_must_close: bool = _setting(False)
    #: the enrollment state the image's first boot writes (shown in the status bar)
    enrollment_file: str = _setting("/var/lib/fleetpos/enrollment.json")
    #: records unsent for this long, with no acknowledgement from head office meanwhile,
    #: show the till as offline
    offline_after_seconds: int = _setting(120, _between(10, 24 * 3600))


@dataclass(frozen=True)
class TillConfig:
    store: StoreConfig = field(default_factory=StoreConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    data: DataConfig = field(default_factory=DataConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    members: MembersConfig = field(default_factory=MembersConfig)
    kiosk: KioskConfig = field(default_factory=KioskConfig)
    weighted_barcodes: tuple[WeightedLayout, ...] = (
        WeightedLayout(prefix="21", value="weight"),
        WeightedLayout(prefix="22", value="price"),
    )
    permissions: dict = field(default_factory=dict)
    hardware: dict = field(default_factory=dict)
    source: str = "<defaults>"

    @property
    def data_dir(self) -> Path:
        return Path(self.data.dir)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "till.sqlite3"


SECTIONS = {"store": StoreConfig, "device": DeviceConfig, "data": DataConfig,
            "server": ServerConfig, "security": SecurityConfig, "members": MembersConfig, "kiosk": KioskConfig}
OTHER_TOP_LEVEL = {"barcodes", "permissions", "hardware"}


def _section(source, name, cls, values: dict):
    if not isinstance(values, dict):
        raise ConfigError(source, name, "must be a table ([" + name + "])")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(source, f"{name}.{key}", f"unknown key (known: {', '.join(fields)})")
        value = coerce(source, f"{name}.{key}", value, fields[key].type)
        check = fields[key].metadata.get("check")
        problem = check(value) if check else None
        if problem:
            raise ConfigError(source, f"{name}.{key}", problem)
        kwargs[key] = value
    return cls(**kwargs)


def _weighted(source, raw) -> tuple[WeightedLayout, ...]:
    if not isinstance(raw, list):
        raise ConfigError(source, "barcodes.weighted", "must be an array of tables ([[barcodes.weighted]])")
    layouts = []
    known = {f.name for f in dataclasses.fields(WeightedLayout)}
    for index, entry in enumerate(raw):
        key = f"barcodes.weighted[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(source, key, "must be a table")
        unknown = set(entry) - known
        if unknown:
            raise ConfigError(source, f"{key}.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(known))})")
        try:
            layouts.append(WeightedLayout(**entry))
        except (TypeError, ValueError) as exc:
            raise ConfigError(source, key, str(exc)) from None
    prefixes = [layout.prefix for layout in layouts]
    for a in prefixes:
        for b in prefixes:
            if a != b and b.startswith(a):
                raise ConfigError(source, "barcodes.weighted", f"prefixes {a!r} and {b!r} overlap")
    return tuple(layouts)


def _permissions(source, raw) -> dict:
    from .permissions import DEFAULT_PERMISSIONS

    if not isinstance(raw, dict):
        raise ConfigError(source, "permissions", "must be a table")
    result = {}
    for action, roles in raw.items():
        key = f"permissions.{action}"
        if action not in DEFAULT_PERMISSIONS:
            raise ConfigError(source, key, f"unknown action (known: {', '.join(sorted(DEFAULT_PERMISSIONS))})")
        if not isinstance(roles, list) or not all(r in ROLES for r in roles):
            raise ConfigError(source, key, f"must be a list of roles from {ROLES}")
        result[action] = frozenset(roles)
    return result


def load_config(path: str | os.PathLike | None = None, *, environ=None, overrides: dict | None = None) -> TillConfig:
    """Read the TOML file (if any), then FLEETPOS_* variables, then `overrides` (tests)."""
    environ = os.environ if environ is None else environ
    source, raw = read_toml(path)
    apply_env(raw, environ, ENV_PREFIX, SECTIONS)
    for section, values in (overrides or {}).items():
        if isinstance(values, dict) and isinstance(raw.get(section), dict):
            raw[section] = {**raw[section], **values}
        else:
            raw[section] = values
    for key in raw:
        if key not in SECTIONS and key not in OTHER_TOP_LEVEL:
            raise ConfigError(source, key, f"unknown section (known: {', '.join([*SECTIONS, *sorted(OTHER_TOP_LEVEL)])})")
    kwargs = {name: _section(source, name, cls, raw.get(name, {})) for name, cls in SECTIONS.items()}
    barcodes = raw.get("barcodes", {})
    if not isinstance(barcodes, dict) or set(barcodes) - {"weighted"}:
        raise ConfigError(source, "barcodes", "only [[barcodes.weighted]] tables are allowed here")
    if "weighted" in barcodes:
        kwargs["weighted_barcodes"] = _weighted(source, barcodes["weighted"])
    kwargs["permissions"] = _permissions(source, raw.get("permissions", {}))
    hardware = raw.get("hardware", {})
    if not isinstance(hardware, dict):
        raise ConfigError(source, "hardware", "must be a table")
    kwargs["hardware"] = hardware
    return TillConfig(source=source, **kwargs)
