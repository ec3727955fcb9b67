"""The query parameters of every list route: ``page: PageParams = Depends(page_params)`` (:mod:`lily.core.pages`)."""

from __future__ import annotations

from fastapi import Query

from lily.core.pages import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT, PageParams


def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})"),
    cursor: str | None = Query(None, max_length=MAX_CURSOR, description="next_cursor of the previous page"),
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)
