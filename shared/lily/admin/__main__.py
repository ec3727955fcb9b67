"""Operator commands against a deployment (its LILY_* settings and AWS credentials in the environment).

    python -m lily.admin grant-super-admin EMAIL
    python -m lily.admin set-org-limit EMAIL N      # let an account own up to N organizations (default 5)
    python -m lily.admin --help                     # and the runbooks' commands (lily.admin.ops, docs/runbooks/)

Platform administrators are never made by registering first: this command (or ``LILY_BOOTSTRAP_ADMIN_EMAIL``,
see docs/identity.md) makes the first one; after that, super admins manage platform roles over
``PATCH /api/admin/users/{user_id}``.
"""

from __future__ import annotations

import argparse
import sys
from types import SimpleNamespace

from lily import composition
from lily.admin import ops
from lily.core.errors import LilyError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lily.admin", description="Lily operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    grant = commands.add_parser("grant-super-admin", help="make an existing account a platform super admin")
    grant.add_argument("email")
    org_limit = commands.add_parser("set-org-limit", help="let an account own up to N organizations")
    org_limit.add_argument("email")
    org_limit.add_argument("limit", type=int)
    ops.register(commands)  # the runbooks' commands (lily.admin.ops)
    args = parser.parse_args(argv)
    # the CLI's entry point wires the bundles its commands hand to the use cases (built only when a command asks)
    args.ports = SimpleNamespace(billing=composition.billing_ports,
                                 gauge_reconcile=composition.gauge_reconcile_ports)
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


if __name__ == "__main__":
    sys.exit(main())
