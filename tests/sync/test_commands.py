"""The sync commands: what they refuse and what they set up."""

import signal
import subprocess
import sys
import time

import pytest

from appliance.sync.agent import SyncSettings
from fleetpos.cli import main

from .conftest import Till


def test_sync_refuses_to_start_on_a_till_that_is_not_enrolled(tmp_path):
    till = Till(tmp_path / "till", "s1")
    with pytest.raises(SystemExit, match="not enrolled"):
        main(["sync", "--config", str(till.config_file)])
    till.stop()


def test_sync_waits_for_enrollment_when_asked_and_stops_on_sigterm(tmp_path):
    till = Till(tmp_path / "till", "s1")
    process = subprocess.Popen([sys.executable, "-m", "fleetpos.cli", "sync", "--config", str(till.config_file),
                                "--wait-enrolled", "0.2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1.5)
        assert process.poll() is None, process.stdout.read()  # still waiting, not exited
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "not enrolled with head office yet" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
        till.stop()


def test_agent_settings_come_from_the_environment_and_are_checked():
    settings = SyncSettings.from_env({"FLEETPOS_SYNC__BATCH_SIZE": "10", "FLEETPOS_SYNC__ACK_TIMEOUT": "2.5"},
                                     heartbeat_seconds=30)
    assert (settings.batch_size, settings.ack_timeout, settings.heartbeat_seconds) == (10, 2.5, 30)
    with pytest.raises(ValueError, match="FLEETPOS_SYNC__WINDOW='many' is not a number"):
        SyncSettings.from_env({"FLEETPOS_SYNC__WINDOW": "many"})


def test_fleet_init_makes_the_database_key_and_broker_files(tmp_path, capsys):
    config = tmp_path / "fleet.toml"
    config.write_text(f'[server]\ndata_dir = "{tmp_path / "data"}"\n[mqtt]\npassword = "secret-pw"\n'
                      f'[broker]\npassword_file = "{tmp_path / "passwd"}"\nacl_file = "{tmp_path / "acl"}"\n')
    main(["fleet", "init", "--config", str(config)])
    assert "catalog signing key" in capsys.readouterr().out
    assert (tmp_path / "data" / "catalog-signing.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "passwd").read_text().startswith("fleet-server:$7$101$")
    assert "topic read fleetpos/up/#" in (tmp_path / "acl").read_text()
    main(["fleet", "broker-config", "--config", str(config), "--out", str(tmp_path / "m.conf"), "--port", "18883"])
    conf = (tmp_path / "m.conf").read_text()
    assert "listener 18883 127.0.0.1" in conf and f"password_file {tmp_path / 'passwd'}" in conf


def test_fleet_config_errors_name_the_key(tmp_path):
    config = tmp_path / "fleet.toml"
    config.write_text("[mqtt]\nport = \"many\"\n")
    with pytest.raises(SystemExit, match=r"mqtt.port: must be int"):
        main(["fleet", "init", "--config", str(config)])
