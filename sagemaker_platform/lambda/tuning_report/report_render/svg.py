"""Drawing one chart as inline SVG: the frame, the axes with their ticks and labels, the points, the
best-so-far line, the ring on the best job and the legend."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .ticks import axis_ticks

BEST_COLOUR = "#000000"
WIDTH, HEIGHT = 680, 340
LEFT, RIGHT, TOP, BOTTOM = 72, 20, 44, 56  # room for tick labels (left, bottom), legend (top)


@dataclass(frozen=True)
class Series:
    """One tuning job on a chart: its points, its best-so-far line (empty: none) and its best point."""

    label: str
    colour: str
    points: list[tuple[float, float]]
    line: list[tuple[float, float]]
    best: tuple[float, float] | None


@dataclass(frozen=True)
class Axis:
    """An axis: its label; `log`: values are log10 positions; `categories`: one tick per value, in order."""

    label: str
    log: bool = False
    categories: tuple[str, ...] = ()


def svg_chart(series: Sequence[Series], *, chart: str, x: Axis, y: Axis) -> str:
    """The chart as one ``<svg>`` element (`chart` names it in ``data-chart``), or a note when nothing scored."""
    xs = [px for s in series for px, _ in s.points + s.line]
    ys = [py for s in series for _, py in s.points + s.line]
    if not xs:
        return "<p>(no training job reported the objective metric)</p>"
    if x.categories:
        x_ticks = [(float(i), c) for i, c in enumerate(x.categories)]
        x0, x1 = -0.5, len(x.categories) - 0.5
    else:
        x0, x1, x_ticks = axis_ticks(min(xs), max(xs), log=x.log)
    y0, y1, y_ticks = axis_ticks(min(ys), max(ys), log=False)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(value: float) -> float:
        return LEFT + (value - x0) / (x1 - x0) * plot_w

    def sy(value: float) -> float:
        return TOP + plot_h - (value - y0) / (y1 - y0) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{html.escape(chart)}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{html.escape(y.label)} against {html.escape(x.label)}">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    out += _axes(x_ticks, y_ticks, sx, sy, x_label=x.label, y_label=y.label)
    out += _points(series, sx, sy)
    out += _legend(series, with_line=any(s.line for s in series))
    out.append("</svg>")
    return "".join(out)


def _axes(
    x_ticks: Sequence[tuple[float, str]],
    y_ticks: Sequence[tuple[float, str]],
    sx: Callable[[float], float],
    sy: Callable[[float], float],
    *,
    x_label: str,
    y_label: str,
) -> list[str]:
    """Grid lines, ticks and the two axis labels."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out: list[str] = []
    for value, text in y_ticks:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{sy(value):.1f}" y2="{sy(value):.1f}" stroke="#eee"/>')
        out.append(
            f'<text x="{LEFT - 6}" y="{sy(value) + 4:.1f}" font-size="11" text-anchor="end">{html.escape(text)}</text>'
        )
    for value, text in x_ticks:
        out.append(
            f'<line x1="{sx(value):.1f}" x2="{sx(value):.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" '
            'stroke="#999"/>'
        )
        out.append(
            f'<text x="{sx(value):.1f}" y="{TOP + plot_h + 17}" font-size="11" text-anchor="middle">'
            f"{html.escape(text)}</text>"
        )
    out.append(
        f'<text class="x-label" x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" font-size="12" text-anchor="middle">'
        f"{html.escape(x_label)}</text>"
    )
    middle = TOP + plot_h / 2
    out.append(
        f'<text class="y-label" x="16" y="{middle}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle})">{html.escape(y_label)}</text>'
    )
    return out


def _points(series: Sequence[Series], sx: Callable[[float], float], sy: Callable[[float], float]) -> list[str]:
    """Each job's points, its best-so-far line and the ring on its best point."""
    out: list[str] = []
    for s in series:
        if s.line:
            path = " ".join(_step_path(s.line, sx, sy))
            out.append(f'<path d="{path}" fill="none" stroke="{s.colour}" stroke-width="2"/>')
        out += [
            f'<circle cx="{sx(px):.1f}" cy="{sy(py):.1f}" r="3.5" fill="{s.colour}" fill-opacity="0.7">'
            f"<title>{html.escape(s.label)}: {py:.6g}</title></circle>"
            for px, py in s.points
        ]
        if s.best is not None:
            bx, by = s.best
            out.append(
                f'<circle class="best" cx="{sx(bx):.1f}" cy="{sy(by):.1f}" r="7" fill="none" stroke="{BEST_COLOUR}" '
                f'stroke-width="2"><title>best of {html.escape(s.label)}: {by:.6g}</title></circle>'
            )
    return out


def _legend(series: Sequence[Series], *, with_line: bool) -> list[str]:
    """One entry per tuning job, then what the line and the ring mean; in the band above the plot."""
    out, x = [], float(LEFT)
    entries = [(s.colour, s.label, "point") for s in series]
    if with_line:
        entries.append(("#555", "best so far", "line"))
    entries.append((BEST_COLOUR, "best job", "ring"))
    for colour, label, mark in entries:
        y = TOP - 16
        if mark == "point":
            out.append(f'<circle cx="{x + 5:.1f}" cy="{y}" r="4" fill="{colour}"/>')
        elif mark == "line":
            out.append(f'<line x1="{x:.1f}" x2="{x + 12:.1f}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
        else:
            out.append(f'<circle cx="{x + 5:.1f}" cy="{y}" r="5" fill="none" stroke="{colour}" stroke-width="2"/>')
        text = label if len(label) <= 40 else label[:39] + "…"
        out.append(f'<text class="legend" x="{x + 16:.1f}" y="{y + 4}" font-size="11">{html.escape(text)}</text>')
        x += 16 + 6.5 * len(text) + 18
    return out


def _step_path(
    line: list[tuple[float, float]], sx: Callable[[float], float], sy: Callable[[float], float]
) -> Iterable[str]:
    """A step line: horizontal to the next job's time, then vertical to the new best."""
    for index, (px, py) in enumerate(line):
        yield f"M{sx(px):.1f},{sy(py):.1f}" if index == 0 else f"H{sx(px):.1f} V{sy(py):.1f}"
