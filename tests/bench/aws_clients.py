"""What a fresh environment's first request pays for its AWS clients: Lily's one botocore session beside
pynamodb's and boto3's defaults, measured in the same run.

A first request touching N tables and one boto3 client (DynamoDB, as the rate limiter and the quota counters use)
makes, by default, a botocore session and a DynamoDB client per table model (pynamodb) and one more in boto3's
default session: botocore parses the DynamoDB model and the endpoint rules again for each. Lily's tables and
clients share one session (``lily.core.aws``). Each figure is the CPU time of making those clients in a fresh
interpreter (no request is sent), median of ``-n`` runs.

    .venv/bin/python tests/bench/aws_clients.py            # N = 1, 3, 6 tables
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import json, os, sys, time
sys.path.insert(0, "shared")
os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "LILY_RESOURCE_PREFIX": "lily-bench-"})
import boto3
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model
from lily.core import aws
from lily.core.db import LilyModel, TableMeta
from lily.core.retention import DataRule, Erase, NotExported
n = int(sys.argv[1])
"""
# the clients of a first request: every table's, then one boto3 client ({boto3})
MEASURE = """
tables = [table(i) for i in range(n)]
c0 = time.process_time()
for t in tables:
    t._get_connection().connection.client
{boto3}
print(json.dumps((time.process_time() - c0) * 1000))
"""
DEFAULTS = SETUP + """
def table(i):
    class T(Model):
        class Meta:
            table_name, region, host = f"t{i}", "us-east-1", "http://127.0.0.1:9"
        pk = UnicodeAttribute(hash_key=True)
    return T
""" + MEASURE.format(boto3='boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")')
LILY = SETUP + """
def table(i):
    class T(LilyModel):
        class Meta(TableMeta):
            short_name = f"bench{i}"
            data = DataRule(retention="bench", export=NotExported("bench"), erase=Erase.KEEP, personal_data=False)
        pk = UnicodeAttribute(hash_key=True)
    return T
""" + MEASURE.format(boto3='aws.client("dynamodb")')


def _run(code: str, n: int) -> float:
    proc = subprocess.run([sys.executable, "-c", code, str(n)], capture_output=True, text=True, cwd=ROOT,  # noqa: S603
                          timeout=120, check=True)
    return float(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--runs", type=int, default=5, help="fresh interpreters per figure (default 5)")
    parser.add_argument("tables", nargs="*", type=int, default=[1, 3, 6])
    args = parser.parse_args(argv)
    print(f"CPU ms to make the DynamoDB clients of a first request (N tables + one boto3 client), median of "
          f"{args.runs}")
    print(f"{'tables':>6}{'pynamodb + boto3 defaults':>28}{'Lily (one session)':>20}{'ratio':>8}")
    for n in args.tables:
        runs = {"defaults": [], "lily": []}
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            runs["defaults"].append(_run(DEFAULTS, n))
            runs["lily"].append(_run(LILY, n))
        base, lily = statistics.median(runs["defaults"]), statistics.median(runs["lily"])
        print(f"{n:>6}{base:>28.1f}{lily:>20.1f}{lily / base:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
