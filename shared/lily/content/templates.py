"""Prompt templates as data: ``templates.json`` holds one template per tone × structure × platform.

Placeholders are ``{name}`` fields from :data:`PLACEHOLDERS`; a template naming any other field (or with a
malformed brace) fails when the file is loaded, not when a user first hits it. The coverage test checks
that every combination has a template.
"""

from __future__ import annotations

import json
import string
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from lily.content.ports import Performer
from lily.content.schemas import PLATFORMS, STRUCTURES, TONES
from lily.core.schema import Schema

DATA = Path(__file__).with_name("templates.json")
PLACEHOLDERS = frozenset({
    "topic", "audience", "industry", "keywords", "avoid", "tone", "structure", "platform", "goal", "cta",
    "emoji_policy", "max_chars", "n", "examples", "source", "insights",
})


class TemplateError(ValueError):
    """A template file that cannot be used."""


class Template(Schema):
    tone: str
    structure: str
    platform: str
    instructions: str = Field(min_length=1)
    prompt: str = Field(min_length=1)

    @property
    def template_id(self) -> str:
        return f"{self.tone}.{self.structure}.{self.platform}"

    def placeholders(self) -> list[str]:
        return sorted(fields_of(self.instructions) | fields_of(self.prompt))

    def render(self, values: dict[str, object]) -> tuple[str, str]:
        return self.instructions.format_map(values), self.prompt.format_map(values)


def fields_of(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise TemplateError(f"malformed template text: {exc}") from None


def parse(raw: dict) -> dict[str, Template]:
    """Templates by id; raises TemplateError for unknown placeholders, unknown axes or duplicates."""
    out: dict[str, Template] = {}
    for row in raw.get("templates", []):
        t = Template(**row)
        if t.tone not in TONES or t.structure not in STRUCTURES or t.platform not in PLATFORMS:
            raise TemplateError(f"{t.template_id}: unknown tone, structure or platform")
        unknown = set(t.placeholders()) - PLACEHOLDERS
        if unknown:
            raise TemplateError(f"{t.template_id}: unknown placeholder(s) {sorted(unknown)}")
        if t.template_id in out:
            raise TemplateError(f"{t.template_id}: defined twice")
        out[t.template_id] = t
    return out


def missing(templates: dict[str, Template]) -> list[str]:
    """Combinations without a template."""
    return [f"{t}.{s}.{p}" for t in TONES for s in STRUCTURES for p in PLATFORMS if f"{t}.{s}.{p}" not in templates]


@lru_cache(maxsize=1)
def catalog() -> dict[str, Template]:
    return parse(json.loads(DATA.read_text(encoding="utf-8")))


def template_for(tone: str, structure: str, platform: str) -> Template:
    return catalog()[f"{tone}.{structure}.{platform}"]


def ranked(best: dict[str, list[Performer]]) -> list[tuple[Template, Performer | None]]:
    """The catalog per platform (in :data:`PLATFORMS` order), the org's best performers first: each template ranks
    by the engagement rate it earned on the platform, else by its tone's, best first (a template's own record
    before a tone's at the same rate); templates with neither follow in catalog order. Each comes with the
    performer that ranked it (None: no history for it)."""
    out: list[tuple[Template, Performer | None]] = []
    for platform in PLATFORMS:
        mine = best.get(platform, [])
        by_template = {b.key: b for b in mine if b.kind == "template"}
        by_tone = {b.key: b for b in mine if b.kind == "tone"}
        rows = [(t, by_template.get(t.template_id) or by_tone.get(t.tone))
                for t in catalog().values() if t.platform == platform]
        order = {t.template_id: i for i, (t, _) in enumerate(rows)}
        rows.sort(key=lambda r: (r[1] is None, -(r[1].engagement_rate if r[1] else 0),
                                 r[1] is not None and r[1].kind != "template", order[r[0].template_id]))
        out += rows
    return out
