"""The dynamic inventory (ansible/inventory/fleet_inventory.py) against a real head office
started by the test, read by Ansible itself: hosts per device, groups by store, region,
store group and version, so that `--limit 'region_x:&version_y'` picks the right tills."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import pytest

from tests.sync.conftest import ADMIN_TOKEN, broker_factory, fleet_factory  # noqa: F401 (fixtures)

from .conftest import ANSIBLE_DIR, BIN, ansible_env, require_ansible

SCRIPT = ANSIBLE_DIR / "inventory" / "fleet_inventory.py"


def load_script():
    spec = importlib.util.spec_from_file_location("fleet_inventory", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def head_office(fleet_factory):
    """Head office and its broker (tests/sync's factories start and stop them)."""
    office = fleet_factory()
    office.start()
    for store in ("sh-001", "sh-002", "bj-001"):
        office.add_store(store)
        office.token(store, "till-1")
    office.token("sh-001", "till-2")
    office.token("bj-001", "till-2")
    office.call("POST", "/api/stores/bj-001/devices/till-2/revoke")
    # what the tills reported in their status (as the sync agent's heartbeat does)
    from fleet_server.models import Device

    with office.ctx.db.connection_context():
        for store, device, version in (("sh-001", "till-1", "0.2.0"), ("sh-001", "till-2", "0.1.0"),
                                       ("sh-002", "till-1", "0.2.0")):
            Device.update(last_status=json.dumps({"software_version": version})).where(
                (Device.store == store) & (Device.device_id == device)).execute()
    return office


def inventory_env(office, **extra):
    settings = {"FLEETPOS_FLEET_URL": office.url, "FLEETPOS_FLEET_TOKEN": ADMIN_TOKEN,
                "FLEETPOS_INVENTORY_HOST": "{device_id}.{store_id}.stores.example"}
    return ansible_env(**{**settings, **extra})


def test_inventory_lists_devices_grouped_by_store_and_version(head_office):
    result = subprocess.run([str(BIN / "python"), str(SCRIPT), "--list"], env=inventory_env(head_office),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    assert inventory["stores"]["hosts"] == ["bj-001-till-1", "sh-001-till-1", "sh-001-till-2", "sh-002-till-1"]
    assert "bj-001-till-2" not in inventory["_meta"]["hostvars"], "a revoked device is in the inventory"
    assert inventory["version_0_2_0"]["hosts"] == ["sh-001-till-1", "sh-002-till-1"]
    assert inventory["version_0_1_0"]["hosts"] == ["sh-001-till-2"]
    assert inventory["version_unknown"]["hosts"] == ["bj-001-till-1"]
    assert inventory["store_sh_001"]["hosts"] == ["sh-001-till-1", "sh-001-till-2"]
    hostvars = inventory["_meta"]["hostvars"]["sh-001-till-2"]
    assert hostvars["ansible_host"] == "till-2.sh-001.stores.example"
    assert (hostvars["fleetpos_store_id"], hostvars["fleetpos_device_id"]) == ("sh-001", "till-2")


def test_ansible_targets_stores_on_one_version(head_office):
    require_ansible()
    result = subprocess.run([str(BIN / "ansible"), "-i", str(SCRIPT), "store_sh_001:&version_0_2_0",
                             "--list-hosts"], cwd=ANSIBLE_DIR, env=inventory_env(head_office),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    hosts = [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]
    assert hosts == ["sh-001-till-1"], result.stdout


def test_inventory_refuses_a_wrong_token(head_office):
    result = subprocess.run([str(BIN / "python"), str(SCRIPT), "--list"],
                            env=inventory_env(head_office, FLEETPOS_FLEET_TOKEN="not-the-token"),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "check FLEETPOS_FLEET_TOKEN" in result.stderr, result.stderr
    assert result.stdout == ""


def test_inventory_reads_every_page_of_stores(head_office):
    script = load_script()
    script.PER_PAGE = 2  # three stores: two pages
    stores = script.fetch_stores(head_office.url, ADMIN_TOKEN)
    assert sorted(store["id"] for store in stores) == ["bj-001", "sh-001", "sh-002"]


def test_inventory_falls_back_to_api_stores_on_an_older_head_office(head_office):
    """A head office without /api/v1 (404 there): the devices come from /api/stores."""
    script = load_script()
    real_get = script._get

    def older_head_office(base, path, token, context):
        return (404, None) if path.startswith("/api/v1/") else real_get(base, path, token, context)

    script._get = older_head_office
    inventory = script.build_inventory(script.fetch_stores(head_office.url, ADMIN_TOKEN))
    assert inventory["stores"]["hosts"] == ["bj-001-till-1", "sh-001-till-1", "sh-001-till-2", "sh-002-till-1"]
    assert inventory["version_0_2_0"]["hosts"] == ["sh-001-till-1", "sh-002-till-1"]


def test_v1_stores_are_grouped_by_region_and_store_group():
    """The /api/v1/stores shape: stores carry region and group, devices their version."""
    stores = [{"id": "sh-001", "name": "上海一店", "region": "East", "group": "Flagship",
               "devices": [{"device_id": "till-1", "version": "0.2.0", "state": "active"}]},
              {"id": "gz-001", "name": "广州一店", "region": "South", "group": None,
               "devices": [{"device_id": "till-1", "version": "0.1.0", "state": "active"}]}]
    inventory = load_script().build_inventory(stores)
    assert inventory["region_east"]["hosts"] == ["sh-001-till-1"]
    assert inventory["group_flagship"]["hosts"] == ["sh-001-till-1"]
    assert inventory["region_south"]["hosts"] == ["gz-001-till-1"]
    assert not any(name.startswith("group_") and "gz-001-till-1" in g["hosts"]
                   for name, g in inventory.items() if name != "_meta" and "hosts" in g)
    assert inventory["_meta"]["hostvars"]["sh-001-till-1"]["fleetpos_region"] == "East"
