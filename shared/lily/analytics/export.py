"""CSV export of an analytics table: the same rows as its JSON, one CSV line per row (columns in the JSON's field
order), streamed, at most ``csv_max_rows`` rows (a final ``# truncated`` line says when the cap cut it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from pydantic import BaseModel

from lily.analytics.settings import analytics_settings


def _line(values: list) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return buf.getvalue()


def lines(rows: list[BaseModel], columns: list[str]) -> Iterator[str]:
    cap = analytics_settings().csv_max_rows
    yield _line(columns)
    for i, row in enumerate(rows):
        if i >= cap:
            yield f"# truncated at {cap} rows\n"
            return
        data = row.model_dump(mode="json")
        yield _line([data[c] for c in columns])
