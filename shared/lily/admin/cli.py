"""Operator commands against a deployment (its LILY_* settings and AWS credentials in the environment).

    python -m functions.admin_cli grant-super-admin EMAIL
    python -m functions.admin_cli set-org-limit EMAIL N   # let an account own up to N organizations (default 5)
    python -m functions.admin_cli --help                  # and the runbooks' commands (lily.admin.ops, docs/runbooks/)

The entry point (``functions/admin_cli``) wires the ports bundles the commands hand to the use cases, as a function's
handler does; this module parses and runs the commands and never reaches for the composition root.

Platform administrators are never made by registering first: this command (or ``LILY_BOOTSTRAP_ADMIN_EMAIL``,
see docs/identity.md) makes the first one; after that, super admins manage platform roles over
``PATCH /api/admin/users/{user_id}``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from types import SimpleNamespace

from lily.admin import ops
from lily.core.errors import LilyError


def main(argv: list[str] | None, *, billing_ports: Callable, gauge_reconcile_ports: Callable) -> int:
    """Run one operator command; the ports factories are called only by the commands that need them."""
    parser = argparse.ArgumentParser(prog="python -m functions.admin_cli", description="Lily operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    grant = commands.add_parser("grant-super-admin", help="make an existing account a platform super admin")
    grant.add_argument("email")
    org_limit = commands.add_parser("set-org-limit", help="let an account own up to N organizations")
    org_limit.add_argument("email")
    org_limit.add_argument("limit", type=int)
    ops.register(commands)  # the runbooks' commands (lily.admin.ops)
    args = parser.parse_args(argv)
    args.ports = SimpleNamespace(billing=billing_ports, gauge_reconcile=gauge_reconcile_ports)
    if args.command in ops.COMMANDS:
        try:
            print(ops.render(ops.run(args), args.json))
        except LilyError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        return 0
    from lily.identity.platform_admins import grant_super_admin
    from lily.identity.user_admin import set_org_limit

    try:
        if args.command == "set-org-limit":
            user = set_org_limit(args.email, args.limit)
            print(f"{user.email} ({user.user_id}) may now own {args.limit} organizations")
            return 0
        user = grant_super_admin(args.email)
    except LilyError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"{user.email} ({user.user_id}) is now super_admin; their sessions were revoked (sign in again)")
    return 0
