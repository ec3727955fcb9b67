"""Stripe's wire format: form bodies in bracket notation, ids, timestamps, the error body
(``{"error": {"type", "code", "message", "param"}}``) and list pages (``limit``, ``starting_after`` /
``ending_before``, ``has_more``)."""

from __future__ import annotations

import calendar
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse

from lily.core import clock

API_VERSION = "2026-10-28.endive"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def now() -> int:
    return int(clock.now_ts())


def add_months(ts: int, months: int) -> int:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    month = dt.month - 1 + months
    year, month = dt.year + month // 12, month % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation (``line_items[0][price]=x``, ``metadata[k]=v``) → nested dicts/lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        node: Any = root
        for i, part in enumerate(parts):
            if part == "":  # ``expand[]=a&expand[]=b``: the next free index
                part = str(len(node))
            if i == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def as_bool(value: Any) -> bool:
    return str(value).lower() == "true"


class StripeApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.type, self.message, self.code, self.param = status, type_, message, code, param

    def response(self) -> JSONResponse:
        body = {"error": {"type": self.type, "message": self.message}}
        if self.code:
            body["error"]["code"] = self.code
            body["error"]["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            body["error"]["param"] = self.param
        return JSONResponse(body, status_code=self.status, headers={"Request-Id": new_id("req")})


def invalid(message: str, code: str | None = None, param: str | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, code, param)


def missing(kind: str, oid: str, param: str = "id") -> StripeApiError:
    return StripeApiError(404, "invalid_request_error", f"No such {kind}: '{oid}'", "resource_missing", param)


def required(param: str) -> StripeApiError:
    return invalid(f"Missing required param: {param}.", "parameter_missing", param)


def _limit(params: dict) -> int:
    raw = params.get("limit", "10")
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {raw}", "parameter_invalid_integer", "limit") from None
    if not 1 <= limit <= 100:
        raise invalid("This value must be greater than or equal to 1 and less than or equal to 100.",
                      "parameter_invalid_integer", "limit")
    return limit


def list_page(items: list[dict], params: dict, kind: str, url: str) -> dict:
    """One page of a list endpoint: ``limit`` (1-100, default 10), then ``starting_after`` (the page after
    that object) or ``ending_before`` (the page before it); ``has_more`` says whether more lie that way."""
    limit = _limit(params)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise invalid("You may only specify one of these parameters: ending_before, starting_after.")
    ids = [o["id"] for o in items]
    for param, cursor in (("starting_after", after), ("ending_before", before)):
        if cursor and cursor not in ids:
            raise missing(kind, cursor, param)
    if after:
        rest = items[ids.index(after) + 1:]
        data, has_more = rest[:limit], len(rest) > limit
    elif before:
        rest = items[:ids.index(before)]
        data, has_more = rest[-limit:], len(rest) > limit
    else:
        data, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
