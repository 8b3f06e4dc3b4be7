#!/usr/bin/env python3
"""Ansible dynamic inventory of the store tills, from head office's API.

    export FLEETPOS_FLEET_URL=https://fleet.example.com:8070
    export FLEETPOS_FLEET_TOKEN_FILE=~/.config/fleetpos/api-token   # or FLEETPOS_FLEET_TOKEN
    ansible-playbook -i inventory/fleet_inventory.py site.yml --limit 'region_east:&version_0_2_0'

Asks GET /api/v1/stores (paginated; stores with region, group and devices with their
version) and, when head office is older and answers 404, GET /api/stores (no regions or
groups; the version a device last reported in its status). One host per device, named
<store>-<device>, in the group `stores` and in groups by region (region_<r>), store
group (group_<g>), version (version_<v>) and store (store_<id>); names are lowercased
with anything but letters, digits and _ turned into _.

Settings (environment):
  FLEETPOS_FLEET_URL          head office (required)
  FLEETPOS_FLEET_TOKEN        API token (or head office's admin token), or
  FLEETPOS_FLEET_TOKEN_FILE   a file that holds it
  FLEETPOS_FLEET_CA_FILE      CA certificate for head office's HTTPS (default: the system's)
  FLEETPOS_INVENTORY_HOST     how to reach a till, a Python format with {store_id} and
                              {device_id} (default "{store_id}-{device_id}": a name that
                              your DNS or ~/.ssh/config resolves)
Only the standard library: it runs with whatever python3 Ansible uses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

PER_PAGE = 500
TIMEOUT = 30


class InventoryError(Exception):
    pass


def group_name(prefix: str, value: str) -> str:
    return f"{prefix}_{re.sub(r'[^a-z0-9_]', '_', value.lower())}"


def _get(base: str, path: str, token: str, context) -> tuple[int, object]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}",
                                                           "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return 404, None
        try:
            message = json.loads(error.read()).get("message", "")
        except ValueError:
            message = ""
        hint = (" (check FLEETPOS_FLEET_TOKEN or the file FLEETPOS_FLEET_TOKEN_FILE names: an API token"
                " with stores.read, or head office's admin token)" if error.code in (401, 403) else "")
        raise InventoryError(f"head office answered {error.code} to GET {path}: {message or error.reason}{hint}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise InventoryError(f"cannot read GET {path} from head office at {base}: {error} (check FLEETPOS_FLEET_URL,"
                             " that head office runs and this machine reaches it, and FLEETPOS_FLEET_CA_FILE"
                             " if its certificate is from your own CA)") from None


def fetch_stores(base: str, token: str, context=None) -> list[dict]:
    stores: list[dict] = []
    page = 1
    while True:
        status, body = _get(base, f"/api/v1/stores?page={page}&per_page={PER_PAGE}", token, context)
        if status == 404:
            if page > 1:
                raise InventoryError(f"head office stopped answering /api/v1/stores at page {page}: run the"
                                     " inventory again (was head office being upgraded?)")
            break
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise InventoryError(f"the answer to GET /api/v1/stores from {base} has no list of stores:"
                                 " is FLEETPOS_FLEET_URL head office's URL (not a till's or a proxy's)?")
        stores.extend(body["items"])
        total = body.get("total")
        if not body["items"] or (isinstance(total, int) and len(stores) >= total):
            return stores
        page += 1
    status, body = _get(base, "/api/stores", token, context)
    if status == 404 or not isinstance(body, dict) or not isinstance(body.get("stores"), list):
        raise InventoryError(f"head office at {base} has neither /api/v1/stores nor /api/stores: is the URL right?")
    return body["stores"]


def device_version(device: dict) -> str | None:
    for key in ("version", "software_version"):
        if isinstance(device.get(key), str) and device[key]:
            return device[key]
    status = device.get("status")
    if isinstance(status, dict) and isinstance(status.get("software_version"), str):
        return status["software_version"] or None
    return None


def build_inventory(stores: list[dict], host_format: str = "{store_id}-{device_id}") -> dict:
    groups: dict[str, set[str]] = {"stores": set()}
    hostvars: dict[str, dict] = {}
    for store in stores:
        store_id = store.get("id") or store.get("store_id")
        if not isinstance(store_id, str):
            continue
        region, store_group = store.get("region"), store.get("group")
        for device in store.get("devices") or []:
            device_id = device.get("device_id") or device.get("id")
            if not isinstance(device_id, str) or device.get("state") == "revoked":
                continue
            name = f"{store_id}-{device_id}"
            version = device_version(device)
            hostvars[name] = {
                "ansible_host": host_format.format(store_id=store_id, device_id=device_id),
                "fleetpos_store_id": store_id,
                "fleetpos_device_id": device_id,
                "fleetpos_store_name": store.get("name"),
                "fleetpos_region": region,
                "fleetpos_group": store_group,
                "fleetpos_version": version,
                "fleetpos_device_state": device.get("state"),
                "fleetpos_online": device.get("online"),
            }
            memberships = ["stores", group_name("store", store_id)]
            if region:
                memberships.append(group_name("region", str(region)))
            if store_group:
                memberships.append(group_name("group", str(store_group)))
            memberships.append(group_name("version", version) if version else "version_unknown")
            for group in memberships:
                groups.setdefault(group, set()).add(name)
    inventory: dict = {"_meta": {"hostvars": hostvars}}
    for group, hosts in sorted(groups.items()):
        inventory[group] = {"hosts": sorted(hosts)}
    inventory["all"] = {"children": sorted(g for g in groups)}
    return inventory


def settings(environ) -> tuple[str, str, ssl.SSLContext | None, str]:
    base = environ.get("FLEETPOS_FLEET_URL", "").rstrip("/")
    if not re.match(r"^https?://", base):
        raise InventoryError("set FLEETPOS_FLEET_URL to head office's URL (https://...)")
    token = environ.get("FLEETPOS_FLEET_TOKEN", "")
    token_file = environ.get("FLEETPOS_FLEET_TOKEN_FILE", "")
    if not token and token_file:
        try:
            with open(os.path.expanduser(token_file), encoding="utf-8") as handle:
                token = handle.read().strip()
        except OSError as error:
            raise InventoryError(f"cannot read FLEETPOS_FLEET_TOKEN_FILE: {error}") from None
    if not token:
        raise InventoryError("set FLEETPOS_FLEET_TOKEN or FLEETPOS_FLEET_TOKEN_FILE (a head office API token)")
    ca_file = environ.get("FLEETPOS_FLEET_CA_FILE") or None
    context = ssl.create_default_context(cafile=ca_file) if base.startswith("https://") else None
    return base, token, context, environ.get("FLEETPOS_INVENTORY_HOST", "{store_id}-{device_id}")


def main(argv=None, environ=None) -> int:
    parser = argparse.ArgumentParser(description="fleetpos tills from head office, for Ansible")
    parser.add_argument("--list", action="store_true", help="the whole inventory (default)")
    parser.add_argument("--host", help="one host's variables")
    args = parser.parse_args(argv)
    try:
        base, token, context, host_format = settings(os.environ if environ is None else environ)
        stores = fetch_stores(base, token, context)
        inventory = build_inventory(stores, host_format)
    except InventoryError as error:
        print(f"fleet_inventory: {error}", file=sys.stderr)
        return 1
    if args.host:
        print(json.dumps(inventory["_meta"]["hostvars"].get(args.host, {}), indent=2))
    else:
        print(json.dumps(inventory, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
