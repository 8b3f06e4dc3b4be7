"""Head office's configuration: one TOML file (`fleetpos fleet serve --config fleet.toml`),
then environment variables, then what tests pass in.

    [server]   host, port, data_dir, admin_token, trusted_proxy
    [database] url               (or DATABASE_URL: sqlite:///path or postgresql://user@host:port/db)
    [mqtt]     host, port, username, password, ca_file    (head office's own broker connection)
    [devices]  broker_host, broker_port, broker_tls, heartbeat_seconds, enrollment_ttl_hours
    [broker]   password_file, acl_file, pid_file, reload_command   (provisioning, docs/sync.md)
    [catalog]  replay_limit, signing_key_file, pin_hash_cost
    [ingest]   workers, batch_max, share_group
    [console]  session_hours, idle_minutes, lockout_failures, lockout_minutes, password_hash_cost,
               secure_cookies, offline_alert_minutes, backlog_alert_records, http_threads

`FLEETPOS_FLEET_<SECTION>__<KEY>` overrides a key, e.g. FLEETPOS_FLEET_MQTT__PORT=8883.
Problems raise `FleetConfigError` naming the file, the key and what is wrong.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from fleetpos.tomlconfig import ConfigError, apply_env, coerce, read_toml

ENV_PREFIX = "FLEETPOS_FLEET_"


class FleetConfigError(ConfigError):
    pass


@dataclass(frozen=True)
class ServerSection:
    host: str = "127.0.0.1"
    port: int = 8070
    data_dir: str = "/var/lib/fleetpos-fleet"
    #: bearer token for the admin API; empty refuses every admin call
    admin_token: str = ""
    #: the address of a reverse proxy that terminates TLS in front of head office (e.g. 127.0.0.1):
    #: its X-Forwarded-For/-Proto are then believed (client addresses in the audit log, https)
    trusted_proxy: str = ""


@dataclass(frozen=True)
class DatabaseSection:
    #: empty: a SQLite file in data_dir
    url: str = ""


@dataclass(frozen=True)
class MqttSection:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = "fleet-server"
    password: str = ""
    #: CA that the broker's certificate must chain to (TLS); empty = plain TCP (tests, loopback)
    ca_file: str = ""


@dataclass(frozen=True)
class DevicesSection:
    #: the broker address as the stores reach it (given to devices at enrollment)
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    #: devices connect with TLS and verify the broker against the CA in ca_file
    broker_tls: bool = False
    ca_file: str = ""
    heartbeat_seconds: int = 60
    enrollment_ttl_hours: int = 72


@dataclass(frozen=True)
class BrokerSection:
    """Where head office writes Mosquitto's password and ACL files, and how it tells
    Mosquitto to reread them (SIGHUP to the pid in pid_file, or reload_command)."""
    password_file: str = ""
    acl_file: str = ""
    pid_file: str = ""
    reload_command: str = ""


@dataclass(frozen=True)
class CatalogSection:
    #: a store further behind than this many change sets gets a snapshot instead
    replay_limit: int = 100
    #: empty: <data_dir>/catalog-signing.key (made on first start)
    signing_key_file: str = ""
    #: scrypt cost (2**N) of cashier PIN hashes made at head office; lower only for tests
    pin_hash_cost: int = 14


@dataclass(frozen=True)
class IngestSection:
    workers: int = 2
    #: messages stored in one database transaction at most
    batch_max: int = 500
    share_group: str = "fleetpos-ingest"


@dataclass(frozen=True)
class ConsoleSection:
    """The web console and /api/v1: sessions, lock-out, password hashing, alerts."""
    #: a console session ends this long after login at the latest
    session_hours: int = 12
    #: ... or after this long without a request
    idle_minutes: int = 60
    #: this many wrong passwords in a row lock the user out ...
    lockout_failures: int = 5
    #: ... for this long
    lockout_minutes: int = 15
    #: scrypt cost (2**N) of console passwords; lower only for tests
    password_hash_cost: int = 15
    #: session cookie only over HTTPS (turn off only for plain-HTTP loopback: tests, the demo)
    secure_cookies: bool = True
    #: a store whose devices have all been offline this long raises an alert
    offline_alert_minutes: int = 15
    #: a device with more unsent records than this, still growing, raises an alert
    backlog_alert_records: int = 100
    #: waitress worker threads of `fleetpos fleet serve`
    http_threads: int = 8


@dataclass(frozen=True)
class FleetConfig:
    server: ServerSection = field(default_factory=ServerSection)
    database: DatabaseSection = field(default_factory=DatabaseSection)
    mqtt: MqttSection = field(default_factory=MqttSection)
    devices: DevicesSection = field(default_factory=DevicesSection)
    broker: BrokerSection = field(default_factory=BrokerSection)
    catalog: CatalogSection = field(default_factory=CatalogSection)
    ingest: IngestSection = field(default_factory=IngestSection)
    console: ConsoleSection = field(default_factory=ConsoleSection)
    source: str = "<defaults>"

    @property
    def data_dir(self) -> Path:
        return Path(self.server.data_dir)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'fleet.sqlite3'}"

    @property
    def signing_key_path(self) -> Path:
        return Path(self.catalog.signing_key_file or self.data_dir / "catalog-signing.key")


SECTIONS = {f.name: f.default_factory for f in dataclasses.fields(FleetConfig) if f.name != "source"}


def load_fleet_config(path: str | os.PathLike | None = None, *, environ=None,
                      overrides: dict | None = None) -> FleetConfig:
    environ = os.environ if environ is None else environ
    source, raw = read_toml(path, FleetConfigError)
    apply_env(raw, environ, ENV_PREFIX)
    if environ.get("DATABASE_URL"):
        raw.setdefault("database", {})["url"] = environ["DATABASE_URL"]
    for section, values in (overrides or {}).items():
        raw[section] = {**raw.get(section, {}), **values}
    kwargs = {}
    for section, values in raw.items():
        if section not in SECTIONS:
            raise FleetConfigError(source, section, f"unknown section (known: {', '.join(SECTIONS)})")
        cls = SECTIONS[section]
        fields = {f.name: f.type for f in dataclasses.fields(cls)}
        clean = {}
        for key, value in values.items():
            if key not in fields:
                raise FleetConfigError(source, f"{section}.{key}", f"unknown key (known: {', '.join(fields)})")
            clean[key] = coerce(source, f"{section}.{key}", value, fields[key], FleetConfigError)
        kwargs[section] = cls(**clean)
    config = FleetConfig(source=source, **kwargs)
    if config.catalog.replay_limit < 1:
        raise FleetConfigError(source, "catalog.replay_limit", "must be at least 1")
    if not 1 <= config.devices.heartbeat_seconds <= 86400:
        raise FleetConfigError(source, "devices.heartbeat_seconds", "must be 1-86400")
    if not 10 <= config.console.password_hash_cost <= 20:
        raise FleetConfigError(source, "console.password_hash_cost", "must be 10-20")
    if config.console.lockout_failures < 1 or config.console.lockout_minutes < 1:
        raise FleetConfigError(source, "console.lockout_failures", "lock-out needs at least 1 failure and 1 minute")
    return config
