"""Small inline SVG charts for the brief: no JavaScript, no CDN, readable in any browser or mail client.

Each function returns an <svg> element as text. Values are plotted as given; axes carry a few ticks
formatted by the caller's `fmt`, so a chart never shows a number the data did not produce.
"""
from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")
W, H = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 28, 44


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / n for i in range(n + 1)]


def _frame(title: str, body: list[str], legend: Sequence[tuple[str, str]]) -> str:
    items = [f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{_esc(title)}</text>']
    x = LEFT
    for name, color in legend:  # under the plot, left to right
        items.append(f'<rect x="{x}" y="{H - 12}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{x + 14}" y="{H - 3}" font-size="11">{_esc(name)}</text>')
        x += 30 + 7 * len(name)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
            f'role="img" aria-label="{_esc(title)}" font-family="sans-serif">'
            + "".join(items + body) + "</svg>")


def _y_axis(lo: float, hi: float, fmt: Callable[[float], str], y: Callable[[float], float]) -> list[str]:
    out = []
    for t in _ticks(lo, hi):
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>'
                   f'<text x="{LEFT - 6}" y="{y(t) + 4:.1f}" font-size="10" text-anchor="end">{_esc(fmt(t))}</text>')
    return out


def line_chart(title: str, series: dict[str, list[tuple[dt.date, float]]], fmt: Callable[[float], str],
               zero_based: bool = False) -> str:
    """One line per series over dates; a missing day or a None breaks the line."""
    series = {k: [(d, None if v is None else float(v)) for d, v in s] for k, s in series.items()}
    points = [(d, v) for s in series.values() for d, v in s if v is not None]
    if not points:
        return _frame(title, [f'<text x="{LEFT}" y="{H / 2}" font-size="12">no data</text>'], [])
    d0, d1 = min(d for d, _ in points), max(d for d, _ in points)
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    if zero_based:
        lo = min(lo, 0.0)
    if hi == lo:
        lo, hi = lo - abs(lo) * 0.1 - 1e-9, hi + abs(hi) * 0.1 + 1e-9
    span = max((d1 - d0).days, 1)

    def x(d: dt.date) -> float:
        return LEFT + (W - LEFT - RIGHT) * (d - d0).days / span

    def y(v: float) -> float:
        return H - BOTTOM - (H - TOP - BOTTOM) * (v - lo) / (hi - lo)

    body = _y_axis(lo, hi, fmt, y)
    for d, anchor in ((d0, "start"), (d1, "end")):
        body.append(f'<text x="{x(d):.1f}" y="{H - BOTTOM + 16}" font-size="10" text-anchor="{anchor}">{d.isoformat()}</text>')
    legend = []
    for i, (name, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        legend.append((name, color))
        runs: list[list[str]] = [[]]
        previous = None
        for d, v in sorted(pts):
            if v is None or (previous is not None and (d - previous).days > 1):  # a missing day breaks the line
                runs.append([])
            if v is not None:
                runs[-1].append(f"{x(d):.1f},{y(v):.1f}")
            previous = d
        for run in runs:
            if len(run) > 1:
                body.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
            elif run:
                cx, cy = run[0].split(",")
                body.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{color}"/>')
    return _frame(title, body, legend)


def bar_chart(title: str, categories: list[str], series: dict[str, list[float | None]],
              fmt: Callable[[float], str]) -> str:
    """Grouped vertical bars: one group per category, one bar per series; the axis includes zero."""
    series = {k: [None if v is None else float(v) for v in vs] for k, vs in series.items()}
    values = [v for vs in series.values() for v in vs if v is not None]
    if not categories or not values:
        return _frame(title, [f'<text x="{LEFT}" y="{H / 2}" font-size="12">no data</text>'], [])
    lo, hi = min(0.0, min(values)), max(0.0, max(values))
    if hi == lo:
        hi = lo + 1.0

    def y(v: float) -> float:
        return H - BOTTOM - (H - TOP - BOTTOM) * (v - lo) / (hi - lo)

    body = _y_axis(lo, hi, fmt, y)
    group = (W - LEFT - RIGHT) / len(categories)
    width = group * 0.8 / max(len(series), 1)
    legend = []
    for j, (name, vs) in enumerate(series.items()):
        color = PALETTE[j % len(PALETTE)]
        legend.append((name, color))
        for i, v in enumerate(vs):
            if v is None:
                continue
            x0 = LEFT + group * i + group * 0.1 + width * j
            top, bottom = sorted((y(v), y(0.0)))
            body.append(f'<rect x="{x0:.1f}" y="{top:.1f}" width="{width:.1f}" height="{max(bottom - top, 0.5):.1f}" '
                        f'fill="{color}"><title>{_esc(categories[i])} {_esc(name)}: {_esc(fmt(v))}</title></rect>')
    for i, c in enumerate(categories):
        body.append(f'<text x="{LEFT + group * (i + 0.5):.1f}" y="{H - BOTTOM + 16}" font-size="10" '
                    f'text-anchor="middle">{_esc(c)}</text>')
    return _frame(title, body, legend if len(series) > 1 else [])
