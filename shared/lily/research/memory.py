"""Research memory as the HTTP function reads it: stored items by id, and ``POST .../research/search``.

Writing memory is the worker's (:mod:`lily.research.remember`), which needs numpy; this module imports
neither numpy nor the feed reader, so the research HTTP function does not load them.
"""

from __future__ import annotations

from lily.ai.ports import CallContext
from lily.core.errors import LilyError
from lily.research.models import ResearchItem
from lily.research.ports import MemoryPorts
from lily.research.schemas import SearchHit, SearchIn, SearchOut
from lily.research.settings import research_settings
from lily.research.vectors.factory import vector_index


def stored(org_id: str, item_ids: list[str]) -> dict[str, ResearchItem]:
    """The stored items among ``item_ids`` (BatchGetItem, 100 keys a call)."""
    found: dict[str, ResearchItem] = {}
    for start in range(0, len(item_ids), 100):
        for row in ResearchItem.batch_get([(org_id, i) for i in item_ids[start:start + 100]]):
            found[row.item_id] = row
    return found


def search(ports: MemoryPorts, org_id: str, body: SearchIn, user_id: str | None) -> SearchOut:
    """The org's remembered items nearest to a query text, over the similarity floor."""
    ports.gate.require(org_id)  # embedding the query costs; research memory is a plan feature
    ports.quota.consume(org_id)  # one AI request of the day (PLAN_002 when they are used up)
    try:
        answer = ports.embedder.embed([body.query], CallContext(org_id=org_id, user_id=user_id,
                                                                feature="research.search"))
    except LilyError:  # the provider failed: nothing was paid for
        ports.quota.release(org_id)
        raise
    floor = body.min_score if body.min_score is not None else research_settings().floor_for(ports.embedder.model)
    hits = vector_index(ports.embedder).search(org_id, answer.vectors[0], body.k, floor, body.industry)
    rows = stored(org_id, [h.item_id for h in hits])
    items = [SearchHit(item_id=h.item_id, score=round(h.score, 4), source=rows[h.item_id].source,
                       title=rows[h.item_id].title, url=rows[h.item_id].url, text=rows[h.item_id].text[:1000])
             for h in hits if h.item_id in rows]
    return SearchOut(items=items, model=ports.embedder.model, dimension=ports.embedder.dimension)
