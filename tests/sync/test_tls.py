"""Outside tests the broker speaks TLS with a certificate from the project's own CA;
devices get the CA at enrollment and verify the broker against it."""

from fleet_server import ca
from fleetpos.mqtt import BrokerAddress, MqttClient

from .conftest import wait_for


def test_devices_reach_the_broker_over_tls_verified_against_the_projects_ca(tmp_path, broker_factory, fleet_factory,
                                                                            till_factory):
    ca_cert = ca.init_ca(tmp_path / "ca")
    cert, key = ca.issue_server_cert(tmp_path / "ca", "localhost", ips=("127.0.0.1",))
    assert oct((tmp_path / "ca" / "ca.key").stat().st_mode & 0o777) == "0o600"
    broker = broker_factory(tls={"cafile": ca_cert, "certfile": cert, "keyfile": key})
    office = fleet_factory(broker, tls_ca=str(ca_cert)).start()
    office.add_store("s1")
    office.seed_catalog(["s1"])
    till = till_factory("s1")
    identity = till.enroll(office)
    assert identity.broker_tls and identity.ca_pem == ca_cert.read_text()
    till.start_agent()
    wait_for(lambda: till.catalog_version() == office.version("s1"), message="the catalog over TLS")

    # a broker whose certificate does not chain to the CA the device trusts is not talked to
    other_ca = ca.init_ca(tmp_path / "other-ca")
    stranger = MqttClient(BrokerAddress("127.0.0.1", broker.port, str(other_ca)), "s1/till-1",
                          username=identity.username, password=identity.password, reconnect_delay=(0.2, 0.5))
    stranger.start()
    try:
        assert not stranger.connected.wait(1.5)
    finally:
        stranger.stop()
