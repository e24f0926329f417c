"""Results view: a self-contained HTML report of one or more tuning jobs (inline SVG, no external files).

Usage::

    python -m sagemaker_platform.tuning_report --tuning-job churn-bayes-1a2b3c4d5e6f \\
        --tuning-job churn-warm-6f5e4d3c2b1a --out report.html [--region eu-west-1] [--top 10]

For each tuning job it reads the training jobs (ListTrainingJobsForHyperParameterTuningJob) and draws:
the objective over time with the best-so-far line, the objective against each tuned hyperparameter,
and the best configurations as a table (log-scaled ranges on log axes). Several tuning jobs share the
charts (one colour each), to compare strategies and warm starts. The tuning pipeline writes the same
report for every finished tuning job (README, "Results report").
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any

# The renderer lives once, in the report Lambda's asset folder (standard library only), so the Lambda
# and this command draw the same report. `lambda` is a keyword, hence import_module rather than `import`.
_render = importlib.import_module("sagemaker_platform.lambda.tuning_report.report_render")
Trial = _render.Trial
TuningRun = _render.TuningRun
render_html = _render.render_html
run_from_responses = _render.run_from_responses

__all__ = ["Trial", "TuningRun", "collect", "main", "render_html"]


# --- reading ----------------------------------------------------------------------------------


def collect(client: Any, names: Sequence[str]) -> list[Any]:
    """Read each tuning job and its training jobs with a boto3 SageMaker client."""
    return [_collect_one(client, name) for name in names]


def _collect_one(client: Any, name: str) -> Any:
    job = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    summaries: list[dict[str, Any]] = []
    paginator = client.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    for page in paginator.paginate(HyperParameterTuningJobName=name):
        summaries.extend(page["TrainingJobSummaries"])
    return run_from_responses(job, summaries)


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
