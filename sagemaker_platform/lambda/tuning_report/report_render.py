"""The tuning report: tuning and training job descriptions in, one self-contained HTML document out.

Standard library only: the report Lambda runs this file as it stands in its asset folder (``import
report_render``), and the command line `sagemaker_platform.tuning_report` imports the same file as
``sagemaker_platform.lambda.tuning_report.report_render``. Charts are inline SVG (no JS, CSS files or fonts).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
BEST_COLOUR = "#000000"
WIDTH, HEIGHT = 680, 340
LEFT, RIGHT, TOP, BOTTOM = 72, 20, 44, 56  # room for tick labels (left, bottom), legend (top)
LOG_SCALINGS = ("Logarithmic",)


@dataclass(frozen=True)
class Trial:
    """One training job of a tuning job."""

    training_job: str
    status: str
    objective: float | None
    hyperparameters: dict[str, str]
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class TuningRun:
    name: str
    strategy: str
    status: str
    objective_metric: str
    objective_type: str
    warm_start_parents: tuple[str, ...]
    trials: tuple[Trial, ...]
    # Hyperparameter name -> ScalingType of its range (Auto, Linear, Logarithmic, ReverseLogarithmic).
    scaling: dict[str, str] = field(default_factory=dict)

    @property
    def maximize(self) -> bool:
        return self.objective_type == "Maximize"

    def scored(self) -> list[Trial]:
        return [t for t in self.trials if t.objective is not None and t.end is not None]

    def best(self, top: int) -> list[Trial]:
        return sorted(self.scored(), key=lambda t: t.objective or 0.0, reverse=self.maximize)[:top]

    def started(self) -> datetime | None:
        starts = [t.start for t in self.trials if t.start is not None]
        return min(starts) if starts else None


# --- from the API responses -----------------------------------------------------------------------


def run_from_responses(job: Mapping[str, Any], summaries: Iterable[Mapping[str, Any]]) -> TuningRun:
    """A `TuningRun` from DescribeHyperParameterTuningJob and the ListTrainingJobsFor... summaries."""
    config = job.get("HyperParameterTuningJobConfig", {})
    trials = tuple(
        Trial(
            training_job=s["TrainingJobName"],
            status=s.get("TrainingJobStatus", "?"),
            objective=(
                float(s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
                if "FinalHyperParameterTuningJobObjectiveMetric" in s
                else None
            ),
            hyperparameters={k: str(v).strip('"') for k, v in s.get("TunedHyperParameters", {}).items()},
            start=s.get("TrainingStartTime") or s.get("CreationTime"),
            end=s.get("TrainingEndTime"),
        )
        for s in summaries
    )
    parents = tuple(
        p["HyperParameterTuningJobName"]
        for p in job.get("WarmStartConfig", {}).get("ParentHyperParameterTuningJobs", [])
    )
    objective = config.get("HyperParameterTuningJobObjective", {})
    ranges = config.get("ParameterRanges", {})
    scaling = {
        r["Name"]: r.get("ScalingType", "Auto")
        for kind in ("ContinuousParameterRanges", "IntegerParameterRanges")
        for r in ranges.get(kind, [])
    }
    return TuningRun(
        name=job["HyperParameterTuningJobName"],
        strategy=config.get("Strategy", "?"),
        status=job.get("HyperParameterTuningJobStatus", "?"),
        objective_metric=objective.get("MetricName", "objective"),
        objective_type=objective.get("Type", "Maximize"),
        warm_start_parents=parents,
        trials=tuple(sorted(trials, key=lambda t: (_timestamp(t.end or t.start), t.training_job))),
        scaling=scaling,
    )


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")


# --- the document ---------------------------------------------------------------------------------


def render_html(runs: Sequence[TuningRun], *, top: int = 10, title: str = "Hyperparameter tuning report") -> str:
    """The whole report as one HTML document (charts as inline SVG)."""
    if not runs:
        raise ValueError("no tuning jobs to report on")
    metric = runs[0].objective_metric
    colour = {run.name: COLOURS[i % len(COLOURS)] for i, run in enumerate(runs)}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;color:#222;background:#fff}"
        "table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}"
        ".swatch{display:inline-block;width:12px;height:12px;margin-right:6px}svg{display:block;margin:0.5em 0}"
        "</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        _summary_table(runs, colour),
        f"<h2>{html.escape(metric)} over time</h2>",
        "<p>Each point is a training job, placed at its end (minutes since its tuning job's first training job "
        "started); the line is the best so far; the ringed point is the best job.</p>",
        _time_chart(runs, colour),
        f"<h2>{html.escape(metric)} against each hyperparameter</h2>",
        *_parameter_charts(runs, colour),
        "<h2>Best configurations</h2>",
        *(_best_table(run, top) for run in runs),
        "</body></html>",
    ]
    return "\n".join(parts)


def _summary_table(runs: Sequence[TuningRun], colour: dict[str, str]) -> str:
    rows = []
    for run in runs:
        best = run.best(1)
        best_value = f"{best[0].objective:.6g}" if best and best[0].objective is not None else "-"
        rows.append(
            "<tr>"
            f'<td><span class="swatch" style="background:{colour[run.name]}"></span>{html.escape(run.name)}</td>'
            f"<td>{html.escape(run.strategy)}</td><td>{html.escape(run.status)}</td>"
            f"<td>{html.escape(', '.join(run.warm_start_parents) or '-')}</td>"
            f"<td>{len(run.trials)}</td><td>{len(run.scored())}</td>"
            f"<td>{html.escape(run.objective_type)} {html.escape(run.objective_metric)}</td><td>{best_value}</td></tr>"
        )
    return (
        "<table><tr><th>tuning job</th><th>strategy</th><th>status</th><th>warm start from</th>"
        "<th>training jobs</th><th>with objective</th><th>objective</th><th>best</th></tr>" + "".join(rows) + "</table>"
    )


def _best_table(run: TuningRun, top: int) -> str:
    trials = run.best(top)
    names = sorted({name for t in trials for name in t.hyperparameters})
    header = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = "".join(
        f"<tr><td>{rank}</td><td>{html.escape(t.training_job)}</td><td>{t.objective:.6g}</td>"
        + "".join(f"<td>{html.escape(t.hyperparameters.get(n, ''))}</td>" for n in names)
        + "</tr>"
        for rank, t in enumerate(trials, start=1)
    )
    return (
        f"<h3>{html.escape(run.name)} ({html.escape(run.objective_type)})</h3>"
        f"<table><tr><th>#</th><th>training job</th><th>{html.escape(run.objective_metric)}</th>{header}</tr>"
        f"{rows}</table>"
    )


# --- charts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Series:
    label: str
    colour: str
    points: list[tuple[float, float]]
    line: list[tuple[float, float]]
    best: tuple[float, float] | None


@dataclass(frozen=True)
class _Axis:
    label: str
    log: bool = False
    categories: tuple[str, ...] = ()


def _time_chart(runs: Sequence[TuningRun], colour: dict[str, str]) -> str:
    series = []
    for run in runs:
        origin = run.started()
        points: list[tuple[float, float]] = []
        line: list[tuple[float, float]] = []
        best_point: tuple[float, float] | None = None
        for trial in run.scored():
            assert trial.end is not None and trial.objective is not None and origin is not None
            point = ((trial.end - origin).total_seconds() / 60, trial.objective)
            points.append(point)
            if best_point is None or _better(run, trial.objective, best_point[1]):
                best_point = point
            line.append((point[0], best_point[1]))
        series.append(_Series(run.name, colour[run.name], points, line, best_point))
    return _svg(
        series,
        chart="objective-over-time",
        x=_Axis("minutes since the first training job started (at training job end)"),
        y=_Axis(runs[0].objective_metric),
    )


def _parameter_charts(runs: Sequence[TuningRun], colour: dict[str, str]) -> list[str]:
    names = sorted({n for run in runs for t in run.scored() for n in t.hyperparameters})
    charts = []
    for name in names:
        values = [t.hyperparameters[name] for run in runs for t in run.scored() if name in t.hyperparameters]
        numeric = all(_is_number(v) for v in values)
        categories = () if numeric else tuple(sorted(set(values)))
        scalings = {run.scaling.get(name, "Auto") for run in runs}
        log = numeric and min(float(v) for v in values) > 0 and bool(scalings & set(LOG_SCALINGS))

        def x_of(value: str, log: bool = log, categories: tuple[str, ...] = categories) -> float:
            if categories:
                return float(categories.index(value))
            return math.log10(float(value)) if log else float(value)

        series = []
        for run in runs:
            points = []
            best_point: tuple[float, float] | None = None
            for t in run.scored():
                if name not in t.hyperparameters or t.objective is None:
                    continue
                point = (x_of(t.hyperparameters[name]), t.objective)
                points.append(point)
                if best_point is None or _better(run, point[1], best_point[1]):
                    best_point = point
            series.append(_Series(run.name, colour[run.name], points, [], best_point))
        charts.append(f"<h3>{html.escape(name)}</h3>")
        x_axis = _Axis(f"{name} (log scale)" if log else name, log=log, categories=categories)
        charts.append(_svg(series, chart=f"hyperparameter-{name}", x=x_axis, y=_Axis(runs[0].objective_metric)))
    return charts


def _better(run: TuningRun, value: float, than: float) -> bool:
    return value > than if run.maximize else value < than


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _svg(series: Sequence[_Series], *, chart: str, x: _Axis, y: _Axis) -> str:
    xs = [px for s in series for px, _ in s.points + s.line]
    ys = [py for s in series for _, py in s.points + s.line]
    if not xs:
        return "<p>(no training job reported the objective metric)</p>"
    if x.categories:
        x_ticks = [(float(i), c) for i, c in enumerate(x.categories)]
        x0, x1 = -0.5, len(x.categories) - 0.5
    else:
        x0, x1, x_ticks = _axis_ticks(min(xs), max(xs), log=x.log)
    y0, y1, y_ticks = _axis_ticks(min(ys), max(ys), log=False)
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


def _points(series: Sequence[_Series], sx: Callable[[float], float], sy: Callable[[float], float]) -> list[str]:
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


def _legend(series: Sequence[_Series], *, with_line: bool) -> list[str]:
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


# --- ticks ----------------------------------------------------------------------------------------


def _axis_ticks(low: float, high: float, *, log: bool, count: int = 5) -> tuple[float, float, list[tuple[float, str]]]:
    """The axis span and its ticks (position, label); `log`: positions are log10 values, ticks at decades."""
    if log:
        first, last = math.floor(low), math.ceil(high)
        if first == last:
            first, last = first - 1, last + 1
        every = max(1, math.ceil((last - first) / 8))
        return float(first), float(last), [(float(e), format_number(10.0**e)) for e in range(first, last + 1, every)]
    if high == low:
        low, high = low - (abs(low) * 0.1 or 1), high + (abs(high) * 0.1 or 1)
    step = nice_step((high - low) / (count - 1))
    start, stop = math.floor(low / step) * step, math.ceil(high / step) * step
    base = round(start / step)
    ticks = [((base + i) * step, format_number((base + i) * step)) for i in range(round((stop - start) / step) + 1)]
    return start, stop, ticks


def nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or above `raw`."""
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power * (1 + 1e-9):
            return factor * power
    return 10 * power


_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def format_number(value: float) -> str:
    """A short tick label: 0.25, 1.5k, 2M, 1e-05."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e4:
        for scale, suffix in _SI:
            if magnitude >= scale:
                return f"{value / scale:.3g}{suffix}"
    if magnitude < 1e-3:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.4g}"
