"""The report's words, from one structured generation through the AI port.

The numbers are not the model's: each theme's evidence (the items retrieved from memory over the similarity
floor) and its confidence are computed from the data, and the model is asked only to name and summarise each
theme and suggest topics, in a JSON schema with exactly one entry per theme. So every evidence link is an item
Lily actually read, and a model that answers nonsense cannot raise a theme's confidence.

Confidence of an insight, in [0, 1]: 0.5 x min(1, evidence / 4) + 0.25 x min(1, distinct sources / 2) +
0.25 x mean evidence similarity. Below ``research_confidence_floor`` (0.7) it is flagged ``low_confidence``.
The report's confidence is the evidence-weighted mean of its insights'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lily.ai.ports import AIPort, CallContext, TextRequest, Usage
from lily.research.models import ResearchConfig

INSTRUCTIONS = (
    "You are a social media research analyst. You receive themes found in recent industry articles and in the "
    "organization's own posts (with their engagement). For each theme, in the order given, write a short title, "
    "a two-sentence insight a marketer can act on, and up to three concrete post topics. Then a one-paragraph "
    "summary of the whole set and up to five suggested topics overall. Use only the material given."
)


@dataclass
class EvidenceItem:
    item_id: str
    title: str
    text: str
    url: str | None
    source: str
    source_ref: str
    score: float
    engagement: dict[str, int] | None = None


@dataclass
class ThemeFindings:
    evidence: list[EvidenceItem]

    @property
    def confidence(self) -> float:
        if not self.evidence:
            return 0.0
        sources = len({e.source_ref for e in self.evidence})
        mean = sum(max(0.0, e.score) for e in self.evidence) / len(self.evidence)
        return round(0.5 * min(1.0, len(self.evidence) / 4) + 0.25 * min(1.0, sources / 2) + 0.25 * mean, 3)


@dataclass
class Synthesis:
    summary: str
    themes: list[dict[str, Any]]  # {title, summary, suggested_topics}
    suggested_topics: list[str]
    model: str | None
    usage: Usage


def schema(n: int) -> dict[str, Any]:
    topics = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3}
    theme = {"type": "object", "additionalProperties": False, "required": ["title", "summary", "suggested_topics"],
             "properties": {"title": {"type": "string"}, "summary": {"type": "string"}, "suggested_topics": topics}}
    return {"type": "object", "additionalProperties": False, "required": ["summary", "themes", "suggested_topics"],
            "properties": {"summary": {"type": "string"},
                           "themes": {"type": "array", "items": theme, "minItems": n, "maxItems": n},
                           "suggested_topics": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                                "maxItems": 5}}}


def prompt(config: ResearchConfig, findings: list[ThemeFindings]) -> str:
    lines = [f"Industry: {config.industry}", f"Topics we watch: {', '.join(config.topics or []) or 'none given'}",
             f"Competitors (public handles): {', '.join(config.competitors or []) or 'none given'}", ""]
    for n, theme in enumerate(findings, 1):
        lines.append(f"Theme {n}:")
        for e in theme.evidence[:6]:
            extra = f" [our post; engagement {e.engagement}]" if e.source == "own_post" and e.engagement else ""
            lines.append(f"- {e.title}: {e.text[:400]}{extra}")
        lines.append("")
    return "\n".join(lines)


def _strings(values: Any, limit: int) -> list[str]:
    out: list[str] = []
    for v in values if isinstance(values, list) else []:
        if isinstance(v, str) and v.strip() and v.strip() not in out:
            out.append(v.strip()[:200])
    return out[:limit]


def synthesise(ai: AIPort, config: ResearchConfig, findings: list[ThemeFindings], ctx: CallContext) -> Synthesis:
    result = ai.generate(TextRequest(instructions=INSTRUCTIONS, prompt=prompt(config, findings),
                                     json_schema=schema(len(findings)), schema_name="research_report",
                                     max_output_tokens=1500, temperature=0.3), ctx)
    data = result.data or {}
    themes = [t for t in data.get("themes", []) if isinstance(t, dict)]
    shaped = []
    for n in range(len(findings)):
        t = themes[n] if n < len(themes) else {}
        shaped.append({"title": str(t.get("title") or f"Theme {n + 1}")[:200],
                       "summary": str(t.get("summary") or "")[:2000],
                       "suggested_topics": _strings(t.get("suggested_topics"), 3)})
    return Synthesis(summary=str(data.get("summary") or "")[:4000], themes=shaped,
                     suggested_topics=_strings(data.get("suggested_topics"), 5), model=result.model,
                     usage=result.usage)
