"""The operator CLI's entry point: ``python -m functions.admin_cli --help`` from the repository root, with the
deployment's ``LILY_*`` settings and AWS credentials in the environment (docs/runbooks/).

Like a function's handler, it is where the ports bundles are wired; :mod:`lily.admin.cli` parses and runs the
commands. It is not a deployed function (no ``wiring.py``): nothing here is packaged into a Lambda.
"""

from __future__ import annotations

import sys

from lily import composition
from lily.admin import cli


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, billing_ports=composition.billing_ports,
                    gauge_reconcile_ports=composition.gauge_reconcile_ports)


if __name__ == "__main__":
    sys.exit(main())
