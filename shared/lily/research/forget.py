"""Deleting an organization's research: configs, jobs, items, reports, insights and every vector of the org.

``index`` is the deployment's vector index (:func:`lily.research.vectors.factory.vector_index`); idempotent (a
second call finds nothing). Query by the org's partition key, deletes in batches.
"""

from __future__ import annotations

from lily.core.observability import logger
from lily.research.models import ResearchConfig, ResearchInsight, ResearchItem, ResearchJob, ResearchReport
from lily.research.vectors.ports import VectorIndex


def forget_org(index: VectorIndex, org_id: str) -> None:
    index.delete_org(org_id)
    removed = 0
    for model in (ResearchConfig, ResearchJob, ResearchItem, ResearchReport, ResearchInsight):
        with model.batch_write() as batch:
            for row in model.query(org_id):
                batch.delete(row)
                removed += 1
    logger.info("research of a deleted org removed", extra={"org_id": org_id, "rows": removed})
