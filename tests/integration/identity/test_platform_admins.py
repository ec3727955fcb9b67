"""Platform admins are never made by registering first: an operator command or the bootstrap email makes them."""

from __future__ import annotations

from functions.admin_cli.__main__ import main
from lily.core.config import reset_settings
from tests.support.identity import login, new_email, register_user


def test_the_first_registrant_is_not_an_admin_until_an_operator_grants_it(http):
    # Given the first accounts of a fresh deployment
    first = register_user(http)
    assert http.get("/api/admin/audit", headers=first["headers"]).status_code == 403
    # When an operator runs the command
    assert main(["grant-super-admin", first["email"].upper()]) == 0
    # Then the old session is revoked and a fresh one carries the role
    assert http.get("/api/auth/me", headers=first["headers"]).status_code == 401
    token = login(http, first["email"], first["password"])["access_token"]
    assert http.get("/api/admin/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # And an unknown address is an error, not a silent no-op
    assert main(["grant-super-admin", new_email()]) == 1


def test_the_bootstrap_email_registers_as_super_admin(http, monkeypatch):
    address = new_email("ops")
    monkeypatch.setenv("LILY_BOOTSTRAP_ADMIN_EMAIL", address)
    reset_settings()
    try:
        someone = register_user(http)
        ops = register_user(http, email=address)
        assert http.get("/api/admin/audit", headers=someone["headers"]).status_code == 403
        assert http.get("/api/admin/audit", headers=ops["headers"]).status_code == 200
    finally:
        monkeypatch.delenv("LILY_BOOTSTRAP_ADMIN_EMAIL")
        reset_settings()
