"""The `fleetpos` command."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("fleetpos")

DEMO_CONFIG = """\
# fleetpos demo till: simulated hardware, demo catalog (written by `fleetpos demo`)
[store]
id = "demo-store"
name = "演示门店 Demo Store"
currency = "CNY"
locale = "zh-CN"
timezone = "Asia/Shanghai"
tax_mode = "inclusive"

[device]
id = "till-1"

[data]
dir = "{data_dir}"

[server]
host = "127.0.0.1"
port = {port}

# every device simulated (docs/hardware.md tells how to configure real ones)
[hardware.scanner]
backend = "simulator"

[hardware.printer]
backend = "simulator"
paper_width_mm = 80

[hardware.drawer]
backend = "simulator"

[hardware.display]
backend = "simulator"

[hardware.buzzer]
backend = "simulator"
"""


def _config(args):
    from appliance.config import ConfigError, load_config

    try:
        return load_config(args.config or os.environ.get("FLEETPOS_CONFIG"))
    except ConfigError as exc:
        sys.exit(str(exc))


def _serve(config) -> None:
    """Run the till with its devices and kiosk pages; Flask-SocketIO (threading mode) serves
    both the HTTP requests and the pages' live connections. The till listens on loopback only."""
    import kiosk_ui
    from appliance import hardware
    from appliance.app import create_app

    app = create_app(config, extensions=[hardware.init_app, kiosk_ui.init_app])
    log.info("till %s/%s listening on http://%s:%d/", config.store.id, config.device.id,
             config.server.host, config.server.port)
    app.extensions["kiosk_ui"].socketio.run(app, config.server.host, config.server.port,
                                            allow_unsafe_werkzeug=True, use_reloader=False)


def cmd_till(args) -> None:
    _serve(_config(args))


def cmd_init_db(args) -> None:
    from appliance.app import open_till
    from appliance.db import schema_version

    ctx = open_till(_config(args))
    print(f"database {ctx.config.database_path} at schema version {schema_version(ctx.db)}")


def cmd_seed_demo(args) -> None:
    from appliance.app import open_till
    from appliance.demo import seed_demo

    ctx = open_till(_config(args))
    print("demo catalog loaded" if seed_demo(ctx) else "the till already has data: nothing loaded")


def cmd_cashier_add(args) -> None:
    """Create an account from the command line (the first admin of a new till)."""
    from appliance.app import open_till
    from appliance.errors import TillError
    from appliance.services.auth import create_cashier

    ctx = open_till(_config(args))
    pin = os.environ.get("FLEETPOS_NEW_PIN") or getpass.getpass(f"PIN for {args.code}: ")
    try:
        create_cashier(ctx, None, code=args.code, name=args.name, role=args.role, pin=pin)
    except TillError as exc:
        sys.exit(f"error: {exc.message}")
    print(f"created {args.role} {args.code}")


def cmd_demo(args) -> None:
    from appliance.app import open_till
    from appliance.config import load_config
    from appliance.demo import DEMO_CASHIERS, seed_demo

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "till.toml"
    if not config_path.exists():
        config_path.write_text(DEMO_CONFIG.format(data_dir=data_dir, port=args.port), encoding="utf-8")
    config = load_config(config_path)
    ctx = open_till(config)
    seed_demo(ctx)
    ctx.db.close()
    print(f"demo till: http://{config.server.host}:{config.server.port}/ (config {config_path})")
    print("demo cashiers (throwaway demo PINs): " +
          ", ".join(f"{code} {role} PIN {pin}" for code, _name, role, pin in DEMO_CASHIERS))
    sys.stdout.flush()
    _serve(config)


def main(argv=None) -> None:
    from appliance.logs import configure_logging

    parser = argparse.ArgumentParser(prog="fleetpos", description="fleetpos point of sale")
    parser.add_argument("--log-level", default=os.environ.get("FLEETPOS_LOG_LEVEL", "INFO"))
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, func, help_text):
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
        return p

    for name, func, help_text in (("till", cmd_till, "run the till (Flask app for the kiosk)"),
                                  ("init-db", cmd_init_db, "create or migrate the till's database"),
                                  ("seed-demo", cmd_seed_demo, "load the demo catalog into an empty till")):
        command(name, func, help_text).add_argument("--config", help="till config file (TOML)")
    p = command("cashier-add", cmd_cashier_add, "create a cashier account (PIN from prompt or FLEETPOS_NEW_PIN)")
    p.add_argument("--config")
    p.add_argument("--code", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="cashier", choices=("cashier", "manager", "admin"))
    p = command("demo", cmd_demo, "set up and run the demo (till with simulated hardware, demo catalog)")
    p.add_argument("--data-dir", default=os.environ.get("FLEETPOS_DEMO_DIR", "var/demo"))
    p.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    configure_logging(args.log_level.upper())
    args.func(args)


if __name__ == "__main__":
    main()
