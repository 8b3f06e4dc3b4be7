"""Enrollment end to end, over real HTTP and a real broker: one-time tokens, identities
that must match the till's config, revocation that cuts a device off."""

import pytest

from appliance.sync.identity import EnrollmentFailed, load_identity
from appliance.sync.status import record_device_state
from fleet_server.models import Device
from fleetpos.mqtt import BrokerAddress, MqttClient

from .conftest import wait_for


@pytest.fixture
def office(fleet_factory):
    office = fleet_factory().start()
    office.add_store("s1", "上海一店")
    office.seed_catalog(["s1"])
    return office


def test_enrolled_till_gets_identity_catalog_and_reports_status(office, till_factory):
    till = till_factory("s1")
    identity = till.enroll(office)
    assert (identity.store_id, identity.device_id, identity.username) == ("s1", "till-1", "s1/till-1")
    assert identity.broker_port == office.broker.port and len(identity.password) >= 32
    # the till records its hardware's state; the agent reports it
    record_device_state(till.ctx, "printer", available=False, backend="usb", message="paper out")
    till.start_agent()
    version = office.version("s1")
    wait_for(lambda: till.catalog_version() == version, message="the first snapshot")
    assert till.products()["COLA"]["price"] == 300
    assert till.ctx.sql("SELECT role FROM cashier WHERE code = '2001'").fetchone() == ("manager",)

    def online():
        device = office.call("GET", "/api/stores/s1/devices/till-1")["device"]
        return device if device["online"] and device["catalog_version"] == version else None
    device = wait_for(online, message="the device's status at head office")
    assert device["state"] == "active" and device["catalog_version"] == version
    status = device["status"]
    assert status["software_version"] and status["disk_free_bytes"] > 0
    assert status["outbox_backlog"] == 0 and status["heartbeat_seconds"] == 1
    assert status["devices"]["printer"]["available"] is False
    assert status["devices"]["printer"]["message"] == "paper out"
    # the password is not kept at head office, only its hash
    with office.ctx.db.connection_context():
        stored = Device.get(Device.username == "s1/till-1").password_hash
    assert stored.startswith("$7$") and identity.password not in stored


def test_a_token_works_once(office, till_factory):
    token = office.token("s1", "till-1")
    till_factory("s1").enroll(office, token)
    again = till_factory("s1", "till-1")
    with pytest.raises(EnrollmentFailed, match="already used"):
        again.enroll(office, token)
    assert load_identity(again.ctx) is None


def test_a_wrong_token_and_a_till_configured_as_another_device_are_refused(office, till_factory):
    with pytest.raises(EnrollmentFailed, match="unknown enrollment token"):
        till_factory("s1").enroll(office, "not-a-real-token-at-all")
    token = office.token("s1", "till-1")
    other = till_factory("s1", "till-2")
    with pytest.raises(EnrollmentFailed, match="configured as s1/till-2"):
        other.enroll(office, token)
    # the mismatch did not spend the token: the right till can still use it
    assert till_factory("s1", "till-1").enroll(office, token).device_id == "till-1"


def test_enroll_command_reads_the_enrollment_file(office, till_factory, tmp_path):
    from fleetpos.cli import main

    till = till_factory("s1")
    enroll_file = tmp_path / "enroll.toml"
    enroll_file.write_text(f'url = "{office.url}"\ntoken = "{office.token("s1", "till-1")}"\n')
    main(["enroll", "--config", str(till.config_file), "--file", str(enroll_file)])
    assert load_identity(till.ctx).username == "s1/till-1"


def test_a_revoked_device_is_cut_off_and_cannot_come_back(office, till_factory):
    till = till_factory("s1")
    identity = till.enroll(office)
    client = MqttClient(BrokerAddress("127.0.0.1", identity.broker_port), "s1/till-1", username=identity.username,
                        password=identity.password, reconnect_delay=(0.1, 0.2))
    client.start()
    try:
        assert client.wait_connected(5)
        device = office.call("POST", "/api/stores/s1/devices/till-1/revoke")["device"]
        assert device["state"] == "revoked"
        wait_for(lambda: not client.connected.is_set(), message="the broker to drop the revoked device")
        wait_for(lambda: client.last_connect_error, message="the broker to refuse the device")
        assert "authori" in client.last_connect_error.lower() or "password" in client.last_connect_error.lower()
        assert not client.connected.is_set()
    finally:
        client.stop()
    assert "s1/till-1" not in office.broker.password_file.read_text()
    # a revoked device's outstanding tokens are void too; a new token re-enrolls it
    identity = till.enroll(office)
    assert office.call("GET", "/api/stores/s1/devices/till-1")["device"]["state"] == "active"
    assert "s1/till-1:" in office.broker.password_file.read_text()
