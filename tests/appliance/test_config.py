import pytest

from appliance.config import ConfigError, load_config


def write(tmp_path, text):
    path = tmp_path / "till.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_then_file_then_environment(tmp_path):
    path = write(tmp_path, '[store]\nid = "s-42"\ncurrency = "EUR"\ntax_mode = "exclusive"\ncash_rounding = 5\n'
                           '[device]\nid = "till-7"\n[data]\ndir = "/srv/till"\n')
    config = load_config(path, environ={"FLEETPOS_STORE__CURRENCY": "USD", "FLEETPOS_SERVER__PORT": "9000",
                                        "UNRELATED": "x"})
    assert config.store.id == "s-42"
    assert config.store.currency == "USD"  # environment wins over the file
    assert config.store.tax_mode == "exclusive"
    assert config.store.cash_rounding == 5
    assert config.server.port == 9000
    assert config.device.id == "till-7"
    assert str(config.database_path) == "/srv/till/till.sqlite3"
    assert config.store.locale == "zh-CN"  # default kept


@pytest.mark.parametrize("text, key, problem", [
    ('[store]\ncurrency = "RMB"\n', "store.currency", "not a currency"),
    ('[store]\ntax_mode = "sometimes"\n', "store.tax_mode", "must be one of"),
    ('[store]\ncash_rounding = 3\n', "store.cash_rounding", "must be one of"),
    ('[store]\ncolour = "red"\n', "store.colour", "unknown key"),
    ('[server]\nport = "eighty"\n', "server.port", "must be int"),
    ('[server]\nport = 70000\n', "server.port", "between 1 and 65535"),
    ('[device]\nid = "till 1"\n', "device.id", "letters, digits"),
    ('[store]\ntimezone = "Mars/Olympus"\n', "store.timezone", "not a known time zone"),
    ('[shop]\nid = "x"\n', "shop", "unknown section"),
    ('[[barcodes.weighted]]\nprefix = "19"\n', "barcodes.weighted[0]", "20-29"),
    ('[[barcodes.weighted]]\nprefix = "21"\nunits = "g"\n', "barcodes.weighted[0].units", "unknown key"),
    ('[[barcodes.weighted]]\nprefix = "2"\n[[barcodes.weighted]]\nprefix = "21"\n', "barcodes.weighted", "overlap"),
    ('[permissions]\n"sale.void" = ["cashier", "boss"]\n', "permissions.sale.void", "list of roles"),
    ('[permissions]\n"sale.fly" = ["cashier"]\n', "permissions.sale.fly", "unknown action"),
    ('[store\nid = 1\n', "(syntax)", ""),
])
def test_a_bad_config_names_the_key_and_the_problem(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert info.value.key == key
    assert problem in info.value.problem
    assert str(path) in str(info.value)


def test_bad_environment_value_is_reported_against_its_key():
    with pytest.raises(ConfigError) as info:
        load_config(environ={"FLEETPOS_SECURITY__PIN_MAX_ATTEMPTS": "lots"})
    assert info.value.key == "security.pin_max_attempts"


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", environ={})


def test_weighted_layouts_and_permissions_from_file(tmp_path):
    path = write(tmp_path, '[[barcodes.weighted]]\nprefix = "28"\nvalue = "price"\n'
                           '[permissions]\n"line.discount" = ["cashier", "manager", "admin"]\n')
    config = load_config(path, environ={})
    assert [layout.prefix for layout in config.weighted_barcodes] == ["28"]
    assert "cashier" in config.permissions["line.discount"]


def test_kiosk_settings_default_to_the_image_paths_and_are_checked(tmp_path):
    config = load_config(environ={})
    assert config.kiosk.enrollment_file == "/var/lib/fleetpos/enrollment.json"
    assert config.kiosk.drawer_must_close is False
    path = write(tmp_path, '[kiosk]\ndrawer_must_close = true\nenrollment_file = "/tmp/e.json"\n')
    config = load_config(path, environ={})
    assert (config.kiosk.drawer_must_close, config.kiosk.enrollment_file) == (True, "/tmp/e.json")
    with pytest.raises(ConfigError, match="kiosk.offline_after_seconds"):
        load_config(write(tmp_path, "[kiosk]\noffline_after_seconds = 1\n"), environ={})
