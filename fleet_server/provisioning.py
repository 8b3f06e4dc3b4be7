"""Mosquitto's view of the fleet: the password file and the ACL file, written from the
database, and the broker told to reread them.

The database is the truth: every change (a device enrolled, a device revoked) renders
both files anew from it, under a file lock so that several head-office processes never
interleave, and replaces them atomically. Mosquitto rereads them on SIGHUP and then
disconnects any connected client whose user is gone, so revoking cuts a device off at
once. A device may only publish under its own `up` topics and only read its own `down`
topics and its store's catalog (docs/protocol.md).
"""

from __future__ import annotations

import base64
import fcntl
import getpass
import hashlib
import logging
import os
import secrets
import shlex
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path

from fleetpos import messages

from .config import FleetConfig
from .models import Device, Store

log = logging.getLogger(__name__)

#: PBKDF2 rounds in Mosquitto's own "$7$" format (what mosquitto_passwd writes)
HASH_ITERATIONS = 101


def hash_password(password: str, *, iterations: int = HASH_ITERATIONS) -> str:
    """A Mosquitto 2 password-file hash: $7$<rounds>$<salt>$<PBKDF2-SHA512>."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def new_password() -> str:
    return secrets.token_urlsafe(32)


def device_acl(store_id: str, device_id: str) -> list[str]:
    return [f"topic write {messages.up_topic(store_id, device_id, '#')}",
            f"topic read {messages.down_topic(store_id, device_id, '#')}",
            f"topic read {messages.ROOT}/store/{store_id}/#"]


SERVER_ACL = [f"topic read {messages.ROOT}/up/#",
              f"topic write {messages.ROOT}/down/#",
              f"topic write {messages.ROOT}/store/#"]


def render(config: FleetConfig) -> tuple[str, str]:
    """(password file, ACL file) for head office's own user and every active device."""
    if not config.mqtt.password:
        raise RuntimeError("set [mqtt] password: head office's own broker user needs one")
    users = [(config.mqtt.username, hash_password(config.mqtt.password), SERVER_ACL)]
    query = (Device.select(Device, Store).join(Store)
             .where((Device.state == "active") & Device.password_hash.is_null(False))
             .order_by(Device.username))
    for device in query:
        users.append((device.username, device.password_hash, device_acl(device.store.id, device.device_id)))
    passwords = "".join(f"{name}:{hashed}\n" for name, hashed, _ in users)
    acl = "# written by fleetpos from head office's database: edits are overwritten\n"
    acl += "".join(f"\nuser {name}\n" + "".join(rule + "\n" for rule in rules) for name, _, rules in users)
    return passwords, acl


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def sync_broker(config: FleetConfig) -> bool:
    """Write the broker's files from the database and make it reread them. Returns False
    (and logs why) when provisioning is not configured."""
    broker = config.broker
    if not broker.password_file or not broker.acl_file:
        log.warning("[broker] password_file/acl_file are not set: the broker was not told about the change")
        return False
    password_path, acl_path = Path(broker.password_file), Path(broker.acl_file)
    with _file_lock(password_path.with_name(password_path.name + ".lock")):
        passwords, acl = render(config)
        _replace(password_path, passwords)
        _replace(acl_path, acl)
        reload_broker(config)
    return True


def reload_broker(config: FleetConfig) -> None:
    broker = config.broker
    if broker.reload_command:
        result = subprocess.run(shlex.split(broker.reload_command), capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"broker reload command failed ({result.returncode}): {result.stderr.strip()}")
        return
    if broker.pid_file:
        if not Path(broker.pid_file).exists():
            log.info("broker not running (no %s): it reads the new files when it starts", broker.pid_file)
            return
        try:
            pid = int(Path(broker.pid_file).read_text().strip())
            os.kill(pid, signal.SIGHUP)
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"could not signal the broker from pid file {broker.pid_file}: {exc}") from None
        return
    log.warning("neither [broker] pid_file nor reload_command is set: reload Mosquitto yourself (SIGHUP)")


def broker_config(*, port: int, data_dir: Path, password_file: Path, acl_file: Path,
                  host: str = "127.0.0.1", max_queued_messages: int = 100_000, max_inflight_messages: int = 100,
                  tls: dict | None = None, log_file: Path | None = None) -> str:
    """A mosquitto.conf for a broker of its own (the demo, the tests, a small head office).

    `tls` = {"cafile", "certfile", "keyfile"} makes the listener TLS-only.
    """
    lines = [
        "# written by fleetpos (fleet_server.provisioning.broker_config)",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {password_file}",
        f"acl_file {acl_file}",
        f"pid_file {data_dir / 'mosquitto.pid'}",
        "persistence true",
        f"persistence_location {data_dir}/",
        "autosave_interval 60",
        # per client: what a device that is away may have queued for it (beyond this a store
        # catches up by a snapshot), and the burst an ingest worker may be behind by (beyond
        # this the broker drops and the tills send again after their ack timeout)
        f"max_queued_messages {max_queued_messages}",
        f"max_inflight_messages {max_inflight_messages}",
        "set_tcp_nodelay true",
        f"log_dest file {log_file or data_dir / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages true",
    ]
    if os.geteuid() == 0:
        # as root Mosquitto would switch to the 'mosquitto' user, which cannot read a
        # temporary directory of ours; a system broker is set up as in docs/sync.md instead
        lines.append(f"user {getpass.getuser()}")
    lines.append(f"listener {port} {host}")
    if tls:
        lines += [f"cafile {tls['cafile']}", f"certfile {tls['certfile']}", f"keyfile {tls['keyfile']}",
                  "tls_version tlsv1.2"]
    return "\n".join(lines) + "\n"
