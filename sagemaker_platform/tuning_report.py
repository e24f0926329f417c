"""Results view: a self-contained HTML report of one or more tuning jobs (inline SVG, no external files).

Usage::

    python -m sagemaker_platform.tuning_report --tuning-job churn-bayes-1a2b3c4d5e6f \\
        --tuning-job churn-warm-6f5e4d3c2b1a --out report.html [--region eu-west-1] [--top 10]

For each tuning job it reads the training jobs (ListTrainingJobsForHyperParameterTuningJob) and draws:
the objective over time with the best-so-far line, the objective against each tuned hyperparameter,
and the best configurations as a table. Several tuning jobs share the charts (one colour each), to
compare strategies and warm starts.
"""

from __future__ import annotations

import argparse
import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
WIDTH, HEIGHT, MARGIN = 640, 320, 56


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


# --- reading ----------------------------------------------------------------------------------


def collect(client: Any, names: Sequence[str]) -> list[TuningRun]:
    """Read each tuning job and its training jobs with a boto3 SageMaker client."""
    return [_collect_one(client, name) for name in names]


def _collect_one(client: Any, name: str) -> TuningRun:
    job = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    config = job["HyperParameterTuningJobConfig"]
    summaries: list[dict[str, Any]] = []
    paginator = client.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    for page in paginator.paginate(HyperParameterTuningJobName=name):
        summaries.extend(page["TrainingJobSummaries"])
    trials = tuple(
        Trial(
            training_job=s["TrainingJobName"],
            status=s["TrainingJobStatus"],
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
    return TuningRun(
        name=name,
        strategy=config.get("Strategy", "?"),
        status=job.get("HyperParameterTuningJobStatus", "?"),
        objective_metric=objective.get("MetricName", "objective"),
        objective_type=objective.get("Type", "Maximize"),
        warm_start_parents=parents,
        trials=tuple(sorted(trials, key=lambda t: (t.end or t.start or datetime.min, t.training_job))),
    )


# --- rendering --------------------------------------------------------------------------------


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
        "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}"
        ".swatch{display:inline-block;width:12px;height:12px;margin-right:6px}svg{margin:0.5em 0}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        _summary_table(runs, colour),
        f"<h2>{html.escape(metric)} over time</h2>",
        "<p>Each point is a training job (minutes since its tuning job's first training job started); "
        "the line is the best so far.</p>",
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


@dataclass(frozen=True)
class _Series:
    label: str
    colour: str
    points: list[tuple[float, float]]
    line: list[tuple[float, float]]


def _time_chart(runs: Sequence[TuningRun], colour: dict[str, str]) -> str:
    series = []
    for run in runs:
        origin = run.started()
        points: list[tuple[float, float]] = []
        line: list[tuple[float, float]] = []
        best: float | None = None
        for trial in run.scored():
            assert trial.end is not None and trial.objective is not None and origin is not None
            x = (trial.end - origin).total_seconds() / 60
            points.append((x, trial.objective))
            if best is None or (trial.objective > best if run.maximize else trial.objective < best):
                best = trial.objective
            line.append((x, best))
        series.append(_Series(run.name, colour[run.name], points, line))
    return _svg(series, x_label="minutes", y_label=runs[0].objective_metric)


def _parameter_charts(runs: Sequence[TuningRun], colour: dict[str, str]) -> list[str]:
    names = sorted({n for run in runs for t in run.scored() for n in t.hyperparameters})
    charts = []
    for name in names:
        values = [t.hyperparameters[name] for run in runs for t in run.scored() if name in t.hyperparameters]
        numeric = all(_is_number(v) for v in values)
        categories = [] if numeric else sorted(set(values))
        numbers = [float(v) for v in values] if numeric else []
        # Values spanning two decades or more (learning rates, regularization) read better on a log axis.
        log = bool(numbers) and min(numbers) > 0 and max(numbers) / min(numbers) >= 100

        def x_of(value: str, log: bool = log, categories: list[str] = categories) -> float:
            if categories:
                return float(categories.index(value))
            return math.log10(float(value)) if log else float(value)

        series = []
        for run in runs:
            points = [
                (x_of(t.hyperparameters[name]), t.objective)
                for t in run.scored()
                if name in t.hyperparameters and t.objective is not None
            ]
            series.append(_Series(run.name, colour[run.name], points, []))
        charts.append(f"<h3>{html.escape(name)}</h3>")
        x_label = f"log10({name})" if log else name
        charts.append(_svg(series, x_label=x_label, y_label=runs[0].objective_metric, categories=categories or None))
    return charts


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _svg(series: Sequence[_Series], *, x_label: str, y_label: str, categories: list[str] | None = None) -> str:
    xs = [x for s in series for x, _ in s.points + s.line]
    ys = [y for s in series for _, y in s.points + s.line]
    if not xs:
        return "<p>(no training job reported the objective metric)</p>"
    x0, x1 = _span(min(xs), max(xs), padded=categories is not None)
    y0, y1 = _span(min(ys), max(ys), padded=True)
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def sx(x: float) -> float:
        return MARGIN + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return HEIGHT - MARGIN - (y - y0) / (y1 - y0) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{html.escape(y_label)} against {html.escape(x_label)}">',
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    out += _ticks(
        y0, y1, lambda v: f'<text x="{MARGIN - 6}" y="{sy(v) + 4:.1f}" font-size="11" text-anchor="end">{v:.4g}</text>'
    )
    if categories is not None:
        out += [
            f'<text x="{sx(i):.1f}" y="{HEIGHT - MARGIN + 16}" font-size="11" text-anchor="middle">'
            f"{html.escape(c)}</text>"
            for i, c in enumerate(categories)
        ]
    else:
        out += _ticks(
            x0,
            x1,
            lambda v: (
                f'<text x="{sx(v):.1f}" y="{HEIGHT - MARGIN + 16}" font-size="11" text-anchor="middle">{v:.4g}</text>'
            ),
        )
    out.append(
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" font-size="12" text-anchor="middle">{html.escape(x_label)}</text>'
    )
    out.append(
        f'<text x="14" y="{HEIGHT / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {HEIGHT / 2})">{html.escape(y_label)}</text>'
    )
    for s in series:
        if s.line:
            path = " ".join(_step_path(s.line, sx, sy))
            out.append(f'<path d="{path}" fill="none" stroke="{s.colour}" stroke-width="2"/>')
        out += [
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{s.colour}" fill-opacity="0.7">'
            f"<title>{html.escape(s.label)}: {y:.6g}</title></circle>"
            for x, y in s.points
        ]
    out.append("</svg>")
    return "".join(out)


def _step_path(
    line: list[tuple[float, float]], sx: Callable[[float], float], sy: Callable[[float], float]
) -> Iterable[str]:
    """A step line: horizontal to the next job's time, then vertical to the new best."""
    for index, (x, y) in enumerate(line):
        yield f"M{sx(x):.1f},{sy(y):.1f}" if index == 0 else f"H{sx(x):.1f} V{sy(y):.1f}"


def _span(low: float, high: float, *, padded: bool) -> tuple[float, float]:
    if high == low:
        return low - 1, high + 1
    pad = (high - low) * 0.05 if padded else 0.0
    return low - pad, high + pad


def _ticks(low: float, high: float, draw: Callable[[float], str], count: int = 5) -> list[str]:
    return [draw(low + (high - low) * i / (count - 1)) for i in range(count)]


# --- command ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, client: Any = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sagemaker_platform.tuning_report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tuning-job", action="append", required=True, dest="tuning_jobs", help="repeat to compare")
    parser.add_argument("--out", required=True, help="HTML file to write")
    parser.add_argument("--region", default=None, help="AWS region (default: the AWS CLI/SDK default)")
    parser.add_argument("--top", type=int, default=10, help="best configurations per tuning job (10)")
    args = parser.parse_args(argv)
    if client is None:
        import boto3

        client = boto3.client("sagemaker", region_name=args.region)
    runs = collect(client, args.tuning_jobs)
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(render_html(runs, top=args.top))
    print(f"wrote {args.out}: {len(runs)} tuning job(s), {sum(len(r.trials) for r in runs)} training jobs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
