"""The nightly gauge reconciliation: reset each gauge quota from the real count of what it counts.

A gauge (``social_profiles``, ``team_seats``) is kept by ``consume``/``release`` beside the write of the thing it
counts; a crash between the two, or a manual repair in the table, leaves it off by one, and an org is then refused
a profile it has room for (or allowed one too many). Every night this job asks the owner of each gauge for the
real counts (:class:`lily.billing.ports.GaugeCount`: social counts connections, identity memberships), compares
them with the stored counters, and corrects each one that drifted.

A correction is a conditional write on the value that was read: a ``consume`` or ``release`` that lands between
the count and the write wins, and that org is looked at again the next night (counted as ``raced``) instead of
being overwritten with a stale count.

Metrics: ``quota_gauge_drift{feature}`` (the sum over organizations of |stored - real|, 0 on a healthy night;
an alarm watches it), ``quota_gauge_corrections_total{feature}``.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from lily.billing.models import QuotaCounter
from lily.billing.plans import QUOTAS, QuotaKind
from lily.billing.ports import GaugeReconcilePorts
from lily.core.db import won
from lily.core.observability import count, logger, observe
from lily.core.schema import Schema

GAUGE_PERIOD = "gauge"


class GaugeReport(Schema):
    quota: str
    organizations: int  # organizations looked at (with a stored gauge or something counted)
    drift: int  # sum of |stored - real|
    corrected: int
    raced: int  # changed between the count and the correction; looked at again next night


class ReconcileReport(Schema):
    gauges: list[GaugeReport]


def stored_gauges(quota: str) -> dict[str, int]:
    """Every organization's stored gauge of ``quota`` (a scan: a nightly job, never a request path)."""
    suffix = f"#{quota}"
    out: dict[str, int] = {}
    for item in QuotaCounter.scan(QuotaCounter.period == GAUGE_PERIOD):
        if item.key.endswith(suffix):
            out[item.key[: -len(suffix)]] = int(item.used or 0)
    return out


def _correct(org_id: str, quota: str, stored: int | None, real: int) -> bool:
    item = QuotaCounter(f"{org_id}#{quota}", GAUGE_PERIOD)
    if stored is None:
        condition = QuotaCounter.key.does_not_exist()
    else:
        condition = QuotaCounter.used == stored
    return won(lambda: item.update(actions=[QuotaCounter.used.set(real)], condition=condition))


def reconcile_gauge(quota: str, real: dict[str, int]) -> GaugeReport:
    if QUOTAS[quota].kind != QuotaKind.gauge:
        raise ValueError(f"{quota} is not a gauge")
    stored = stored_gauges(quota)
    drift = corrected = raced = 0
    orgs = sorted(set(stored) | set(real))
    for org_id in orgs:
        have, want = stored.get(org_id), real.get(org_id, 0)
        if (have or 0) == want:
            continue
        drift += abs((have or 0) - want)
        if _correct(org_id, quota, have, want):
            corrected += 1
            logger.info("gauge corrected", extra={"org_id": org_id, "quota": quota, "stored": have, "real": want})
        else:
            raced += 1
    observe("quota_gauge_drift", drift, unit=MetricUnit.Count, feature=quota)
    if corrected:
        count("quota_gauge_corrections_total", corrected, feature=quota)
    return GaugeReport(quota=quota, organizations=len(orgs), drift=drift, corrected=corrected, raced=raced)


def run(ports: GaugeReconcilePorts) -> ReconcileReport:
    """Reconcile every gauge the ports name, one after the other."""
    return ReconcileReport(gauges=[reconcile_gauge(quota, source.counts())
                                   for quota, source in sorted(ports.sources.items())])
