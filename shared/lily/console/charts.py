"""Charts as server-rendered SVG (no script): a labelled horizontal bar chart with a text alternative."""

from __future__ import annotations

from html import escape


def bars(title: str, rows: list[tuple[str, float]], unit: str = "") -> str:
    """An accessible SVG (role=img, <title>, one <text> per value) of ``rows`` (label, value)."""
    width, bar_h, gap, label_w = 640, 22, 8, 220
    height = max(1, len(rows)) * (bar_h + gap) + gap
    top = max((v for _, v in rows), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" '
             f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
             f'<title id="chart-title">{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = int((width - label_w - 80) * value / top)
        parts.append(f'<text x="0" y="{y + 16}" class="chart-label">{escape(label[:32])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" class="chart-bar"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 16}" class="chart-value">{value:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)
