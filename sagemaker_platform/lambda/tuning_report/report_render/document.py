"""The report as one HTML document: the summary table, the charts' sections and the best configurations."""

from __future__ import annotations

import html
from collections.abc import Sequence

from .charts import parameter_charts, time_chart
from .runs import TuningRun

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


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
        time_chart(runs, colour),
        f"<h2>{html.escape(metric)} against each hyperparameter</h2>",
        *parameter_charts(runs, colour),
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
