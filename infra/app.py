#!/usr/bin/env python3
"""Lily's CDK app: ``python infra/app.py`` (or ``cdk synth``) synthesizes every stack into ``cdk.out/``.

The stage comes from the ``stage`` context (``cdk synth -c stage=prod``), else ``LILY_STAGE``,
else ``dev``. cdk-nag (AwsSolutions) runs on every synthesis and fails it on any finding that is
not fixed or acknowledged with a reason.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
sys.path.insert(0, str(INFRA))
try:
    import lily  # noqa: F401 - installed editable in the project venv
except ImportError:  # a bare interpreter: use the source tree
    sys.path.insert(0, str(ROOT / "shared"))

from lily_infra.builder import build_app  # noqa: E402


def main() -> int:
    outdir = os.environ.get("CDK_OUTDIR") or str(ROOT / "cdk.out")
    lily_app = build_app(outdir=outdir)
    lily_app.app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
