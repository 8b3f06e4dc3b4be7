"""Who this till is to head office: enrollment, and the identity it keeps.

`fleetpos enroll --file enroll.toml` (or `--url ... --token ...`) presents the one-time
token to head office over HTTPS, verified against the CA named in the file (TLS
verification is never turned off), and stores what comes back: store and device ids,
broker address and credentials, and the public keys that sign the catalog.

enroll.toml:

    url = "https://fleet.example.com:8070"   # head office
    token = "..."                            # one-time, from head office
    ca_file = "/boot/fleetpos-ca.pem"        # optional: the CA head office's HTTPS uses
"""

from __future__ import annotations

import json
import ssl
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from fleetpos.messages import Enrollment, MessageError

from ..context import TillContext
from ..services.records import db_time


class EnrollmentFailed(Exception):
    """Enrollment did not happen; the message says why and what to do."""


@dataclass(frozen=True)
class Identity:
    store_id: str
    device_id: str
    broker_host: str
    broker_port: int
    broker_tls: bool
    ca_pem: str | None
    username: str
    password: str
    heartbeat_seconds: int


def load_identity(ctx: TillContext) -> Identity | None:
    row = ctx.sql("SELECT store_id, device_id, broker_host, broker_port, broker_tls, ca_pem, username, password, "
                  "heartbeat_seconds FROM sync_identity WHERE id = 1").fetchone()
    if row is None:
        return None
    store_id, device_id, host, port, tls, ca_pem, username, password, heartbeat = row
    return Identity(store_id, device_id, host, port, bool(tls), ca_pem, username, password, heartbeat)


def save_enrollment(ctx: TillContext, enrollment: Enrollment) -> Identity:
    """Keep what head office gave (replacing an earlier enrollment of this till)."""
    now = db_time(ctx.clock())
    with ctx.transaction():
        ctx.sql("DELETE FROM sync_identity")
        ctx.sql("INSERT INTO sync_identity (id, store_id, device_id, broker_host, broker_port, broker_tls, ca_pem, "
                "username, password, heartbeat_seconds, enrolled_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (enrollment.store_id, enrollment.device_id, enrollment.broker_host, enrollment.broker_port,
                 int(enrollment.broker_tls), enrollment.ca_pem, enrollment.username, enrollment.password,
                 enrollment.heartbeat_seconds, now))
        for key_id, public_key in enrollment.catalog_keys.items():
            ctx.sql("INSERT OR REPLACE INTO catalog_key (key_id, public_key, added_at) VALUES (?, ?, ?)",
                    (key_id, public_key, now))
    return load_identity(ctx)


def read_enroll_file(path: str | Path) -> dict:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise EnrollmentFailed(f"enrollment file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise EnrollmentFailed(f"enrollment file {path}: {exc}") from None
    unknown = set(data) - {"url", "token", "ca_file"}
    if unknown or not isinstance(data.get("url"), str) or not isinstance(data.get("token"), str):
        raise EnrollmentFailed(f"enrollment file {path}: needs url and token (and optionally ca_file), "
                               f"not {sorted(data)}")
    return data


def enroll(ctx: TillContext, url: str, token: str, *, ca_file: str | None = None, timeout: float = 30) -> Identity:
    """Present the token to head office and store the identity it gives this till."""
    if not url.startswith(("https://", "http://")):
        raise EnrollmentFailed(f"head office URL {url!r} must start with https://")
    request = urllib.request.Request(
        url.rstrip("/") + "/api/enroll", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"token": token, "store_id": ctx.store_id, "device_id": ctx.device_id}).encode())
    context = ssl.create_default_context(cafile=ca_file) if url.startswith("https://") else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message", "")
        except ValueError:
            message = ""
        raise EnrollmentFailed(f"head office refused the enrollment ({exc.code}): {message}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise EnrollmentFailed(f"could not reach head office at {url}: {exc}") from None
    try:
        enrollment = Enrollment.parse(body)
    except MessageError as exc:
        raise EnrollmentFailed(f"head office's answer was not usable: {exc}") from None
    if (enrollment.store_id, enrollment.device_id) != (ctx.store_id, ctx.device_id):
        raise EnrollmentFailed(f"head office enrolled this till as store {enrollment.store_id} device "
                               f"{enrollment.device_id}, but its config says {ctx.store_id}/{ctx.device_id}")
    return save_enrollment(ctx, enrollment)
