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


def cmd_backup(args) -> None:
    """Make a copy of the till's database now (the till may keep running), or list the copies."""
    from appliance import backup

    config = _config(args)
    directory = backup.backups_dir(config.data_dir)
    if args.list:
        found = backup.list_backups(directory)
        for info in found:
            print(f"{info.path}  {info.made_at:%Y-%m-%d %H:%M:%S} UTC  schema {info.schema_version}  "
                  f"{info.reason}  {info.size / 2**20:.1f} MiB")
        if not found:
            print(f"no backups in {directory}")
        return
    try:
        info = backup.make_backup(config.database_path, directory, reason=args.reason,
                                  keep=config.data.backups_keep)
    except (backup.BackupError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    print(info.path)


def _answers(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def cmd_restore(args) -> None:
    """Put a backup in place of the till's database (stop the till and sync units first)."""
    from appliance import backup

    config = _config(args)
    if _answers(config.server.host, config.server.port):
        sys.exit(f"error: a till is running on {config.server.host}:{config.server.port}: stop it and the sync "
                 f"agent first (systemctl stop fleetpos-till fleetpos-sync); it would go on with what it had "
                 f"read from the database being replaced")
    try:
        replaced = backup.restore_backup(Path(args.file), config.database_path, store_id=config.store.id,
                                         device_id=config.device.id, force=args.force,
                                         keep=config.data.backups_keep)
    except backup.BackupError as exc:
        sys.exit(f"error: {exc}")
    print(f"restored {config.database_path} from {args.file}")
    if replaced:
        print(f"the database it replaced is kept as {replaced.path}")


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
    """The whole demo fleet: broker, head office, one store's till and sync agent."""
    from fleetpos.demo import run_demo

    run_demo(Path(args.data_dir), till_port=args.port, fleet_port=args.fleet_port, mqtt_port=args.mqtt_port)


def cmd_till_demo(args) -> None:
    """Just a till with simulated hardware and the demo catalog, no head office."""
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


def cmd_enroll(args) -> None:
    """Enroll this till with head office (a one-time token), keeping its identity in the database."""
    from appliance.app import open_till
    from appliance.sync.identity import EnrollmentFailed, enroll, read_enroll_file

    ctx = open_till(_config(args))
    if args.file:
        spec = read_enroll_file(args.file)
    elif args.url and args.token:
        spec = {"url": args.url, "token": args.token, "ca_file": args.ca_file}
    else:
        sys.exit("give --file enroll.toml, or --url and --token")
    try:
        identity = enroll(ctx, spec["url"], spec["token"], ca_file=spec.get("ca_file"))
    except EnrollmentFailed as exc:
        sys.exit(f"enrollment failed: {exc}")
    print(f"enrolled as store {identity.store_id} device {identity.device_id}; "
          f"broker {identity.broker_host}:{identity.broker_port}{' (TLS)' if identity.broker_tls else ''}")


def cmd_sync(args) -> None:
    """Run the sync agent until SIGTERM/SIGINT."""
    import signal
    import threading

    from appliance.app import open_till
    from appliance.sync.agent import SyncAgent, SyncSettings
    from appliance.sync.identity import load_identity

    ctx = open_till(_config(args))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    identity = load_identity(ctx)
    if identity is None and args.wait_enrolled:
        # the appliance starts the agent before first boot has enrolled: wait quietly
        log.info("not enrolled with head office yet; checking again every %g s", args.wait_enrolled)
        while identity is None and not stop.wait(args.wait_enrolled):
            identity = load_identity(ctx)
        if identity is None:
            return
    if identity is None:
        sys.exit("this till is not enrolled with head office yet: run `fleetpos enroll --file enroll.toml`")
    if (identity.store_id, identity.device_id) != (ctx.store_id, ctx.device_id):
        sys.exit(f"this till was enrolled as {identity.store_id}/{identity.device_id} but its config says "
                 f"{ctx.store_id}/{ctx.device_id}: fix the config or enroll again")
    try:
        settings = SyncSettings.from_env(heartbeat_seconds=args.heartbeat)
    except ValueError as exc:
        sys.exit(str(exc))
    log.info("sync agent for %s/%s, broker %s:%d", identity.store_id, identity.device_id, identity.broker_host,
             identity.broker_port)
    SyncAgent(ctx, identity, settings).run(stop)


def _fleet_config(args):
    from fleet_server.config import FleetConfigError, load_fleet_config

    try:
        return load_fleet_config(args.config or os.environ.get("FLEETPOS_FLEET_CONFIG"))
    except FleetConfigError as exc:
        sys.exit(str(exc))


def cmd_fleet_serve(args) -> None:
    from fleet_server.runner import serve

    serve(_fleet_config(args))


def cmd_fleet_ingest(args) -> None:
    from fleet_server.runner import ingest

    config = _fleet_config(args)
    ingest(config, args.workers or config.ingest.workers, args.config or os.environ.get("FLEETPOS_FLEET_CONFIG"))


def cmd_fleet_init(args) -> None:
    """Create head office's database and signing key, and write the broker's files."""
    from fleet_server import provisioning
    from fleet_server.app import open_fleet

    config = _fleet_config(args)
    ctx = open_fleet(config)
    with ctx.db.connection_context():
        written = provisioning.sync_broker(config) if config.broker.password_file else False
    print(f"head office database {config.database_url}; catalog signing key {ctx.key.key_id} "
          f"({config.signing_key_path})" + ("; broker password and ACL files written" if written else ""))


def cmd_fleet_user_add(args) -> None:
    """Create a console user (the first admin, or anyone): the password from a prompt or stdin."""
    from fleet_server import users
    from fleet_server.app import open_fleet
    from fleet_server.errors import FleetError

    config = _fleet_config(args)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
        if password != getpass.getpass("again: "):
            sys.exit("the passwords differ: nothing was created")
    ctx = open_fleet(config)
    try:
        with ctx.db.connection_context():
            user = users.create_user(config.console, args.username, password, args.role, args.display_name or "",
                                     actor=f"cli ({getpass.getuser()})")
    except FleetError as exc:
        sys.exit(f"could not create the user: {exc.message}")
    print(f"console user {user.username} ({user.role}) created: log in at http://{config.server.host}:"
          f"{config.server.port}/console/login")


def cmd_fleet_broker_config(args) -> None:
    """Write a mosquitto.conf for a broker of head office's own (demo, small sites)."""
    from fleet_server import provisioning

    config = _fleet_config(args)
    if not config.broker.password_file or not config.broker.acl_file:
        sys.exit("set [broker] password_file and acl_file in the fleet config first")
    data_dir = Path(args.data_dir or config.data_dir / "mosquitto").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    tls = None
    if args.tls_dir:
        tls = {"cafile": Path(args.tls_dir) / "ca.crt", "certfile": Path(args.tls_dir) / f"{args.tls_name}.crt",
               "keyfile": Path(args.tls_dir) / f"{args.tls_name}.key"}
    text = provisioning.broker_config(port=args.port, host=args.host, data_dir=data_dir, tls=tls,
                                      password_file=Path(config.broker.password_file).resolve(),
                                      acl_file=Path(config.broker.acl_file).resolve(),
                                      max_queued_messages=args.max_queued)
    Path(args.out).write_text(text)
    print(f"wrote {args.out}: run /usr/sbin/mosquitto -c {args.out}")


def cmd_fleet_ca(args) -> None:
    from fleet_server import ca

    if args.action == "init":
        print(f"CA certificate: {ca.init_ca(Path(args.dir))}")
    else:
        if not args.name:
            sys.exit("give --name (the broker's host name)")
        cert, key = ca.issue_server_cert(Path(args.dir), args.name, ips=tuple(args.ip or ()))
        print(f"certificate {cert}, key {key}")


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
    p = command("backup", cmd_backup, "copy the till's database into <data dir>/backups (or --list them)")
    p.add_argument("--config", help="till config file (TOML)")
    p.add_argument("--list", action="store_true", help="list the backups instead of making one")
    p.add_argument("--reason", default="manual", help="word in the backup's name (default: manual)")
    p = command("restore", cmd_restore, "replace the till's database with a backup (stop the till first)")
    p.add_argument("file", help="the backup file (from `fleetpos backup --list`)")
    p.add_argument("--config", help="till config file (TOML)")
    p.add_argument("--force", action="store_true",
                   help="restore even though the current database has records head office has not acknowledged")
    p = command("cashier-add", cmd_cashier_add, "create a cashier account (PIN from prompt or FLEETPOS_NEW_PIN)")
    p.add_argument("--config")
    p.add_argument("--code", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="cashier", choices=("cashier", "manager", "admin"))
    p = command("demo", cmd_demo, "run the demo fleet: broker, head office, a store with simulated hardware")
    p.add_argument("--data-dir", default=os.environ.get("FLEETPOS_DEMO_DIR", "var/demo"))
    p.add_argument("--port", type=int, default=8080, help="the till's (kiosk) port")
    p.add_argument("--fleet-port", type=int, default=8090, help="head office's port")
    p.add_argument("--mqtt-port", type=int, default=18883, help="the broker's port")
    p = command("till-demo", cmd_till_demo, "run just a till with simulated hardware and the demo catalog")
    p.add_argument("--data-dir", default=os.environ.get("FLEETPOS_DEMO_DIR", "var/till-demo"))
    p.add_argument("--port", type=int, default=8080)

    p = command("enroll", cmd_enroll, "enroll this till with head office (one-time token)")
    p.add_argument("--config", help="till config file (TOML)")
    p.add_argument("--file", help="enrollment file (TOML: url, token, ca_file)")
    p.add_argument("--url", help="head office URL")
    p.add_argument("--token", help="one-time enrollment token")
    p.add_argument("--ca-file", help="CA certificate that head office's HTTPS certificate chains to")
    p = command("sync", cmd_sync, "run the sync agent (outbox up, catalog down, status)")
    p.add_argument("--config", help="till config file (TOML)")
    p.add_argument("--heartbeat", type=float, help="status heartbeat in seconds (default: head office's)")
    p.add_argument("--wait-enrolled", type=float, metavar="SECONDS", default=0,
                   help="if not enrolled yet, check every SECONDS until it is (the appliance's unit), "
                        "instead of exiting")

    fleet = command("fleet", lambda a: fleet.print_help(), "head office: server, ingest workers, broker, CA")
    fleet_sub = fleet.add_subparsers(dest="fleet_command", required=True)

    def fleet_command(name, func, help_text):
        q = fleet_sub.add_parser(name, help=help_text)
        q.set_defaults(func=func)
        q.add_argument("--config", help="head office config file (TOML; or FLEETPOS_FLEET_CONFIG)")
        return q

    fleet_command("serve", cmd_fleet_serve, "run head office's API and catalog publisher")
    q = fleet_command("ingest", cmd_fleet_ingest, "run ingest workers (sales and status from the stores)")
    q.add_argument("--workers", type=int, help="worker processes (default: [ingest] workers)")
    fleet_command("init", cmd_fleet_init, "create the database and signing key; write the broker's files")
    q = fleet_command("user-add", cmd_fleet_user_add, "create a console user (e.g. the first admin)")
    q.add_argument("username")
    from fleet_server.permissions import ROLES  # the one table of roles (standard library only)

    q.add_argument("--role", default="admin", choices=list(ROLES))
    q.add_argument("--display-name", help="the name the console shows")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    q = fleet_command("broker-config", cmd_fleet_broker_config, "write a mosquitto.conf for head office's broker")
    q.add_argument("--out", required=True)
    q.add_argument("--port", type=int, default=1883)
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--data-dir", help="broker persistence directory (default: <data_dir>/mosquitto)")
    q.add_argument("--max-queued", type=int, default=100_000, help="messages the broker queues per client")
    q.add_argument("--tls-dir", help="CA directory (from `fleet ca`) to make the listener TLS")
    q.add_argument("--tls-name", default="localhost", help="server certificate name in --tls-dir")
    q = fleet_command("ca", cmd_fleet_ca, "the project's TLS CA: init, or issue a server certificate")
    q.add_argument("action", choices=("init", "issue"))
    q.add_argument("--dir", required=True, help="CA directory")
    q.add_argument("--name", help="server host name (issue)")
    q.add_argument("--ip", action="append", help="server IP address (issue; repeatable)")
    args = parser.parse_args(argv)
    configure_logging(args.log_level.upper())
    args.func(args)


if __name__ == "__main__":
    main()
