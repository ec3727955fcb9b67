"""The style vault's 50 holds under concurrent creations (issue 25 security 4)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from lily.composition import image_ports
from lily.core.errors import LilyError
from lily.images import styles
from lily.images.schemas import StyleIn

ORG = "org_01jdstylerace00000000000001"


def test_sixty_concurrent_creations_fill_the_vault_to_exactly_fifty(lily_env):
    ai = image_ports().ai
    barrier = threading.Barrier(60)

    def one(i: int) -> bool:
        barrier.wait()
        try:
            styles.create(ai, ORG, StyleIn(name=f"style {i}"), "usr_1")
        except LilyError as exc:
            assert exc.details == {"max": 50}, exc
            return False
        return True

    with ThreadPoolExecutor(max_workers=60) as pool:
        made = sum(pool.map(one, range(60)))
    listed = styles.list_styles(ORG, styles.PageParams(limit=100)).items
    assert made == 50 and len(listed) == 50
    styles.delete(ORG, listed[0].style_id)
    styles.create(ai, ORG, StyleIn(name="after a delete"), "usr_1")
    assert len(styles.list_styles(ORG, styles.PageParams(limit=100)).items) == 50
