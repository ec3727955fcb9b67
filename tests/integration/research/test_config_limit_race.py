"""Per-org count limits hold under concurrent creations (issue 25 security 4): 40 research configs created at once
store exactly 20 (a check-then-save stored 24); deleting one frees its slot."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from lily.core.errors import LilyError
from lily.research import configs
from lily.research.models import ResearchConfig
from lily.research.schemas import ConfigIn

ORG = "org_01jdconfigrace0000000000001"


class OpenGate:
    def require(self, org_id: str) -> None:
        """Research is on this org's plan (the limit, not the plan, is under test)."""


def create_at_once(n: int) -> tuple[int, int]:
    barrier = threading.Barrier(n)

    def one(i: int) -> bool:
        barrier.wait()
        try:
            configs.create(OpenGate(), ORG, ConfigIn(name=f"c{i}", industry="retail"), "usr_1")
        except LilyError as exc:
            assert exc.code.status == 409, exc
            return False
        return True

    with ThreadPoolExecutor(max_workers=n) as pool:
        made = list(pool.map(one, range(n)))
    return sum(made), len(made) - sum(made)


def stored() -> int:
    return ResearchConfig.count(ORG, ResearchConfig.config_id.startswith(configs.PREFIX), consistent_read=True)


def test_forty_concurrent_creations_store_exactly_the_limit(lily_env):
    made, refused = create_at_once(40)
    assert (made, refused) == (20, 20) and stored() == 20
    # a deleted config gives its slot back; the next creation fits, the one after does not
    first = configs.list_configs(ORG, configs.PageParams(limit=1)).items[0]
    configs.delete(ORG, first.config_id)
    configs.create(OpenGate(), ORG, ConfigIn(name="again", industry="retail"), "usr_1")
    assert create_at_once(3) == (0, 3) and stored() == 20


def test_the_counter_row_is_neither_listed_nor_readable(lily_env):
    configs.create(OpenGate(), ORG, ConfigIn(name="one", industry="retail"), "usr_1")
    assert [c.name for c in configs.list_configs(ORG, configs.PageParams(limit=50)).items] == ["one"]
    try:
        configs.get(ORG, "#count")
    except LilyError as exc:
        assert exc.code.status == 404
    else:
        raise AssertionError("the counter row was readable as a config")
