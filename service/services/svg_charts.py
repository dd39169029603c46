"""Charts drawn on the server as inline SVG: horizontal bars, stacked bars, lines.

No script and no `style` attribute (the pages' Content-Security-Policy forbids inline styles):
presentation attributes only. Every piece of text comes from data, so it is XML-escaped here
(markupsafe.escape) and the result is handed to the page as Markup. A chart carries an accessible
name (`<title>`, `aria-labelledby`) and its figures as text; a bar or a point whose figure has a
list of routes behind it is a link to that list.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 760
LABEL_WIDTH = 250  # left column of a bar chart: the row labels
BAR_HEIGHT = 22
GAP = 8
LABEL_CHARS = 34  # a longer label is cut with "…" (the whole label is the bar's tooltip)
PALETTE = ("#3b6fd8", "#e08a1e", "#2f9e5a", "#c0392b", "#7d4fb3", "#168a9a", "#8a6d3b", "#d0468c",
           "#55606e", "#9aa831")
EMPTY_TEXT = "Нет данных для диаграммы"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One named run of values (None for a missing figure) with an optional link per value."""

    name: str
    values: Sequence[float | int | None]
    links: Sequence[str | None] = ()


def _e(value) -> str:
    return str(escape(str(value)))


def number(value) -> str:
    """A figure as Russian text: a thin space between thousands, a decimal comma, "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.1f}"
    else:
        text = f"{int(value):,}"
    return text.replace(",", "\u202f").replace(".", ",")


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _num(value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _open(title: str, height: int, desc: str) -> tuple[str, list[str]]:
    uid = f"chart-{next(_ids)}"
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" '
            f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{uid}-t {uid}-d" font-family="sans-serif" '
            f'font-size="13">',
            f'<title id="{uid}-t">{_e(title)}</title>', f'<desc id="{uid}-d">{_e(desc)}</desc>']
    return uid, head


def _empty(title: str) -> Markup:
    _, out = _open(title, 60, EMPTY_TEXT)
    out.append(f'<text x="{WIDTH // 2}" y="34" text-anchor="middle" fill="#667085">{_e(EMPTY_TEXT)}</text></svg>')
    return Markup("".join(out))


def _link(inner: str, href: str | None, tooltip: str) -> str:
    tip = f"<title>{_e(tooltip)}</title>"
    if href:
        return f'<a href="{_e(href)}">{tip}{inner}</a>'
    return f"<g>{tip}{inner}</g>"


def _describe(labels: Sequence[str], series: Sequence[Series]) -> str:
    parts = []
    for i, label in enumerate(labels):
        figures = ", ".join(f"{s.name}: {number(s.values[i] if i < len(s.values) else None)}" for s in series)
        parts.append(f"{label} — {figures}")
    return "; ".join(parts)


def _legend(series: Sequence[Series], y: int, x0: int = LABEL_WIDTH) -> list[str]:
    out, x = [], x0
    for i, s in enumerate(series):
        name = _short(s.name, 28)
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{x + 16}" y="{y}" fill="#1d2433">{_e(name)}</text>')
        x += 16 + 7 * len(name) + 18
        if x > WIDTH - 120 and i < len(series) - 1:
            x, y = x0, y + 18
    return out


def _legend_height(series: Sequence[Series], x0: int = LABEL_WIDTH) -> int:
    lines, x = 1, x0
    for i, s in enumerate(series):
        x += 16 + 7 * len(_short(s.name, 28)) + 18
        if x > WIDTH - 120 and i < len(series) - 1:
            lines, x = lines + 1, x0
    return 18 * lines + 8


def bar(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Horizontal bars, one group per label (a bar per series); the figure at each bar's end."""
    return _bars(title, labels, series, stacked=False)


