import hashlib

import pytest

from appliance.errors import AuthRequired, Conflict, Locked, OverrideRequired, PermissionDenied, ValidationError
from appliance.models import AuditEntry, Cashier, TillSession
from appliance.permissions import DEFAULT_PERMISSIONS
from appliance.services import auth

from .conftest import MANAGER_OK, PINS


def test_pins_are_stored_as_salted_scrypt_hashes(till):
    cashier = Cashier.get(Cashier.code == "1001")
    assert cashier.pin_hash.startswith("scrypt$") and PINS["1001"] not in cashier.pin_hash
    other = Cashier.get(Cashier.code == "1002")
    assert cashier.pin_hash.split("$")[2] != other.pin_hash.split("$")[2]  # own salt
    assert auth.verify_pin(PINS["1001"], cashier.pin_hash)
    assert not auth.verify_pin("0000", cashier.pin_hash)


def test_default_pin_hash_cost_is_slow():
    from appliance.config import SecurityConfig

    assert SecurityConfig().pin_hash_cost >= 14  # scrypt N = 16384


def test_login_and_session(till):
    session = auth.login(till, "1001", PINS["1001"])
    actor = auth.resolve_session(till, session.token)
    assert actor.cashier.code == "1001"
    auth.logout(till, session.token)
    with pytest.raises(AuthRequired):
        auth.resolve_session(till, session.token)


def test_a_new_login_ends_the_previous_session(till):
    first = auth.login(till, "1001", PINS["1001"])
    auth.login(till, "1002", PINS["1002"])
    with pytest.raises(AuthRequired):
        auth.resolve_session(till, first.token)


def test_wrong_pin_and_unknown_cashier(till):
    with pytest.raises(AuthRequired) as info:
        auth.login(till, "1001", "0000")
    assert info.value.code == "bad_credentials"
    with pytest.raises(AuthRequired):
        auth.login(till, "7777", "1234")
    with pytest.raises(ValidationError):
        auth.login(till, None, "1234")


def test_lock_out_after_repeated_failures_then_release(till, clock):
    attempts = till.config.security.pin_max_attempts
    for _ in range(attempts - 1):
        with pytest.raises(AuthRequired):
            auth.login(till, "1001", "0000")
    with pytest.raises(Locked):
        auth.login(till, "1001", "0000")
    with pytest.raises(Locked):  # even the right PIN while locked
        auth.login(till, "1001", PINS["1001"])
    assert AuditEntry.select().where((AuditEntry.action == "auth.pin_failed")).count() == attempts
    clock.advance(minutes=till.config.security.pin_lockout_minutes, seconds=1)
    assert auth.login(till, "1001", PINS["1001"]).cashier.code == "1001"
    assert Cashier.get(Cashier.code == "1001").failed_attempts == 0


def test_lock_out_survives_a_restart(till, config, clock):
    from appliance.app import open_till

    for _ in range(till.config.security.pin_max_attempts):
        with pytest.raises((AuthRequired, Locked)):
            auth.login(till, "1002", "0000")
    till.db.close()
    reopened = open_till(config, clock=clock)
    with pytest.raises(Locked):
        auth.login(reopened, "1002", PINS["1002"])


def test_idle_session_is_logged_out(till, clock):
    session = auth.login(till, "1001", PINS["1001"])
    clock.advance(seconds=till.config.security.idle_logout_seconds - 1)
    auth.resolve_session(till, session.token)  # activity keeps it alive
    clock.advance(seconds=till.config.security.idle_logout_seconds - 1)
    auth.resolve_session(till, session.token)
    clock.advance(seconds=till.config.security.idle_logout_seconds + 1)
    with pytest.raises(AuthRequired) as info:
        auth.resolve_session(till, session.token)
    assert info.value.code == "session_expired"
    assert TillSession.get_by_id(session.token).ended_at is not None


ROLE_ACTORS = {"cashier": "1001", "manager": "2001", "admin": "9001"}


@pytest.mark.parametrize("action", sorted(DEFAULT_PERMISSIONS))
@pytest.mark.parametrize("role", sorted(ROLE_ACTORS))
def test_permission_table(till, action, role):
    actor = auth.Actor(Cashier.get(Cashier.code == ROLE_ACTORS[role]))
    if role in DEFAULT_PERMISSIONS[action]:
        assert auth.authorize(till, actor, action) is None
    else:
        with pytest.raises(OverrideRequired):
            auth.authorize(till, actor, action)


def test_override_returns_the_approver(till):
    actor = auth.Actor(Cashier.get(Cashier.code == "1001"))
    approver = auth.authorize(till, actor, "sale.void", MANAGER_OK)
    assert approver.code == "2001"
    with pytest.raises(PermissionDenied):  # a manager cannot approve an admin-only action
        auth.authorize(till, actor, "cashier.manage_managers", MANAGER_OK)


def test_managers_manage_cashiers_and_only_admins_manage_managers(till):
    manager = auth.Actor(Cashier.get(Cashier.code == "2001"))
    admin = auth.Actor(Cashier.get(Cashier.code == "9001"))
    auth.create_cashier(till, manager, code="1003", name="新员工", role="cashier", pin="5555")
    with pytest.raises(OverrideRequired):
        auth.create_cashier(till, manager, code="2002", name="Boss", role="manager", pin="5555")
    with pytest.raises(OverrideRequired):
        auth.update_cashier(till, manager, "1003", role="manager")
    auth.update_cashier(till, admin, "1003", role="manager")
    assert Cashier.get(Cashier.code == "1003").role == "manager"
    entry = AuditEntry.select().where(AuditEntry.action == "cashier.update").get()
    assert entry.details["changes"]["role"] == ["cashier", "manager"]


def test_pin_reset_unlocks_and_deactivation_ends_sessions(till):
    admin = auth.Actor(Cashier.get(Cashier.code == "9001"))
    session = auth.login(till, "1002", PINS["1002"])
    for _ in range(till.config.security.pin_max_attempts):
        with pytest.raises((AuthRequired, Locked)):
            auth.login(till, "1002", "0000")
    auth.update_cashier(till, admin, "1002", pin="8642")
    assert auth.login(till, "1002", "8642")
    auth.update_cashier(till, admin, "1002", active=False)
    with pytest.raises(AuthRequired):
        auth.login(till, "1002", "8642")
    assert TillSession.get_by_id(session.token).ended_at is not None


@pytest.mark.parametrize("fields, code", [
    (dict(code="1003", name="x", role="cashier", pin="12"), "invalid_pin"),
    (dict(code="1003", name="x", role="cashier", pin="abcd"), "invalid_pin"),
    (dict(code="1003", name="x", role="owner", pin="1234"), "invalid_role"),
    (dict(code="10 3", name="x", role="cashier", pin="1234"), "invalid_cashier_code"),
    (dict(code="1003", name=" ", role="cashier", pin="1234"), "invalid_name"),
])
def test_bad_account_fields(till, fields, code):
    admin = auth.Actor(Cashier.get(Cashier.code == "9001"))
    with pytest.raises(ValidationError) as info:
        auth.create_cashier(till, admin, **fields)
    assert info.value.code == code
    assert not Cashier.select().where(Cashier.code == "1003").exists()


def test_duplicate_cashier_number_and_self_demotion_are_refused(till):
    admin = auth.Actor(Cashier.get(Cashier.code == "9001"))
    with pytest.raises(Conflict):
        auth.create_cashier(till, admin, code="1001", name="again", role="cashier", pin="1234")
    with pytest.raises(Conflict):
        auth.update_cashier(till, admin, "9001", role="cashier")
