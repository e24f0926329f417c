"""What each chart shows: the objective over time (with the best-so-far line) and against each hyperparameter,
as `Series` of points for `svg_chart` to draw."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from .runs import TuningRun
from .svg import Axis, Series, svg_chart

LOG_SCALINGS = ("Logarithmic",)


def time_chart(runs: Sequence[TuningRun], colour: dict[str, str]) -> str:
    """The objective over time: each training job at its end, the best-so-far line, the best job ringed."""
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
        series.append(Series(run.name, colour[run.name], points, line, best_point))
    return svg_chart(
        series,
        chart="objective-over-time",
        x=Axis("minutes since the first training job started (at training job end)"),
        y=Axis(runs[0].objective_metric),
    )


def parameter_charts(runs: Sequence[TuningRun], colour: dict[str, str]) -> list[str]:
    """One chart per tuned hyperparameter (numeric, log-scaled or categorical axis), each under its heading."""
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
            series.append(Series(run.name, colour[run.name], points, [], best_point))
        charts.append(f"<h3>{html.escape(name)}</h3>")
        x_axis = Axis(f"{name} (log scale)" if log else name, log=log, categories=categories)
        charts.append(svg_chart(series, chart=f"hyperparameter-{name}", x=x_axis, y=Axis(runs[0].objective_metric)))
    return charts


def _better(run: TuningRun, value: float, than: float) -> bool:
    return value > than if run.maximize else value < than


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False