def stacked(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Horizontal stacked bars: one bar per label, a segment per series; the total at the end."""
    return _bars(title, labels, series, stacked=True)


def _bars(title: str, labels: Sequence[str], series: Sequence[Series], *, stacked: bool) -> Markup:
    series = [s for s in series if s.values]
    if not labels or not series or not any(_num(v) for s in series for v in s.values):
        return _empty(title)
    per_label = 1 if stacked else len(series)
    row_h = BAR_HEIGHT * per_label + GAP
    legend_h = _legend_height(series) if len(series) > 1 else 0
    height = legend_h + row_h * len(labels) + GAP
    plot = WIDTH - LABEL_WIDTH - 70  # room for the figure after the longest bar
    if stacked:
        top = max(sum(_num(s.values[i]) for s in series if i < len(s.values)) for i in range(len(labels)))
    else:
        top = max(_num(v) for s in series for v in s.values)
    scale = plot / top if top else 0.0
    _, out = _open(title, height, _describe(labels, series))
    if legend_h:
        out += _legend(series, 14)
    for i, label in enumerate(labels):
        y0 = legend_h + i * row_h + GAP // 2
        out.append(f'<text x="{LABEL_WIDTH - 8}" y="{y0 + row_h / 2 - GAP / 2 + 4:.1f}" text-anchor="end" '
                   f'font-size="12" fill="#1d2433">{_e(_short(label))}<title>{_e(label)}</title></text>')
        x = float(LABEL_WIDTH)
        total = 0.0
        for k, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            href = s.links[i] if i < len(s.links) else None
            w = _num(value) * scale
            y = y0 if stacked else y0 + k * BAR_HEIGHT
            colour = PALETTE[k % len(PALETTE)]
            tip = f"{label} — {s.name}: {number(value)}"
            rect = f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0):.1f}" height="{BAR_HEIGHT - 4}" fill="{colour}"/>'
            if stacked:
                if w >= 26:  # the segment's own figure inside it when it fits
                    rect += (f'<text x="{x + w / 2:.1f}" y="{y + BAR_HEIGHT / 2 + 2:.1f}" text-anchor="middle" '
                             f'fill="#fff" font-size="11">{_e(number(value))}</text>')
                out.append(_link(rect, href, tip))
                x += w
                total += _num(value)
            else:
                rect += (f'<text x="{x + w + 5:.1f}" y="{y + BAR_HEIGHT / 2 + 2:.1f}" '
                         f'fill="#1d2433">{_e(number(value))}</text>')
                out.append(_link(rect, href, tip))
        if stacked:
            shown = int(total) if total.is_integer() else total
            out.append(f'<text x="{x + 5:.1f}" y="{y0 + BAR_HEIGHT / 2 + 2:.1f}" font-weight="bold" '
                       f'fill="#1d2433">{_e(number(shown))}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def line(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Lines over the labels (months), a point per figure with the figure above the last point."""
    series = [s for s in series if s.values]
    if not labels or not series or not any(v is not None for s in series for v in s.values):
        return _empty(title)
    left, right, plot_h = 50, 30, 220
    legend_h = _legend_height(series, left)
    top_y = legend_h + 10
    height = top_y + plot_h + 40
    top = max(_num(v) for s in series for v in s.values) or 1.0
    step = (WIDTH - left - right) / max(len(labels) - 1, 1)
    _, out = _open(title, height, _describe(labels, series))
    out += _legend(series, 14, left)
    for frac in (0, 0.5, 1):  # grid lines and their figures
        y = top_y + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#d9dee8"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#667085" '
                   f'font-size="11">{_e(number(round(top * frac, 1)))}</text>')
    every = max(1, len(labels) // 8)  # at most ~8 labels under the axis
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            out.append(f'<text x="{left + i * step:.1f}" y="{top_y + plot_h + 18}" text-anchor="middle" '
                       f'fill="#1d2433" font-size="11">{_e(_short(label, 14))}</text>')
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(left + i * step, top_y + plot_h * (1 - _num(v) / top), v, i)
                  for i, v in enumerate(s.values[: len(labels)]) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, v, i in points:
            href = s.links[i] if i < len(s.links) else None
            dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
            out.append(_link(dot, href, f"{labels[i]} — {s.name}: {number(v)}"))
        if points:
            x, y, v, _ = points[-1]
            out.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" fill="{colour}" '
                       f'font-size="11" font-weight="bold">{_e(number(v))}</text>')
    out.append("</svg>")
    return Markup("".join(out))


KINDS = {"bar": bar, "stacked": stacked, "line": line}


def for_table(table: dict) -> Markup | None:
    """The chart a statistics table asks for (`table["chart"]`: kind, x column, series columns), its
    bars linked to the routes behind each figure; None when the table has no chart."""
    spec = table.get("chart")
    if not spec:
        return None
    titles = {c["key"]: c["title"] for c in table.get("columns", [])}
    rows = table.get("rows", [])
    labels = [str(r.get(spec["x"], "")) for r in rows]
    series = [Series(titles.get(key, key), [_value(r.get(key)) for r in rows],
                     [(r.get("_links") or {}).get(key) if _value(r.get(key)) else None for r in rows])
              for key in spec.get("series", [])]  # a zero counts no routes: nothing to link to
    return KINDS[spec["kind"]](table.get("title", ""), labels, series)


def _value(value):
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
